//! Walking a skops schema: every JSON object with a `__loader__` key is a node
//! skops.io.load turns into a Python object, type or callable.

use serde_json::Value;

/// Loaders skops and scikit-learn register (protocols 0 to 2).
pub const KNOWN_LOADERS: &[&str] = &[
    "DictNode",
    "DefaultDictNode",
    "ListNode",
    "SetNode",
    "TupleNode",
    "FunctionNode",
    "PartialNode",
    "TypeNode",
    "SliceNode",
    "ObjectNode",
    "ConstructorFromReduceNode",
    "MethodNode",
    "JsonNode",
    "BytesNode",
    "ByteArrayNode",
    "OperatorFuncNode",
    "NdArrayNode",
    "MaskedArrayNode",
    "RandomStateNode",
    "RandomGeneratorNode",
    "BitGeneratorNode",
    "DtypeNode",
    "SparseMatrixNode",
    "ReduceNode",
    "TreeNode",
    "SGDNode",
    "LossNode",
    "SplitterNode",
    "CriterionNode",
    "_DictWithDeprecatedKeysNode",
    "UFuncNode",
];

/// One node and the dotted names it makes skops resolve.
#[derive(Debug)]
pub struct Node {
    /// JSON pointer of the node.
    pub pointer: String,
    pub loader: String,
    /// `module.class` of the node.
    pub type_name: String,
    /// A function or method the node resolves, besides its type.
    pub callable: Option<String>,
    /// An array member the node reads from the archive.
    pub file: Option<String>,
}

/// A node whose required keys are missing or not strings.
#[derive(Debug)]
pub struct Malformed {
    pub pointer: String,
    pub reason: String,
}

#[derive(Debug, Default)]
pub struct Walk {
    pub nodes: Vec<Node>,
    pub malformed: Vec<Malformed>,
}

pub fn walk(root: &Value) -> Walk {
    let mut result = Walk::default();
    let mut stack = vec![(String::new(), root)];
    while let Some((pointer, value)) = stack.pop() {
        match value {
            Value::Object(map) => {
                if map.contains_key("__loader__") {
                    node(&pointer, map, &mut result);
                }
                for (key, child) in map.iter().rev() {
                    let escaped = key.replace('~', "~0").replace('/', "~1");
                    stack.push((format!("{pointer}/{escaped}"), child));
                }
            }
            Value::Array(items) => {
                for (i, child) in items.iter().enumerate().rev() {
                    stack.push((format!("{pointer}/{i}"), child));
                }
            }
            _ => {}
        }
    }
    result
}

fn node(pointer: &str, map: &serde_json::Map<String, Value>, result: &mut Walk) {
    let text = |key: &str| map.get(key).and_then(Value::as_str);
    let (Some(loader), Some(module), Some(class)) =
        (text("__loader__"), text("__module__"), text("__class__"))
    else {
        result.malformed.push(Malformed {
            pointer: pointer.to_string(),
            reason: "`__loader__`, `__module__` and `__class__` must all be strings".into(),
        });
        return;
    };
    let content = map.get("content");
    let content_text = |key: &str| content.and_then(|c| c.get(key)).and_then(Value::as_str);
    let callable = match loader {
        // Protocol 0/1 stored the function in `content`; later ones in module/class.
        "FunctionNode" => Some(
            match (content_text("module_path"), content_text("function")) {
                (Some(m), Some(f)) => format!("{m}.{f}"),
                _ => format!("{module}.{class}"),
            },
        ),
        "MethodNode" => content_text("func").map(|f| format!("{module}.{class}.{f}")),
        _ => None,
    };
    result.nodes.push(Node {
        pointer: pointer.to_string(),
        loader: loader.to_string(),
        type_name: format!("{module}.{class}"),
        callable,
        file: text("file").map(str::to_string),
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nodes_and_callables() {
        let schema: Value = serde_json::from_str(
            r#"{"__class__":"Pipeline","__module__":"sklearn.pipeline","__loader__":"ObjectNode","content":{
                "a":{"__class__":"ndarray","__module__":"numpy","__loader__":"NdArrayNode","file":"1.npy"},
                "b":[{"__class__":"function","__module__":"x","__loader__":"FunctionNode","content":{"module_path":"os","function":"system"}},
                     {"__class__":"Foo","__module__":"m","__loader__":"MethodNode","content":{"func":"run","obj":{}}},
                     {"__loader__":"TypeNode","__class__":3}]}}"#,
        )
        .unwrap();
        let w = walk(&schema);
        let names: Vec<_> = w
            .nodes
            .iter()
            .map(|n| (n.loader.as_str(), n.callable.as_deref()))
            .collect();
        assert_eq!(
            names,
            vec![
                ("ObjectNode", None),
                ("NdArrayNode", None),
                ("FunctionNode", Some("os.system")),
                ("MethodNode", Some("m.Foo.run")),
            ]
        );
        assert_eq!(w.nodes[1].file.as_deref(), Some("1.npy"));
        assert_eq!(w.nodes[2].pointer, "/content/b/0");
        assert_eq!(w.malformed.len(), 1);
        assert_eq!(w.malformed[0].pointer, "/content/b/2");
    }
}
