//! Operator names and how dangerous a custom or Flex operator is.

use cordon_plugin_sdk::Severity;

/// `BuiltinOperator` values 0..=161 in schema order.
const BUILTIN: &[&str] = &[
    "ADD",
    "AVERAGE_POOL_2D",
    "CONCATENATION",
    "CONV_2D",
    "DEPTHWISE_CONV_2D",
    "DEPTH_TO_SPACE",
    "DEQUANTIZE",
    "EMBEDDING_LOOKUP",
    "FLOOR",
    "FULLY_CONNECTED",
    "HASHTABLE_LOOKUP",
    "L2_NORMALIZATION",
    "L2_POOL_2D",
    "LOCAL_RESPONSE_NORMALIZATION",
    "LOGISTIC",
    "LSH_PROJECTION",
    "LSTM",
    "MAX_POOL_2D",
    "MUL",
    "RELU",
    "RELU_N1_TO_1",
    "RELU6",
    "RESHAPE",
    "RESIZE_BILINEAR",
    "RNN",
    "SOFTMAX",
    "SPACE_TO_DEPTH",
    "SVDF",
    "TANH",
    "CONCAT_EMBEDDINGS",
    "SKIP_GRAM",
    "CALL",
    "CUSTOM",
    "EMBEDDING_LOOKUP_SPARSE",
    "PAD",
    "UNIDIRECTIONAL_SEQUENCE_RNN",
    "GATHER",
    "BATCH_TO_SPACE_ND",
    "SPACE_TO_BATCH_ND",
    "TRANSPOSE",
    "MEAN",
    "SUB",
    "DIV",
    "SQUEEZE",
    "UNIDIRECTIONAL_SEQUENCE_LSTM",
    "STRIDED_SLICE",
    "BIDIRECTIONAL_SEQUENCE_RNN",
    "EXP",
    "TOPK_V2",
    "SPLIT",
    "LOG_SOFTMAX",
    "DELEGATE",
    "BIDIRECTIONAL_SEQUENCE_LSTM",
    "CAST",
    "PRELU",
    "MAXIMUM",
    "ARG_MAX",
    "MINIMUM",
    "LESS",
    "NEG",
    "PADV2",
    "GREATER",
    "GREATER_EQUAL",
    "LESS_EQUAL",
    "SELECT",
    "SLICE",
    "SIN",
    "TRANSPOSE_CONV",
    "SPARSE_TO_DENSE",
    "TILE",
    "EXPAND_DIMS",
    "EQUAL",
    "NOT_EQUAL",
    "LOG",
    "SUM",
    "SQRT",
    "RSQRT",
    "SHAPE",
    "POW",
    "ARG_MIN",
    "FAKE_QUANT",
    "REDUCE_PROD",
    "REDUCE_MAX",
    "PACK",
    "LOGICAL_OR",
    "ONE_HOT",
    "LOGICAL_AND",
    "LOGICAL_NOT",
    "UNPACK",
    "REDUCE_MIN",
    "FLOOR_DIV",
    "REDUCE_ANY",
    "SQUARE",
    "ZEROS_LIKE",
    "FILL",
    "FLOOR_MOD",
    "RANGE",
    "RESIZE_NEAREST_NEIGHBOR",
    "LEAKY_RELU",
    "SQUARED_DIFFERENCE",
    "MIRROR_PAD",
    "ABS",
    "SPLIT_V",
    "UNIQUE",
    "CEIL",
    "REVERSE_V2",
    "ADD_N",
    "GATHER_ND",
    "COS",
    "WHERE",
    "RANK",
    "ELU",
    "REVERSE_SEQUENCE",
    "MATRIX_DIAG",
    "QUANTIZE",
    "MATRIX_SET_DIAG",
    "ROUND",
    "HARD_SWISH",
    "IF",
    "WHILE",
    "NON_MAX_SUPPRESSION_V4",
    "NON_MAX_SUPPRESSION_V5",
    "SCATTER_ND",
    "SELECT_V2",
    "DENSIFY",
    "SEGMENT_SUM",
    "BATCH_MATMUL",
    "PLACEHOLDER_FOR_GREATER_OP_CODES",
    "CUMSUM",
    "CALL_ONCE",
    "BROADCAST_TO",
    "RFFT2D",
    "CONV_3D",
    "IMAG",
    "REAL",
    "COMPLEX_ABS",
    "HASHTABLE",
    "HASHTABLE_FIND",
    "HASHTABLE_IMPORT",
    "HASHTABLE_SIZE",
    "REDUCE_ALL",
    "CONV_3D_TRANSPOSE",
    "VAR_HANDLE",
    "READ_VARIABLE",
    "ASSIGN_VARIABLE",
    "BROADCAST_ARGS",
    "RANDOM_STANDARD_NORMAL",
    "BUCKETIZE",
    "RANDOM_UNIFORM",
    "MULTINOMIAL",
    "GELU",
    "DYNAMIC_UPDATE_SLICE",
    "RELU_0_TO_1",
    "UNSORTED_SEGMENT_PROD",
    "UNSORTED_SEGMENT_MAX",
    "UNSORTED_SEGMENT_SUM",
    "ATAN2",
    "UNSORTED_SEGMENT_MIN",
    "SIGN",
    "BITCAST",
    "BITWISE_XOR",
    "RIGHT_SHIFT",
];

