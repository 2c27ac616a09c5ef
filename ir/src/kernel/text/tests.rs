//! Parser details: names in messages, accumulator updates, blocks and their scopes.

use super::parse;

const HEAD: &str =
    "kernel k(a: global f32[64] read_write) grid [1, 1, 1] workgroup [64, 1, 1] subgroup 32 {\n";

/// The error of `HEAD + body + "}"`: (line, col, message).
fn error(body: &str) -> (usize, usize, String) {
    let text = format!("{HEAD}{body}}}\n");
    match parse(&text) {
        Ok(k) => panic!("parsed:\n{k}"),
        Err(e) => (e.line, e.col, e.message),
    }
}

#[test]
fn builder_messages_name_values_as_the_text_does() {
    let (line, col, m) =
        error("  i: i32 = local_id.x\n  x: f32 = load a[i]\n  y: f32 = add i, x\n");
    assert_eq!((line, col), (4, 12));
    assert_eq!(m, "y = add: operands i: i32 and x: f32 differ in type");
}

#[test]
fn accumulator_updates_name_their_accumulator_and_keep_its_type() {
    let (_, _, m) =
        error("  z: f32 = const 0.0\n  s: f32 = init z\n  t: f32 = init z\n  s = sum t, z\n");
    assert_eq!(m, "'sum' combines into 's', so it reads 's'");
    let (_, _, m) =
        error("  z: f32 = const 0.0\n  s: f32 = init z\n  i: i32 = local_id.x\n  s = i\n");
    assert_eq!(m, "update s: i is i32; s is f32");
    let (_, _, m) = error("  z: f32 = const 0.0\n  s = z\n");
    assert_eq!(m, "'s' is not defined");
    let (_, _, m) = error("  z: f32 = const 0.0\n  y: f32 = read z\n");
    assert_eq!(m, "'z' is a value, not an accumulator");
    let (_, _, m) = error("  z: f32 = const 0.0\n  s: f32 = init z\n  y: f32 = add s, s\n");
    assert_eq!(
        m,
        "'s' is an accumulator, not a value (read it with 'read s')"
    );
}

#[test]
fn loop_variables_and_branch_values_end_with_their_blocks() {
    let (line, _, m) =
        error("  z: i32 = const 0\n  for i: i32 in z..z {\n  }\n  y: i32 = add i, z\n");
    assert_eq!(line, 5);
    assert!(
        m.contains("'i' is not defined here: it was defined at line 3"),
        "{m}"
    );
    let (line, _, m) = error(
        "  c: bool = const true\n  if c {\n    x: i32 = const 1\n  } else {\n    y: i32 = add x, x\n  }\n",
    );
    assert_eq!(line, 6);
    assert!(m.contains("'x' is not defined here"), "{m}");
}

#[test]
fn shapes_of_statements_are_checked_where_they_break() {
    let (_, _, m) = error("  x: f32 = const 1.0\n  v: f32x8 = vec x, x, x, x, x, x, x, x, x\n");
    assert_eq!(m, "a vector has at most 8 elements");
    let (_, _, m) = error("  x: f32x3 = const 1.0\n");
    assert_eq!(m, "type 'f32x3': a vector has 2, 4 or 8 elements");
    let (_, _, m) = error("  x: f32x4 = const 1.0\n");
    assert_eq!(m, "a constant is a scalar, not f32x4");
    let (_, _, m) = error("  x: i32 = loop_var\n");
    assert_eq!(m, "a loop variable is defined only by its 'for'");
    let (_, _, m) = error("  x: f32 = const 1e999\n");
    assert_eq!(m, "the number '1e999' is too large for f64");
    let (_, _, m) = error("  store b[x] = x\n");
    assert_eq!(m, "no buffer or shared array named 'b'");
    let (_, _, m) = error("  barier\n");
    assert_eq!(
        m,
        "expected a statement, found 'barier' (did you mean 'barrier'?)"
    );
}

#[test]
fn values_may_be_named_like_keywords() {
    let body = "  c: bool = const true\n  if c {\n  }\n  else: i32 = const 1\n  for: i32 = add else, else\n";
    let text = format!("{HEAD}{body}}}\n");
    let kernel = parse(&text).unwrap_or_else(|e| panic!("{}", e.render("k", &text)));
    let printed = kernel.to_string();
    assert!(
        printed.contains("  if v0 {\n  }\n  v1: i32 = const 1\n  v2: i32 = add v1, v1\n"),
        "{printed}"
    );
}
