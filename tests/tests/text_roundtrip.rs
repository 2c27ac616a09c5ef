//! The canonical printer and the parser agree: print → parse gives the same structure, and
//! printing again gives the same bytes. Handwritten texts check the canonical form itself
//! against expectations written by hand.

use egpu_ir::text::{parse, parse_bytes, print};
use egpu_ir::{DType, Graph};
use egpu_tests::random_graph::arb_graph;
use proptest::prelude::*;

fn parsed(source: &str) -> Graph {
    match parse(source) {
        Ok(g) => g,
        Err(e) => panic!("{}", e.render("test.egir", source)),
    }
}

/// print → parse → same structure; print again → same bytes. Returns the printed text.
#[track_caller]
fn round_trip(g: &Graph) -> String {
    let text = print(g);
    let again = match parse(&text) {
        Ok(again) => again,
        Err(e) => panic!(
            "the printed form does not parse:\n{}\n{text}",
            e.render("printed", &text)
        ),
    };
    assert!(
        again.same_structure(g),
        "not the same structure after printing:\n{text}"
    );
    assert_eq!(print(&again), text, "printing is not stable");
    text
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn random_graphs_round_trip(g in arb_graph()) {
        let text = print(&g);
        let again = parse(&text).map_err(|e| {
            TestCaseError::fail(format!("{}\n{text}", e.render("printed", &text)))
        })?;
        prop_assert!(again.same_structure(&g), "not the same structure:\n{}", text);
        prop_assert_eq!(print(&again), text);
    }
}

/// Bytes that make small edits likely to stay near-valid text.
const ALPHABET: &[u8] = b"()[]{},:=#-.e0123456789 \nxyt_fiu";

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Canonical texts with a few bytes inserted, removed or replaced: the parser never
    /// panics, and whatever still parses round-trips.
    #[test]
    fn edited_texts_never_panic(
        g in arb_graph(),
        edits in prop::collection::vec((any::<u16>(), any::<u8>(), 0u8..3), 1..4),
    ) {
        let mut bytes = print(&g).into_bytes();
        for (at, byte, how) in edits {
            let i = usize::from(at) % (bytes.len() + 1);
            let byte = ALPHABET.get(usize::from(byte) % 48).copied().unwrap_or(byte);
            match how {
                0 => bytes.insert(i, byte),
                1 if i < bytes.len() => {
                    bytes.remove(i);
                }
                _ if i < bytes.len() => bytes[i] = byte,
                _ => {}
            }
        }
        if let Ok(edited) = parse_bytes(&bytes) {
            let text = print(&edited);
            let again = parse(&text).map_err(|e| TestCaseError::fail(e.render("printed", &text)))?;
            prop_assert!(again.same_structure(&edited), "not the same structure:\n{}", text);
            prop_assert_eq!(print(&again), text);
        }
    }

    /// Arbitrary bytes give an error (or, rarely, a graph), never a panic.
    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        if let Err(e) = parse_bytes(&bytes) {
            prop_assert!(e.line >= 1 && e.col >= 1);
            let _ = e.render("junk", &String::from_utf8_lossy(&bytes));
        }
    }
}

#[test]
fn broadcasting_literals_aliases_and_doc() {
    let source = "# doc line one
#
#  indented
graph bcast(x: f32[2, 3], v: f32[3]) {
  y = add(x, v)
  z = mul(y, 2)   # a literal takes y's dtype and shape
  w = z
  return w, out=y
}
";
    let want = "# doc line one
#
#  indented
graph bcast(x: f32[2, 3], v: f32[3]) {
  t2: f32[1, 3] = reshape(v, shape=[1, 3])
  t3: f32[2, 3] = expand(t2, shape=[2, 3])
  y: f32[2, 3] = add(x, t3)
  t5: f32[2, 3] = const(2.0, dtype=f32, shape=[2, 3])
  z: f32[2, 3] = mul(y, t5)
  return w=z, out=y
}
";
    let g = parsed(source);
    assert_eq!(g.doc(), ["doc line one", "", " indented"]);
    assert_eq!(round_trip(&g), want);
}

#[test]
fn every_attribute_is_written_out() {
    let source = "graph attrs(x: i32[2, 3], b: bool[3]) {
  p = permute(x, perm=[1, 0])
  q = pad(p, pads=[[0, 1], [2, 0]])
  r = shrink(q, ranges=[[1, 3], [0, 4]])
  s = flip(r, axes=[-1, 0])
  m = max(s, axes=[1])
  n = min(s, m)
  c = cast(n, to=f16)
  d = bitcast(c, to=u16)
  i = iota(dtype=u16, shape=[2, 4], axis=-1)
  k = const(-0.0, dtype=f64)
  e = where(b, 7, x)
  return d, i, k, e
}
";
    let want = "graph attrs(x: i32[2, 3], b: bool[3]) {
  p: i32[3, 2] = permute(x, perm=[1, 0])
  q: i32[4, 4] = pad(p, pads=[[0, 1], [2, 0]], value=0)
  r: i32[2, 4] = shrink(q, ranges=[[1, 3], [0, 4]])
  s: i32[2, 4] = flip(r, axes=[0, 1])
  m: i32[2, 1] = max(s, axes=[1])
  t7: i32[2, 4] = expand(m, shape=[2, 4])
  n: i32[2, 4] = min(s, t7)
  c: f16[2, 4] = cast(n, to=f16)
  d: u16[2, 4] = bitcast(c, to=u16)
  i: u16[2, 4] = iota(dtype=u16, shape=[2, 4], axis=1)
  k: f64[] = const(-0.0, dtype=f64, shape=[])
  t13: i32[2, 3] = const(7, dtype=i32, shape=[2, 3])
  t14: bool[1, 3] = reshape(b, shape=[1, 3])
  t15: bool[2, 3] = expand(t14, shape=[2, 3])
  e: i32[2, 3] = where(t15, t13, x)
  return d, i, k, e
}
";
    assert_eq!(round_trip(&parsed(source)), want);
}

