use crate::marshal::summarize;

/// Marshal helpers: short ASCII strings, small tuples, bytes.
fn short(text: &str, interned: bool) -> Vec<u8> {
    let mut b = vec![if interned { b'Z' } else { b'z' }, text.len() as u8];
    b.extend(text.as_bytes());
    b
}

fn tuple(items: &[Vec<u8>]) -> Vec<u8> {
    let mut b = vec![b')', items.len() as u8];
    items.iter().for_each(|i| b.extend(i));
    b
}

fn bytes(data: &[u8]) -> Vec<u8> {
    let mut b = vec![b's'];
    b.extend((data.len() as i32).to_le_bytes());
    b.extend(data);
    b
}

fn ints(values: &[i32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// `lambda x: os.system("id")` as Python 3.11 marshals it: the code object and
/// its name are flagged for back-references (refs 0 and 1) and the qualname
/// refers back to the name.
pub fn py311_lambda() -> Vec<u8> {
    let mut b = vec![b'c' | 0x80];
    b.extend(ints(&[1, 0, 0, 4, 0x13]));
    b.extend(bytes(&[0x97, 0x00, 0x74, 0x00]));
    b.extend(tuple(&[vec![b'N'], short("id", false)]));
    b.extend(tuple(&[short("os", true), short("system", true)]));
    b.extend(tuple(&[short("x", true)]));
    b.extend(bytes(&[0x26]));
    b.extend(short("<stdin>", false));
    let mut name = short("<lambda>", true);
    name[0] |= 0x80;
    b.extend(name);
    b.extend([b'r']);
    b.extend(1i32.to_le_bytes());
    b.extend(ints(&[1]));
    b.extend(bytes(&[]));
    b.extend(bytes(&[]));
    b
}

/// A Python 3.8 function `f` whose constants hold a nested code object `g` that
/// uses `eval`.
fn py38_nested() -> Vec<u8> {
    let code = |name: &str, consts: Vec<u8>, names: &[&str]| {
        let mut b = vec![b'c'];
        b.extend(ints(&[0, 0, 0, 0, 2, 0x43]));
        b.extend(bytes(&[0x64, 0x00]));
        b.extend(consts);
        b.extend(tuple(
            &names.iter().map(|n| short(n, true)).collect::<Vec<_>>(),
        ));
        b.extend(tuple(&[]));
        b.extend(tuple(&[]));
        b.extend(tuple(&[]));
        b.extend(short("model.py", false));
        b.extend(short(name, true));
        b.extend(ints(&[3]));
        b.extend(bytes(&[]));
        b
    };
    let inner = code("g", tuple(&[short("print(1)", false)]), &["eval"]);
    code("f", tuple(&[inner, vec![b'N']]), &["len"])
}

#[test]
fn names_a_python_311_lambda_and_what_it_uses() {
    let code = summarize(&py311_lambda()).expect("parses");
    assert_eq!(code.name, "<lambda>");
    assert_eq!(code.names.iter().collect::<Vec<_>>(), ["os", "system"]);
    assert!(code.strings.contains("id"));
    assert_eq!(code.code_objects, 1);
}

#[test]
fn follows_nested_code_objects_in_older_layouts() {
    let code = summarize(&py38_nested()).expect("parses");
    assert_eq!(code.name, "f");
    assert_eq!(code.names.iter().collect::<Vec<_>>(), ["eval", "len"]);
    assert!(code.strings.contains("print(1)"));
    assert_eq!(code.code_objects, 2);
}

#[test]
fn malformed_marshal_data_is_an_error() {
    let full = py311_lambda();
    for len in 0..full.len() {
        assert!(summarize(&full[..len]).is_err(), "prefix of {len} bytes");
    }
    // A reference to an object not yet defined.
    assert!(summarize(&[b'r', 5, 0, 0, 0]).is_err());
    // A tuple claiming two billion items allocates nothing.
    assert!(summarize(&[b'(', 0xff, 0xff, 0xff, 0x7f]).is_err());
    // Nesting past the depth limit.
    let deep: Vec<u8> = std::iter::repeat_n([b')', 1], 10_000).flatten().collect();
    assert!(summarize(&deep).unwrap_err().contains("deeper"));
    // Trailing bytes after the code object.
    let mut trailing = full.clone();
    trailing.push(b'N');
    assert!(summarize(&trailing).is_err());
}
