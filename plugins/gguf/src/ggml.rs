//! ggml tensor types (block size and bytes per block) and llama.cpp file types.

pub struct TensorType {
    pub name: &'static str,
    /// Elements per block; a row's length must be a multiple of it.
    pub block: u64,
    /// Bytes per block.
    pub bytes: u64,
}

const fn t(name: &'static str, block: u64, bytes: u64) -> Option<TensorType> {
    Some(TensorType { name, block, bytes })
}

/// `ggml_type` ids as stored in tensor infos; removed ids are `None`.
const TYPES: &[Option<TensorType>] = &[
    t("F32", 1, 4),
    t("F16", 1, 2),
    t("Q4_0", 32, 18),
    t("Q4_1", 32, 20),
    None, // Q4_2, removed before GGUF
    None, // Q4_3, removed before GGUF
    t("Q5_0", 32, 22),
    t("Q5_1", 32, 24),
    t("Q8_0", 32, 34),
    t("Q8_1", 32, 36),
    t("Q2_K", 256, 84),
    t("Q3_K", 256, 110),
    t("Q4_K", 256, 144),
    t("Q5_K", 256, 176),
    t("Q6_K", 256, 210),
    t("Q8_K", 256, 292),
    t("IQ2_XXS", 256, 66),
    t("IQ2_XS", 256, 74),
    t("IQ3_XXS", 256, 98),
    t("IQ1_S", 256, 50),
    t("IQ4_NL", 32, 18),
    t("IQ3_S", 256, 110),
    t("IQ2_S", 256, 82),
    t("IQ4_XS", 256, 136),
    t("I8", 1, 1),
    t("I16", 1, 2),
    t("I32", 1, 4),
    t("I64", 1, 8),
    t("F64", 1, 8),
    t("IQ1_M", 256, 56),
    t("BF16", 1, 2),
    // Repacked Q4_0 layouts, since removed from ggml but present in older files.
    t("Q4_0_4_4", 32, 18),
    t("Q4_0_4_8", 32, 18),
    t("Q4_0_8_8", 32, 18),
    t("TQ1_0", 256, 54),
    t("TQ2_0", 256, 66),
    t("IQ4_NL_4_4", 32, 18),
    t("IQ4_NL_4_8", 32, 18),
    t("IQ4_NL_8_8", 32, 18),
    t("MXFP4", 32, 17),
];

pub fn tensor_type(id: u32) -> Option<&'static TensorType> {
    TYPES.get(id as usize)?.as_ref()
}

/// `general.file_type` (llama_ftype) names.
pub fn file_type_name(id: u64) -> Option<&'static str> {
    Some(match id {
        0 => "ALL_F32",
        1 => "F16",
        2 => "Q4_0",
        3 => "Q4_1",
        7 => "Q8_0",
        8 => "Q5_0",
        9 => "Q5_1",
        10 => "Q2_K",
        11 => "Q3_K_S",
        12 => "Q3_K_M",
        13 => "Q3_K_L",
        14 => "Q4_K_S",
        15 => "Q4_K_M",
        16 => "Q5_K_S",
        17 => "Q5_K_M",
        18 => "Q6_K",
        19 => "IQ2_XXS",
        20 => "IQ2_XS",
        21 => "Q2_K_S",
        22 => "IQ3_XS",
        23 => "IQ3_XXS",
        24 => "IQ1_S",
        25 => "IQ4_NL",
        26 => "IQ3_S",
        27 => "IQ3_M",
        28 => "IQ2_S",
        29 => "IQ2_M",
        30 => "IQ4_XS",
        31 => "IQ1_M",
        32 => "BF16",
        33 => "Q4_0_4_4",
        34 => "Q4_0_4_8",
        35 => "Q4_0_8_8",
        36 => "TQ1_0",
        37 => "TQ2_0",
        38 => "MXFP4_MOE",
        _ => return None,
    })
}