#[test]
fn literal_spellings() {
    let source = "graph lits(x: f64[2], m: bool[2]) {
  a = max(x, -inf)
  b = min(a, inf)
  c = add(b, nan)
  d = mul(c, -2.5E3)
  e = sub(d, 1e-5)
  f = and(m, true)
  return e, f
}
";
    let want = "graph lits(x: f64[2], m: bool[2]) {
  t2: f64[2] = const(-inf, dtype=f64, shape=[2])
  a: f64[2] = max(x, t2)
  t4: f64[2] = const(inf, dtype=f64, shape=[2])
  b: f64[2] = min(a, t4)
  t6: f64[2] = const(nan, dtype=f64, shape=[2])
  c: f64[2] = add(b, t6)
  t8: f64[2] = const(-2500.0, dtype=f64, shape=[2])
  d: f64[2] = mul(c, t8)
  t10: f64[2] = const(1e-5, dtype=f64, shape=[2])
  e: f64[2] = sub(d, t10)
  t12: bool[2] = const(true, dtype=bool, shape=[2])
  f: bool[2] = and(m, t12)
  return e, f
}
";
    assert_eq!(round_trip(&parsed(source)), want);
}

#[test]
fn taken_names_get_the_node_number() {
    // The const is node 2, whose default name `t2` is already taken.
    let source = "graph names(x: f32[4]) {
  t2 = neg(x)
  a = add(x, 1.5)
  return t2, result=a
}
";
    let want = "graph names(x: f32[4]) {
  t2: f32[4] = neg(x)
  t2_2: f32[4] = const(1.5, dtype=f32, shape=[4])
  a: f32[4] = add(x, t2_2)
  return t2, result=a
}
";
    assert_eq!(round_trip(&parsed(source)), want);
}

#[test]
fn canonical_text_parses_to_itself() {
    // Type annotations, calls over several lines, trailing commas and comments everywhere.
    let source = "graph g(
    x: u8[2, 2],   # an input
) {
  y: u8[2, 2] = shl(
      x,
      3,
  )
  z: bool[2, 2] = cmpne(y, x)  # compare
  return z
}
";
    let want = "graph g(x: u8[2, 2]) {
  t1: u8[2, 2] = const(3, dtype=u8, shape=[2, 2])
  y: u8[2, 2] = shl(x, t1)
  z: bool[2, 2] = cmpne(y, x)
  return z
}
";
    assert_eq!(round_trip(&parsed(source)), want);
    assert_eq!(print(&parsed(want)), want);
}

/// A composite text parses to primitives only, with the expected result type, and its
/// canonical form round-trips. (These need the composite expansions in the builder.)
#[track_caller]
fn composite(source: &str, dtype: DType, dims: &[usize]) {
    let g = parsed(source);
    let out = g.node(g.outputs()[0].node);
    assert_eq!(
        (out.dtype, out.shape.dims()),
        (dtype, dims),
        "result type of\n{source}"
    );
    let text = round_trip(&g);
    for name in [
        "matmul",
        "softmax",
        "layernorm",
        "rmsnorm",
        "gelu",
        "silu",
        "relu",
        "sigmoid",
        "exp(",
        "log(",
        "tanh",
        "mean",
        "var(",
        "conv2d",
        "max_pool2d",
        "attention",
    ] {
        assert!(
            !text.contains(&format!(" = {name}")),
            "composite {name} in the canonical form:\n{text}"
        );
    }
}

#[test]
fn composite_transformer_block() {
    composite(
        "graph block(x: f32[2, 8], w: f32[8, 4], g: f32[4], bias: f32[4]) {
  h = matmul(x, w)
  n = layernorm(h, g, bias, eps=1e-5)
  s = softmax(n, axis=-1)
  a = gelu(s)
  return a
}",
        DType::F32,
        &[2, 4],
    );
}

#[test]
fn composite_convolution() {
    composite(
        "graph conv(x: f32[1, 3, 8, 8], k: f32[4, 3, 3, 3], b: f32[4]) {
  y = conv2d(x, k, b, stride=2, padding=[1, 1])
  z = relu(y)
  p = max_pool2d(z, kernel=2)
  return p
}",
        DType::F32,
        &[1, 4, 2, 2],
    );
}

#[test]
fn composite_attention() {
    composite(
        "graph attn(q: f32[2, 4, 8], k: f32[2, 6, 8], v: f32[2, 6, 5]) {
  o = attention(q, k, v, causal=true, scale=0.125)
  return o
}",
        DType::F32,
        &[2, 4, 5],
    );
}

#[test]
fn composite_reductions_and_activations() {
    composite(
        "graph misc(x: f32[2, 8], w: f32[8]) {
  m = mean(x, axes=[-1])
  v = var(x, axes=[0, 1], correction=1)
  r = rmsnorm(x, w)
  l = log_softmax(r, axis=0)
  a = add(silu(l), sigmoid(exp(log(tanh(l)))))
  s = add(a, add(m, v))
  return s
}",
        DType::F32,
        &[2, 8],
    );
}

#[test]
fn composite_half_matmul_accumulates_in_f32() {
    composite(
        "graph mm(a: f16[3, 4], b: f16[2, 4, 5]) {
  c = matmul(a, b, dtype=f32)
  return c
}",
        DType::F32,
        &[2, 3, 5],
    );
}