pub const CUSTOM: i32 = 32;

/// Display name of an operator code.
pub fn name(builtin: i32, custom: Option<&str>) -> String {
    match custom {
        Some(code) if builtin == CUSTOM => code.to_string(),
        _ => usize::try_from(builtin)
            .ok()
            .and_then(|i| BUILTIN.get(i))
            .map_or_else(|| format!("BUILTIN_{builtin}"), |n| n.to_string()),
    }
}

/// How a custom operator is run.
pub enum Custom {
    /// `Flex<TfOp>`: the TensorFlow op runs through the Flex delegate.
    Flex {
        severity: Severity,
        why: &'static str,
    },
    /// Any other custom code: needs a kernel registered by the application.
    Other,
}

pub fn classify(code: &str) -> Custom {
    let Some(tf_op) = code.strip_prefix("Flex") else {
        return Custom::Other;
    };
    let (severity, why) = match tf_op {
        "PyFunc" | "EagerPyFunc" | "PyFuncStateless" => (
            Severity::Critical,
            "runs a Python function from the host process",
        ),
        "ReadFile" | "WriteFile" | "MatchingFiles" | "Save" | "SaveV2" | "SaveSlices"
        | "Restore" | "RestoreV2" | "RestoreSlice" | "ImmutableConst" | "LoadLibrary" => {
            (Severity::High, "reads or writes files on the host")
        }
        _ => (
            Severity::Medium,
            "runs a TensorFlow kernel outside the TFLite builtins",
        ),
    };
    Custom::Flex { severity, why }
}

/// Bytes per element of a `TensorType`; `None` for variable-size or opaque types.
/// INT4 is packed two to a byte: its size is computed separately.
pub fn type_size(dtype: u8) -> Option<u64> {
    match dtype {
        3 | 6 | 9 => Some(1),       // UINT8, BOOL, INT8
        1 | 7 | 16 | 18 => Some(2), // FLOAT16, INT16, UINT16, BFLOAT16
        0 | 2 | 15 => Some(4),      // FLOAT32, INT32, UINT32
        4 | 8 | 10 | 12 => Some(8), // INT64, COMPLEX64, FLOAT64, UINT64
        11 => Some(16),             // COMPLEX128
        _ => None,                  // STRING, RESOURCE, VARIANT, INT4, unknown
    }
}

pub const INT4: u8 = 17;

pub fn type_name(dtype: u8) -> String {
    const NAMES: &[&str] = &[
        "FLOAT32",
        "FLOAT16",
        "INT32",
        "UINT8",
        "INT64",
        "STRING",
        "BOOL",
        "INT16",
        "COMPLEX64",
        "INT8",
        "FLOAT64",
        "COMPLEX128",
        "UINT64",
        "RESOURCE",
        "VARIANT",
        "UINT32",
        "UINT16",
        "INT4",
        "BFLOAT16",
    ];
    NAMES
        .get(dtype as usize)
        .map_or_else(|| format!("TYPE_{dtype}"), |n| n.to_string())
}
