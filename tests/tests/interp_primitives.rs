//! The reference interpreter's primitive operations against independent computations:
//! Rust's typed integer operations (`i8::wrapping_add`, `wrapping_shl`, `as` casts), native
//! f32/f64 arithmetic, the `half` crate, an exact float rounding written here, and
//! hand-written index loops. Expected values never come from the interpreter itself.

use egpu_ir::interp::{Data, EvalError, Tensor, evaluate, random_inputs, random_tensor};
use egpu_ir::{
    BinaryOp, BuildResult, DType, Graph, GraphBuilder, NodeId, ReduceOp, Scalar, Shape, UnaryOp,
};
use half::{bf16, f16};
use std::collections::BTreeMap;

// ---------------------------------------------------------------------------------------
// Independent references
// ---------------------------------------------------------------------------------------

/// Runs `$body` with `$t` bound to the Rust integer type of an integer dtype.
macro_rules! with_int_type {
    ($dtype:expr, $t:ident => $body:expr) => {
        match $dtype {
            DType::I8 => {
                type $t = i8;
                $body
            }
            DType::I16 => {
                type $t = i16;
                $body
            }
            DType::I32 => {
                type $t = i32;
                $body
            }
            DType::I64 => {
                type $t = i64;
                $body
            }
            DType::U8 => {
                type $t = u8;
                $body
            }
            DType::U16 => {
                type $t = u16;
                $body
            }
            DType::U32 => {
                type $t = u32;
                $body
            }
            DType::U64 => {
                type $t = u64;
                $body
            }
            other => panic!("{other} is not an integer dtype"),
        }
    };
}

const FLOATS: [DType; 4] = [DType::F16, DType::BF16, DType::F32, DType::F64];

/// (significand bits, lowest normal exponent, largest finite value) of a float dtype.
fn format_of(dtype: DType) -> (i32, i32, f64) {
    match dtype {
        DType::F16 => (11, -14, 65504.0),
        DType::BF16 => (8, -126, (2.0 - 2f64.powi(-7)) * 2f64.powi(127)),
        DType::F32 => (24, -126, f64::from(f32::MAX)),
        _ => (53, -1022, f64::MAX),
    }
}

/// `v` rounded to the nearest value of float `dtype`, ties to even, computed exactly: the
/// value is scaled by a power of two so that the dtype's last significand bit is the unit,
/// rounded to an integer, and scaled back (every step exact in f64).
fn round_ref(v: f64, dtype: DType) -> f64 {
    if dtype == DType::F64 || !v.is_finite() || v == 0.0 {
        return v;
    }
    let (precision, min_exp, max) = format_of(dtype);
    // f64 subnormals lie far below every narrower dtype's range; any exponent works for them.
    let exp = ((v.to_bits() >> 52) & 0x7ff) as i32 - 1023;
    let quantum = 2f64.powi(exp.max(min_exp) - (precision - 1));
    let rounded = (v / quantum).round_ties_even() * quantum;
    if rounded.abs() > max {
        f64::INFINITY.copysign(v)
    } else {
        rounded
    }
}

fn min_subnormal(dtype: DType) -> f64 {
    match dtype {
        DType::F16 => 2f64.powi(-24),
        DType::BF16 => 2f64.powi(-133),
        DType::F32 => 2f64.powi(-149),
        _ => f64::from_bits(1),
    }
}

fn int_range(dtype: DType) -> (i128, i128) {
    with_int_type!(dtype, T => (T::MIN as i128, T::MAX as i128))
}

fn unary_ref(op: UnaryOp, dtype: DType, x: Scalar) -> Scalar {
    match x {
        Scalar::Bool(b) => Scalar::Bool(!b),
        Scalar::Int(i) => Scalar::Int(with_int_type!(dtype, T => {
            let x = i as T;
            (if op == UnaryOp::Neg { x.wrapping_neg() } else { !x }) as i128
        })),
        Scalar::Float(f) => Scalar::Float(float_unary_ref(op, dtype, f)),
    }
}

fn float_unary_ref(op: UnaryOp, dtype: DType, x: f64) -> f64 {
    // f32's own sqrt and division are correctly rounded: an independent check.
    let x32 = x as f32;
    match (op, dtype) {
        (UnaryOp::Sqrt, DType::F32) => return f64::from(x32.sqrt()),
        (UnaryOp::Recip, DType::F32) => return f64::from(1.0 / x32),
        _ => {}
    }
    let exact = match op {
        UnaryOp::Neg => -x,
        UnaryOp::Exp2 => x.exp2(),
        UnaryOp::Log2 => x.log2(),
        UnaryOp::Sin => x.sin(),
        UnaryOp::Sqrt => x.sqrt(),
        UnaryOp::Recip => 1.0 / x,
        UnaryOp::Trunc => x.trunc(),
        UnaryOp::Not => panic!("not is not a float operation"),
    };
    round_ref(exact, dtype)
}

/// The expected `a op b`, or `None` for a zero integer divisor.
fn binary_ref(op: BinaryOp, dtype: DType, a: Scalar, b: Scalar) -> Option<Scalar> {
    match (a, b) {
        (Scalar::Bool(x), Scalar::Bool(y)) => Some(Scalar::Bool(bool_binary_ref(op, x, y))),
        (Scalar::Int(x), Scalar::Int(y)) => int_binary_ref(op, dtype, x, y),
        (Scalar::Float(x), Scalar::Float(y)) => Some(float_binary_ref(op, dtype, x, y)),
        _ => panic!("mixed operands"),
    }
}

fn bool_binary_ref(op: BinaryOp, a: bool, b: bool) -> bool {
    match op {
        BinaryOp::And => a && b,
        BinaryOp::Or => a || b,
        BinaryOp::Xor => a != b,
        BinaryOp::CmpEq => a == b,
        BinaryOp::CmpNe => a != b,
        _ => panic!("{op:?} is not a bool operation"),
    }
}

// The macro instantiates the body for every width: for u32, `as u32` changes nothing.
#[allow(clippy::unnecessary_cast)]
fn int_binary_ref(op: BinaryOp, dtype: DType, a: i128, b: i128) -> Option<Scalar> {
    use BinaryOp::*;
    with_int_type!(dtype, T => {
        let (x, y) = (a as T, b as T);
        let value: T = match op {
            Add => x.wrapping_add(y),
            Sub => x.wrapping_sub(y),
            Mul => x.wrapping_mul(y),
            Idiv | Mod if y == 0 => return None,
            Idiv => x.wrapping_div(y),
            Mod => x.wrapping_rem(y),
            Max => x.max(y),
            Min => x.min(y),
            And => x & y,
            Or => x | y,
            Xor => x ^ y,
            // Rust's wrapping shifts take the amount modulo the width, from its low bits.
            Shl => x.wrapping_shl(y as u32),
            Shr => x.wrapping_shr(y as u32),
            CmpLt => return Some(Scalar::Bool(x < y)),
            CmpEq => return Some(Scalar::Bool(x == y)),
            CmpNe => return Some(Scalar::Bool(x != y)),
            Div => panic!("div is not an integer operation"),
        };
        Some(Scalar::Int(value as i128))
    })
}

fn float_binary_ref(op: BinaryOp, dtype: DType, a: f64, b: f64) -> Scalar {
    use BinaryOp::*;
    // f32 arithmetic is correctly rounded in hardware: use it for f32 instead of rounding.
    let (x, y) = (a as f32, b as f32);
    let arith = |exact: f64, native: f32| {
        if dtype == DType::F32 {
            f64::from(native)
        } else {
            round_ref(exact, dtype)
        }
    };
    Scalar::Float(match op {
        Add => arith(a + b, x + y),
        Sub => arith(a - b, x - y),
        Mul => arith(a * b, x * y),
        Div => arith(a / b, x / y),
        Max => max_ref(a, b),
        Min => min_ref(a, b),
        CmpLt => return Scalar::Bool(a < b),
        CmpEq => return Scalar::Bool(a == b),
        CmpNe => return Scalar::Bool(a != b),
        _ => panic!("{op:?} is not a float operation"),
    })
}

/// NaN if either is NaN; +0 counts as larger than -0.
fn max_ref(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        return f64::NAN;
    }
    if a > b || (a == b && b.is_sign_negative()) {
        a
    } else {
        b
    }
}

fn min_ref(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        return f64::NAN;
    }
    if a < b || (a == b && a.is_sign_negative()) {
        a
    } else {
        b
    }
}

/// The documented `cast`, with Rust's `as` (which truncates, saturates and sends NaN to 0
/// for float→int, and wraps for int→int).
fn cast_ref(x: Scalar, to: DType) -> Scalar {
    match x {
        Scalar::Bool(b) if to.is_bool() => Scalar::Bool(b),
        Scalar::Bool(b) if to.is_float() => Scalar::Float(if b { 1.0 } else { 0.0 }),
        Scalar::Bool(b) => Scalar::Int(i128::from(b)),
        Scalar::Int(i) if to.is_bool() => Scalar::Bool(i != 0),
        Scalar::Int(i) if to == DType::F32 => Scalar::Float(f64::from(i as f32)),
        // Exact for the |i| < 2^53 and 2^64-adjacent values used here.
        Scalar::Int(i) if to.is_float() => Scalar::Float(round_ref(i as f64, to)),
        Scalar::Int(i) => Scalar::Int(with_int_type!(to, T => i as T as i128)),
        Scalar::Float(f) if to.is_bool() => Scalar::Bool(f != 0.0),
        Scalar::Float(f) if to == DType::F32 => Scalar::Float(f64::from(f as f32)),
        Scalar::Float(f) if to.is_float() => Scalar::Float(round_ref(f, to)),
        Scalar::Float(f) => Scalar::Int(with_int_type!(to, T => f as T as i128)),
    }
}

fn bits_ref(x: Scalar, dtype: DType) -> u64 {
    let mask = if dtype.bits() == 64 {
        u64::MAX
    } else {
        (1u64 << dtype.bits()) - 1
    };
    match (x, dtype) {
        (Scalar::Int(i), _) => i as u64 & mask,
        (Scalar::Float(f), DType::F16) => u64::from(f16::from_f64(f).to_bits()),
        (Scalar::Float(f), DType::BF16) => u64::from(bf16::from_f64(f).to_bits()),
        (Scalar::Float(f), DType::F32) => u64::from((f as f32).to_bits()),
        (Scalar::Float(f), _) => f.to_bits(),
        (Scalar::Bool(_), _) => panic!("bool has no bitcast"),
    }
}

fn from_bits_ref(bits: u64, dtype: DType) -> Scalar {
    match dtype {
        DType::F16 => Scalar::Float(f16::from_bits(bits as u16).to_f64()),
        DType::BF16 => Scalar::Float(bf16::from_bits(bits as u16).to_f64()),
        DType::F32 => Scalar::Float(f64::from(f32::from_bits(bits as u32))),
        DType::F64 => Scalar::Float(f64::from_bits(bits)),
        d => Scalar::Int(with_int_type!(d, T => bits as T as i128)),
    }
}

/// Exact equality: floats by bits, all NaNs equal.
fn same(a: Scalar, b: Scalar) -> bool {
    match (a, b) {
        (Scalar::Bool(x), Scalar::Bool(y)) => x == y,
        (Scalar::Int(x), Scalar::Int(y)) => x == y,
        (Scalar::Float(x), Scalar::Float(y)) => {
            x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan())
        }
        _ => false,
    }
}

// ---------------------------------------------------------------------------------------
// Test values, graphs and evaluation
// ---------------------------------------------------------------------------------------

/// xorshift64*: the tests' own generator, independent of the interpreter's.
struct TestRng(u64);

impl TestRng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Special values of a float dtype, then random ones of many magnitudes.
fn float_values(dtype: DType, count: usize, seed: u64) -> Vec<f64> {
    let (_, _, max) = format_of(dtype);
    let specials = [
        0.0,
        -0.0,
        1.0,
        -1.0,
        0.5,
        3.0,
        -2.75,
        1e-3,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NAN,
        max,
        -max,
        min_subnormal(dtype),
    ];
    let mut values: Vec<f64> = specials.iter().map(|&v| round_ref(v, dtype)).collect();
    let mut rng = TestRng(seed | 1);
    while values.len() < count {
        let unit = (rng.next() >> 11) as f64 * 2f64.powi(-52) - 1.0;
        values.push(round_ref(
            unit * 2f64.powi(rng.below(25) as i32 - 12),
            dtype,
        ));
    }
    values
}

/// Boundary values of an integer dtype, shift amounts past the width among them.
fn int_boundaries(dtype: DType) -> Vec<i128> {
    let (lo, hi) = int_range(dtype);
    let fixed = [
        lo,
        lo + 1,
        -65,
        -64,
        -9,
        -8,
        -2,
        -1,
        0,
        1,
        2,
        3,
        7,
        8,
        9,
        15,
        16,
        31,
        32,
        33,
        63,
        64,
        65,
        127,
        128,
        255,
        256,
        hi - 1,
        hi,
    ];
    let mut values: Vec<i128> = Vec::new();
    for v in fixed {
        if lo <= v && v <= hi && !values.contains(&v) {
            values.push(v);
        }
    }
    values
}

/// Random bit patterns of an integer dtype.
fn random_ints(dtype: DType, count: usize, seed: u64) -> Vec<i128> {
    let mut rng = TestRng(seed | 1);
    (0..count)
        .map(|_| with_int_type!(dtype, T => rng.next() as T as i128))
        .collect()
}

/// Boundary values, then random ones.
fn int_values(dtype: DType, count: usize, seed: u64) -> Vec<i128> {
    let mut values = int_boundaries(dtype);
    let more = count.saturating_sub(values.len());
    values.extend(random_ints(dtype, more, seed));
    values
}

/// Every pair of the first `fixed` values, then `extra` pairs of the rest.
fn pairs<T: Copy>(values: &[T], fixed: usize, extra: usize) -> (Vec<T>, Vec<T>) {
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for &x in &values[..fixed] {
        for &y in &values[..fixed] {
            a.push(x);
            b.push(y);
        }
    }
    let rest = &values[fixed..];
    for i in 0..extra.min(rest.len()) {
        a.push(rest[i]);
        b.push(rest[(i * 7 + 3) % rest.len()]);
    }
    (a, b)
}

/// Operand pairs for `dtype`, as scalars.
fn operand_pairs(dtype: DType) -> (Vec<Scalar>, Vec<Scalar>) {
    if dtype.is_bool() {
        let a = [false, false, true, true].map(Scalar::Bool).to_vec();
        let b = [false, true, false, true].map(Scalar::Bool).to_vec();
        return (a, b);
    }
    if dtype.is_float() {
        let values: Vec<Scalar> = float_values(dtype, 400, 11)
            .into_iter()
            .map(Scalar::Float)
            .collect();
        return pairs(&values, 14, 300);
    }
    let fixed = int_boundaries(dtype).len();
    let values: Vec<Scalar> = int_values(dtype, fixed + 200, 13)
        .into_iter()
        .map(Scalar::Int)
        .collect();
    pairs(&values, fixed, 200)
}

fn shape(dims: &[usize]) -> Shape {
    Shape::new(dims.to_vec()).unwrap()
}

fn tensor(dtype: DType, dims: &[usize], values: Vec<Scalar>) -> Tensor {
    Tensor::from_scalars(dtype, shape(dims), values).unwrap()
}

fn ints(dtype: DType, dims: &[usize], values: &[i128]) -> Tensor {
    Tensor::new(dtype, shape(dims), Data::Int(values.to_vec())).unwrap()
}

fn floats(dtype: DType, dims: &[usize], values: &[f64]) -> Tensor {
    Tensor::new(dtype, shape(dims), Data::Float(values.to_vec())).unwrap()
}

/// A graph whose one output `y` is what `body` builds.
fn build(body: impl FnOnce(&mut GraphBuilder) -> BuildResult<NodeId>) -> BuildResult<Graph> {
    let mut b = GraphBuilder::new("test");
    let y = body(&mut b)?;
    b.output("y", y)?;
    b.finish()
}

fn inputs(named: Vec<(&str, Tensor)>) -> BTreeMap<String, Tensor> {
    named.into_iter().map(|(n, t)| (n.to_string(), t)).collect()
}

/// The single output of `graph` on `named` inputs.
fn run(graph: &Graph, named: Vec<(&str, Tensor)>) -> Result<Tensor, EvalError> {
    let mut outputs = evaluate(graph, &inputs(named))?;
    assert_eq!(outputs.len(), 1);
    Ok(outputs.remove(0).1)
}

fn assert_scalars(actual: &Tensor, expected: &[Scalar], context: impl Fn(usize) -> String) {
    let got: Vec<Scalar> = actual.scalars().collect();
    assert_eq!(got.len(), expected.len(), "{}", context(0));
    for (i, (&g, &e)) in got.iter().zip(expected).enumerate() {
        assert!(same(g, e), "{}: got {g:?}, expected {e:?}", context(i));
    }
}

fn assert_ints(actual: &Tensor, dims: &[usize], expected: &[i128]) {
    assert_eq!(actual.shape.dims(), dims);
    assert_eq!(actual.data, Data::Int(expected.to_vec()));
}

// ---------------------------------------------------------------------------------------
// Elementwise operations
// ---------------------------------------------------------------------------------------

/// Which dtypes each unary op takes, from the documented semantics table.
fn unary_accepts(op: UnaryOp, dtype: DType) -> bool {
    match op {
        UnaryOp::Neg => dtype.is_int() || dtype.is_float(),
        UnaryOp::Not => dtype.is_int() || dtype.is_bool(),
        _ => dtype.is_float(),
    }
}

fn unary_operands(dtype: DType) -> Vec<Scalar> {
    if dtype.is_bool() {
        vec![Scalar::Bool(false), Scalar::Bool(true)]
    } else if dtype.is_float() {
        float_values(dtype, 500, 5)
            .into_iter()
            .map(Scalar::Float)
            .collect()
    } else {
        int_values(dtype, 200, 7)
            .into_iter()
            .map(Scalar::Int)
            .collect()
    }
}

/// Checks `op` on every dtype of `dtypes` against the reference; answers how many the
/// builder accepted (the others it must refuse, as documented).
fn check_unary(op: UnaryOp, dtypes: &[DType]) -> usize {
    let mut checked = 0;
    for &dtype in dtypes {
        let xs = unary_operands(dtype);
        let n = xs.len();
        let graph = build(|b| {
            let x = b.input("x", dtype, &[n])?;
            b.unary(op, x)
        });
        assert_eq!(graph.is_ok(), unary_accepts(op, dtype), "{op:?} on {dtype}");
        let Ok(graph) = graph else { continue };
        let out = run(&graph, vec![("x", tensor(dtype, &[n], xs.clone()))]).unwrap();
        let expected: Vec<Scalar> = xs.iter().map(|&x| unary_ref(op, dtype, x)).collect();
        assert_scalars(&out, &expected, |i| format!("{op:?} {dtype} x={:?}", xs[i]));
        checked += 1;
    }
    checked
}

#[test]
fn unary_ops_on_every_dtype() {
    let mut checked = 0;
    for op in UnaryOp::ALL {
        checked += check_unary(op, &DType::ALL);
    }
    // neg: 12 dtypes, not: 9, the six float-only ops: 4 each.
    assert_eq!(checked, 12 + 9 + 6 * 4);
}

#[test]
fn float_unary_special_cases() {
    let graph = |op| {
        build(|b| {
            let x = b.input("x", DType::F32, &[4])?;
            b.unary(op, x)
        })
        .unwrap()
    };
    let x = || floats(DType::F32, &[4], &[-1.0, 0.0, -0.0, -0.5]);
    let out = |op| run(&graph(op), vec![("x", x())]).unwrap().to_f64_vec();
    let log2 = out(UnaryOp::Log2);
    assert!(log2[0].is_nan() && log2[1] == f64::NEG_INFINITY && log2[2] == f64::NEG_INFINITY);
    let sqrt = out(UnaryOp::Sqrt);
    assert!(sqrt[0].is_nan() && sqrt[2] == 0.0 && sqrt[2].is_sign_negative());
    let recip = out(UnaryOp::Recip);
    assert_eq!(recip[..3], [-1.0, f64::INFINITY, f64::NEG_INFINITY]);
    let trunc = out(UnaryOp::Trunc);
    assert!(trunc[3] == 0.0 && trunc[3].is_sign_negative());
}

/// Which dtypes each binary op takes, from the documented semantics table.
fn binary_accepts(op: BinaryOp, dtype: DType) -> bool {
    use BinaryOp::*;
    let numeric = dtype.is_int() || dtype.is_float();
    match op {
        Add | Sub | Mul | Max | Min | CmpLt => numeric,
        Div => dtype.is_float(),
        Idiv | Mod | Shl | Shr => dtype.is_int(),
        And | Or | Xor => dtype.is_int() || dtype.is_bool(),
        CmpEq | CmpNe => true,
    }
}

fn binary_graph(op: BinaryOp, dtype: DType, n: usize) -> BuildResult<Graph> {
    build(|b| {
        let x = b.input("a", dtype, &[n])?;
        let y = b.input("b", dtype, &[n])?;
        b.binary(op, x, y)
    })
}

#[test]
fn binary_ops_on_every_dtype() {
    let mut checked = 0;
    for dtype in DType::ALL {
        for op in BinaryOp::ALL {
            let (mut a, mut b) = operand_pairs(dtype);
            if matches!(op, BinaryOp::Idiv | BinaryOp::Mod) {
                // A zero divisor is an error, checked on its own below.
                let keep: Vec<bool> = b.iter().map(|s| !same(*s, Scalar::Int(0))).collect();
                a = a
                    .into_iter()
                    .zip(&keep)
                    .filter(|(_, k)| **k)
                    .map(|(s, _)| s)
                    .collect();
                b = b
                    .into_iter()
                    .zip(&keep)
                    .filter(|(_, k)| **k)
                    .map(|(s, _)| s)
                    .collect();
            }
            let n = a.len();
            let graph = binary_graph(op, dtype, n);
            assert_eq!(
                graph.is_ok(),
                binary_accepts(op, dtype),
                "{op:?} on {dtype}"
            );
            let Ok(graph) = graph else { continue };
            let named = vec![
                ("a", tensor(dtype, &[n], a.clone())),
                ("b", tensor(dtype, &[n], b.clone())),
            ];
            let out = run(&graph, named).unwrap();
            let expected: Vec<Scalar> = (0..n)
                .map(|i| binary_ref(op, dtype, a[i], b[i]).unwrap())
                .collect();
            assert_scalars(&out, &expected, |i| {
                format!("{op:?} {dtype} a={:?} b={:?}", a[i], b[i])
            });
            checked += 1;
        }
    }
    // add sub mul max min cmplt: 12 dtypes each; div: 4; idiv mod shl shr: 8 each;
    // and or xor: 9 each; cmpeq cmpne: 13 each.
    assert_eq!(checked, 6 * 12 + 4 + 4 * 8 + 3 * 9 + 2 * 13);
}

/// Random f16/bf16 values of any magnitude (bit patterns that are not NaN or infinite).
fn half_values(count: usize, seed: u64, is_bf16: bool) -> Vec<f64> {
    let mut rng = TestRng(seed);
    let mut out = Vec::new();
    while out.len() < count {
        let bits = rng.next() as u16;
        let v = if is_bf16 {
            bf16::from_bits(bits).to_f64()
        } else {
            f16::from_bits(bits).to_f64()
        };
        if v.is_finite() {
            out.push(v);
        }
    }
    out
}

#[test]
fn f16_and_bf16_arithmetic_rounds_each_result_from_the_exact_value() {
    for (dtype, is_bf16) in [(DType::F16, false), (DType::BF16, true)] {
        let (a, b) = (
            half_values(2000, 21, is_bf16),
            half_values(2000, 22, is_bf16),
        );
        let from_f64 = |v: f64| {
            if is_bf16 {
                bf16::from_f64(v).to_f64()
            } else {
                f16::from_f64(v).to_f64()
            }
        };
        for (op, f) in [
            (BinaryOp::Add, (|x, y| x + y) as fn(f64, f64) -> f64),
            (BinaryOp::Sub, |x, y| x - y),
            (BinaryOp::Mul, |x, y| x * y),
            (BinaryOp::Div, |x, y| x / y),
        ] {
            let graph = binary_graph(op, dtype, a.len()).unwrap();
            let named = vec![
                ("a", floats(dtype, &[a.len()], &a)),
                ("b", floats(dtype, &[b.len()], &b)),
            ];
            let out = run(&graph, named).unwrap().to_f64_vec();
            for i in 0..a.len() {
                let expected = from_f64(f(a[i], b[i]));
                let ok = out[i] == expected || (out[i].is_nan() && expected.is_nan());
                assert!(
                    ok,
                    "{op:?} {dtype} {} {}: got {}, expected {expected}",
                    a[i], b[i], out[i]
                );
                assert!(same(
                    Scalar::Float(out[i]),
                    Scalar::Float(round_ref(f(a[i], b[i]), dtype))
                ));
            }
        }
    }
}

#[test]
fn a_chain_of_two_half_precision_adds_rounds_after_each() {
    // 1 + u/2 is a tie that rounds to even (1.0) twice; rounding 1 + u/2 + u/2 once gives 1 + u.
    for (dtype, half_ulp) in [(DType::F16, 2f64.powi(-11)), (DType::BF16, 2f64.powi(-8))] {
        let graph = build(|b| {
            let x = b.input("x", dtype, &[1])?;
            let y = b.input("y", dtype, &[1])?;
            let t = b.binary(BinaryOp::Add, x, y)?;
            b.binary(BinaryOp::Add, t, y)
        })
        .unwrap();
        let named = vec![
            ("x", floats(dtype, &[1], &[1.0])),
            ("y", floats(dtype, &[1], &[half_ulp])),
        ];
        let out = run(&graph, named).unwrap().to_f64_vec();
        assert_eq!(out, [1.0], "{dtype}");
        assert_eq!(round_ref(1.0 + 2.0 * half_ulp, dtype), 1.0 + 2.0 * half_ulp);
    }
    // And f16 multiplication: (3 * (1 + 2^-10)) rounds, then * 3 again.
    let graph = build(|b| {
        let x = b.input("x", DType::F16, &[1])?;
        let three = b.constant(Scalar::Float(3.0), DType::F16, &[1])?;
        let t = b.binary(BinaryOp::Mul, x, three)?;
        b.binary(BinaryOp::Mul, t, three)
    })
    .unwrap();
    let x = 1.0 + 2f64.powi(-10);
    let out = run(&graph, vec![("x", floats(DType::F16, &[1], &[x]))])
        .unwrap()
        .to_f64_vec();
    let twice = f16::from_f64(f16::from_f64(x * 3.0).to_f64() * 3.0).to_f64();
    assert_eq!(out, [twice]);
    assert_ne!(twice, f16::from_f64(x * 9.0).to_f64());
}

#[test]
fn integer_division_edge_cases() {
    let graph = |op| binary_graph(op, DType::I64, 4).unwrap();
    let min = i128::from(i64::MIN);
    let a = ints(DType::I64, &[4], &[min, -7, 7, -7]);
    let b = ints(DType::I64, &[4], &[-1, 2, -2, -2]);
    let q = run(
        &graph(BinaryOp::Idiv),
        vec![("a", a.clone()), ("b", b.clone())],
    )
    .unwrap();
    assert_ints(
        &q,
        &[4],
        &[i128::from(i64::MIN.wrapping_div(-1)), -3, -3, 3],
    );
    let r = run(&graph(BinaryOp::Mod), vec![("a", a), ("b", b)]).unwrap();
    assert_ints(&r, &[4], &[0, -1, 1, -1]);
}

#[test]
fn division_by_zero_is_an_error_naming_the_node() {
    for op in [BinaryOp::Idiv, BinaryOp::Mod] {
        for dtype in [DType::I8, DType::U32, DType::I64] {
            let graph = binary_graph(op, dtype, 3).unwrap();
            let named = vec![
                ("a", ints(dtype, &[3], &[1, 2, 3])),
                ("b", ints(dtype, &[3], &[1, 0, 1])),
            ];
            match run(&graph, named) {
                Err(EvalError::DivisionByZero { node }) => {
                    assert!(node.contains(op.name()), "{node}");
                    assert!(node.starts_with('n'), "{node}");
                }
                other => panic!("{op:?} {dtype}: expected a division-by-zero error, got {other:?}"),
            }
        }
    }
}

#[test]
fn shifts_take_the_amount_modulo_the_width_and_shr_follows_signedness() {
    let shift = |op, dtype, a: i128, b: i128| {
        let graph = binary_graph(op, dtype, 1).unwrap();
        let out = run(
            &graph,
            vec![
                ("a", ints(dtype, &[1], &[a])),
                ("b", ints(dtype, &[1], &[b])),
            ],
        )
        .unwrap();
        out.get(0)
    };
    let int = |s: Scalar| match s {
        Scalar::Int(i) => i,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        int(shift(BinaryOp::Shl, DType::I32, 1, 33)),
        i128::from(1i32.wrapping_shl(33))
    );
    assert_eq!(int(shift(BinaryOp::Shl, DType::U8, 1, 8)), 1);
    assert_eq!(int(shift(BinaryOp::Shl, DType::I8, 1, -1)), -128);
    assert_eq!(int(shift(BinaryOp::Shr, DType::U8, 0x80, 9)), 0x40);
    assert_eq!(int(shift(BinaryOp::Shr, DType::I8, -128, 7)), -1);
    assert_eq!(int(shift(BinaryOp::Shr, DType::U8, 128, 7)), 1);
    assert_eq!(int(shift(BinaryOp::Shr, DType::I64, -1, 64)), -1);
    assert_eq!(
        int(shift(BinaryOp::Shr, DType::U64, i128::from(u64::MAX), 63)),
        1
    );
    assert_eq!(
        int(shift(BinaryOp::Shl, DType::U64, 3, 63)),
        i128::from(3u64 << 63)
    );
}

#[test]
fn where_selects_on_every_dtype() {
    for dtype in DType::ALL {
        let xs = unary_operands(dtype);
        let n = xs.len();
        let ys: Vec<Scalar> = xs.iter().rev().copied().collect();
        let cond: Vec<bool> = (0..n).map(|i| i % 3 == 1).collect();
        let graph = build(|b| {
            let c = b.input("c", DType::Bool, &[n])?;
            let x = b.input("x", dtype, &[n])?;
            let y = b.input("y", dtype, &[n])?;
            b.where_(c, x, y)
        })
        .unwrap();
        let named = vec![
            (
                "c",
                Tensor::new(DType::Bool, shape(&[n]), Data::Bool(cond.clone())).unwrap(),
            ),
            ("x", tensor(dtype, &[n], xs.clone())),
            ("y", tensor(dtype, &[n], ys.clone())),
        ];
        let out = run(&graph, named).unwrap();
        let expected: Vec<Scalar> = (0..n)
            .map(|i| if cond[i] { xs[i] } else { ys[i] })
            .collect();
        assert_scalars(&out, &expected, |i| format!("where {dtype} at {i}"));
    }
}

/// `v` as a value of `dtype` by the test's own conversion (Rust's saturating `as`).
fn from_seed(v: f64, dtype: DType) -> Scalar {
    if dtype.is_bool() {
        Scalar::Bool(v != 0.0)
    } else if dtype.is_float() {
        Scalar::Float(round_ref(v, dtype))
    } else {
        Scalar::Int(with_int_type!(dtype, T => v as T as i128))
    }
}

#[test]
fn cast_between_every_pair_of_dtypes() {
    let seeds = [
        0.0,
        -0.0,
        0.1,
        -0.1,
        0.5,
        1.0,
        -1.0,
        1.5,
        -1.5,
        2.5,
        -2.5,
        100.7,
        -100.7,
        127.9,
        128.0,
        255.5,
        256.0,
        -129.0,
        300.0,
        -300.0,
        65504.0,
        65519.0,
        65520.0,
        70000.0,
        -70000.0,
        1e10,
        -1e10,
        3e38,
        1e300,
        -1e300,
        1e-8,
        1e-40,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NAN,
    ];
    for from in DType::ALL {
        let xs: Vec<Scalar> = seeds.iter().map(|&v| from_seed(v, from)).collect();
        let n = xs.len();
        for to in DType::ALL {
            let graph = build(|b| {
                let x = b.input("x", from, &[n])?;
                b.cast(x, to)
            })
            .unwrap();
            let out = run(&graph, vec![("x", tensor(from, &[n], xs.clone()))]).unwrap();
            assert_eq!(out.dtype, to);
            let expected: Vec<Scalar> = xs.iter().map(|&x| cast_ref(x, to)).collect();
            assert_scalars(&out, &expected, |i| {
                format!("cast {from} -> {to} of {:?}", xs[i])
            });
        }
    }
}

fn cast1(from: DType, to: DType, x: Scalar) -> Scalar {
    let graph = build(|b| {
        let x = b.input("x", from, &[1])?;
        b.cast(x, to)
    })
    .unwrap();
    run(&graph, vec![("x", tensor(from, &[1], vec![x]))])
        .unwrap()
        .get(0)
}

#[test]
fn cast_saturates_sends_nan_to_zero_and_rounds_ints_once() {
    let f = |v: f64| Scalar::Float(v);
    let i = |v: i128| Scalar::Int(v);
    assert!(same(cast1(DType::F32, DType::I32, f(f64::NAN)), i(0)));
    assert!(same(
        cast1(DType::F64, DType::I32, f(1e10)),
        i(i128::from(i32::MAX))
    ));
    assert!(same(cast1(DType::F64, DType::U8, f(-1e10)), i(0)));
    assert!(same(cast1(DType::F32, DType::I8, f(-1.75)), i(-1)));
    assert!(same(
        cast1(DType::F16, DType::U64, f(f64::INFINITY)),
        i(i128::from(u64::MAX))
    ));
    assert!(same(cast1(DType::I32, DType::U8, i(300)), i(44)));
    assert!(same(
        cast1(DType::I32, DType::U32, i(-1)),
        i(i128::from(u32::MAX))
    ));
    // 2^24 + 1 is a tie between 2^24 and 2^24 + 2: even wins; 2^24 + 3 rounds up.
    let big = 1i128 << 24;
    assert!(same(
        cast1(DType::I32, DType::F32, i(big + 1)),
        f(f64::from((big + 1) as f32))
    ));
    assert!(same(
        cast1(DType::I32, DType::F32, i(big + 1)),
        f(16777216.0)
    ));
    assert!(same(
        cast1(DType::I32, DType::F32, i(big + 3)),
        f(16777220.0)
    ));
    assert!(same(
        cast1(DType::U64, DType::F32, i(i128::from(u64::MAX))),
        f(f64::from(u64::MAX as f32))
    ));
    assert!(same(
        cast1(DType::U64, DType::F32, i(i128::from(u64::MAX))),
        f(2f64.powi(64))
    ));
    assert!(same(
        cast1(DType::I64, DType::F64, i(i128::from(i64::MAX))),
        f(2f64.powi(63))
    ));
    // Rounding u64 → f64 → bf16 would land on a tie and round down; one rounding goes up.
    let tricky = (1i128 << 63) + (1 << 55) + 1;
    assert!(same(
        cast1(DType::U64, DType::BF16, i(tricky)),
        f(2f64.powi(63) + 2f64.powi(56))
    ));
    assert!(same(cast1(DType::F32, DType::F16, f(65519.0)), f(65504.0)));
    assert!(same(
        cast1(DType::F32, DType::F16, f(65520.0)),
        f(f64::INFINITY)
    ));
    assert!(same(
        cast1(DType::F32, DType::Bool, f(0.5)),
        Scalar::Bool(true)
    ));
    assert!(same(
        cast1(DType::F32, DType::Bool, f(-0.0)),
        Scalar::Bool(false)
    ));
    assert!(same(
        cast1(DType::Bool, DType::F32, Scalar::Bool(true)),
        f(1.0)
    ));
    assert!(same(
        cast1(DType::I16, DType::Bool, i(256)),
        Scalar::Bool(true)
    ));
}

fn bitcast1(from: DType, to: DType, x: Scalar) -> Scalar {
    let graph = build(|b| {
        let x = b.input("x", from, &[1])?;
        b.bitcast(x, to)
    })
    .unwrap();
    run(&graph, vec![("x", tensor(from, &[1], vec![x]))])
        .unwrap()
        .get(0)
}

#[test]
fn bitcast_known_constants() {
    let f = |v: f64| Scalar::Float(v);
    let i = |v: u64| Scalar::Int(i128::from(v));
    assert!(same(
        bitcast1(DType::F32, DType::U32, f(1.0)),
        i(0x3f80_0000)
    ));
    assert!(same(
        bitcast1(DType::F32, DType::U32, f(-2.0)),
        i(0xc000_0000)
    ));
    assert!(same(
        bitcast1(DType::F32, DType::U32, f(-0.0)),
        i(0x8000_0000)
    ));
    assert!(same(
        bitcast1(DType::F32, DType::I32, f(f64::INFINITY)),
        i(0x7f80_0000)
    ));
    assert!(same(
        bitcast1(DType::U32, DType::F32, i(0x3f80_0000)),
        f(1.0)
    ));
    assert!(same(
        bitcast1(DType::U32, DType::F32, i(1)),
        f(2f64.powi(-149))
    ));
    assert!(same(bitcast1(DType::F16, DType::U16, f(1.0)), i(0x3c00)));
    assert!(same(
        bitcast1(DType::F16, DType::U16, f(65504.0)),
        i(0x7bff)
    ));
    assert!(same(
        bitcast1(DType::F16, DType::I16, f(-2.0)),
        Scalar::Int(i128::from(0xc000u16 as i16))
    ));
    assert!(same(
        bitcast1(DType::U16, DType::F16, i(0x7c00)),
        f(f64::INFINITY)
    ));
    assert!(same(bitcast1(DType::BF16, DType::U16, f(1.0)), i(0x3f80)));
    assert!(same(
        bitcast1(DType::F64, DType::U64, f(1.0)),
        i(0x3ff0_0000_0000_0000)
    ));
    assert!(same(
        bitcast1(DType::I8, DType::U8, Scalar::Int(-1)),
        i(255)
    ));
    assert!(same(
        bitcast1(DType::U64, DType::I64, i(u64::MAX)),
        Scalar::Int(-1)
    ));
    assert!(
        bitcast1(DType::U32, DType::F32, i(0x7fc0_0000))
            .to_f64()
            .is_nan()
    );
}

#[test]
fn bitcast_between_every_pair_of_same_width() {
    let numbers: Vec<DType> = DType::ALL.into_iter().filter(|d| !d.is_bool()).collect();
    for &from in &numbers {
        for &to in &numbers {
            if from.bits() != to.bits() {
                continue;
            }
            let mut rng = TestRng(0x5eed + u64::from(from.bits()));
            let mask = if from.bits() == 64 {
                u64::MAX
            } else {
                (1u64 << from.bits()) - 1
            };
            // NaN patterns are left out: a float holds its NaN as an f64, whose payload the
            // interpreter does not promise to keep.
            let patterns: Vec<u64> = [0, 1, mask, mask >> 1, 0x3c00, 0x3f80, 0x1234]
                .into_iter()
                .chain((0..200).map(|_| rng.next()))
                .map(|p| p & mask)
                .filter(|&p| {
                    !from_bits_ref(p, from).to_f64().is_nan()
                        && !from_bits_ref(p, to).to_f64().is_nan()
                })
                .collect();
            let xs: Vec<Scalar> = patterns.iter().map(|&p| from_bits_ref(p, from)).collect();
            let graph = build(|b| {
                let x = b.input("x", from, &[xs.len()])?;
                b.bitcast(x, to)
            })
            .unwrap();
            let out = run(&graph, vec![("x", tensor(from, &[xs.len()], xs.clone()))]).unwrap();
            let expected: Vec<Scalar> = xs
                .iter()
                .map(|&x| from_bits_ref(bits_ref(x, from), to))
                .collect();
            assert_scalars(&out, &expected, |i| {
                format!("bitcast {from} -> {to} of {:#x}", patterns[i])
            });
        }
    }
}

#[test]
fn bitcast_is_refused_between_widths_and_for_bool() {
    assert!(
        build(|b| {
            let x = b.input("x", DType::F32, &[1])?;
            b.bitcast(x, DType::U16)
        })
        .is_err()
    );
    assert!(
        build(|b| {
            let x = b.input("x", DType::Bool, &[1])?;
            b.bitcast(x, DType::U8)
        })
        .is_err()
    );
}

// ---------------------------------------------------------------------------------------
// Movement operations, against hand-written index loops
// ---------------------------------------------------------------------------------------

/// An i32 input of `dims` holding 0, 1, 2, … and the graph `body` builds on it.
fn movement(
    dims: &[usize],
    body: impl FnOnce(&mut GraphBuilder, NodeId) -> BuildResult<NodeId>,
) -> Tensor {
    let graph = build(|b| {
        let x = b.input("x", DType::I32, dims)?;
        body(b, x)
    })
    .unwrap();
    let n: usize = dims.iter().product();
    let values: Vec<i128> = (0..n as i128).collect();
    run(&graph, vec![("x", ints(DType::I32, dims, &values))]).unwrap()
}

#[test]
fn permute_3d() {
    let out = movement(&[2, 3, 4], |b, x| b.permute(x, &[2, 0, 1]));
    let mut expected = Vec::new();
    for i in 0..4 {
        for j in 0..2 {
            for k in 0..3 {
                // Output axes (i, j, k) are input axes (2, 0, 1): x[j][k][i].
                expected.push((j * 12 + k * 4 + i) as i128);
            }
        }
    }
    assert_ints(&out, &[4, 2, 3], &expected);
}

#[test]
fn expand_repeats_size_one_axes() {
    let out = movement(&[3, 1], |b, x| b.expand(x, &[3, 4]));
    let expected: Vec<i128> = (0..3).flat_map(|i| [i; 4]).collect();
    assert_ints(&out, &[3, 4], &expected);
    let out = movement(&[1, 4], |b, x| b.expand(x, &[2, 4]));
    assert_ints(&out, &[2, 4], &[0, 1, 2, 3, 0, 1, 2, 3]);
}

#[test]
fn pad_with_a_value() {
    let out = movement(&[2, 3], |b, x| b.pad(x, &[(1, 0), (2, 1)], Scalar::Int(-9)));
    let mut expected = Vec::new();
    for i in 0..3 {
        for j in 0..6 {
            let inside = i >= 1 && (2..5).contains(&j);
            expected.push(if inside {
                ((i - 1) * 3 + (j - 2)) as i128
            } else {
                -9
            });
        }
    }
    assert_ints(&out, &[3, 6], &expected);
}

#[test]
fn pad_keeps_extreme_fill_values() {
    let graph = build(|b| {
        let x = b.input("x", DType::U64, &[1])?;
        b.pad(x, &[(1, 1)], Scalar::Int(i128::from(u64::MAX)))
    })
    .unwrap();
    let out = run(&graph, vec![("x", ints(DType::U64, &[1], &[5]))]).unwrap();
    let max = i128::from(u64::MAX);
    assert_ints(&out, &[3], &[max, 5, max]);
    let graph = build(|b| {
        let x = b.input("x", DType::F16, &[1])?;
        b.pad(x, &[(0, 2)], Scalar::Float(f64::NEG_INFINITY))
    })
    .unwrap();
    let out = run(&graph, vec![("x", floats(DType::F16, &[1], &[0.5]))]).unwrap();
    assert_eq!(
        out.to_f64_vec(),
        [0.5, f64::NEG_INFINITY, f64::NEG_INFINITY]
    );
}

#[test]
fn shrink_keeps_a_window() {
    let out = movement(&[4, 5], |b, x| b.shrink(x, &[(1, 3), (2, 5)]));
    let mut expected = Vec::new();
    for i in 1..3 {
        for j in 2..5 {
            expected.push((i * 5 + j) as i128);
        }
    }
    assert_ints(&out, &[2, 3], &expected);
}

#[test]
fn flip_reverses_the_listed_axes() {
    let out = movement(&[2, 3, 4], |b, x| b.flip(x, &[0, 2]));
    let mut expected = Vec::new();
    for i in 0..2 {
        for j in 0..3 {
            for k in 0..4 {
                expected.push(((1 - i) * 12 + j * 4 + (3 - k)) as i128);
            }
        }
    }
    assert_ints(&out, &[2, 3, 4], &expected);
}

#[test]
fn reshape_keeps_the_row_major_order() {
    let out = movement(&[2, 6], |b, x| b.reshape(x, &[3, 4]));
    let expected: Vec<i128> = (0..12).collect();
    assert_ints(&out, &[3, 4], &expected);
}

#[test]
fn movement_of_bools() {
    let graph = build(|b| {
        let x = b.input("x", DType::Bool, &[2])?;
        let f = b.flip(x, &[0])?;
        b.pad(f, &[(1, 0)], Scalar::Bool(true))
    })
    .unwrap();
    let x = Tensor::new(DType::Bool, shape(&[2]), Data::Bool(vec![false, true])).unwrap();
    let out = run(&graph, vec![("x", x)]).unwrap();
    assert_eq!(out.data, Data::Bool(vec![true, true, false]));
}

// ---------------------------------------------------------------------------------------
// Reductions, iota, const
// ---------------------------------------------------------------------------------------

fn reduce_i32(op: ReduceOp, axes: &[usize], values: &[i128]) -> Tensor {
    let graph = build(|b| {
        let x = b.input("x", DType::I32, &[2, 3, 4])?;
        b.reduce(op, x, axes)
    })
    .unwrap();
    run(&graph, vec![("x", ints(DType::I32, &[2, 3, 4], values))]).unwrap()
}

fn x3(values: &[i128], i: usize, j: usize, k: usize) -> i128 {
    values[i * 12 + j * 4 + k]
}

#[test]
fn integer_reductions_over_one_and_several_axes() {
    let values = random_ints(DType::I8, 24, 3);
    let mut sum1 = Vec::new();
    let mut max1 = Vec::new();
    for i in 0..2 {
        for k in 0..4 {
            sum1.push((0..3).map(|j| x3(&values, i, j, k)).sum());
            max1.push((0..3).map(|j| x3(&values, i, j, k)).max().unwrap());
        }
    }
    assert_ints(&reduce_i32(ReduceOp::Sum, &[1], &values), &[2, 1, 4], &sum1);
    assert_ints(&reduce_i32(ReduceOp::Max, &[1], &values), &[2, 1, 4], &max1);
    let mut min02 = Vec::new();
    let mut prod02 = Vec::new();
    for j in 0..3 {
        let all = || (0..2).flat_map(move |i| (0..4).map(move |k| (i, k)));
        min02.push(all().map(|(i, k)| x3(&values, i, j, k)).min().unwrap());
        prod02.push(all().fold(1i32, |p, (i, k)| {
            p.wrapping_mul(x3(&values, i, j, k) as i32)
        }) as i128);
    }
    assert_ints(
        &reduce_i32(ReduceOp::Min, &[0, 2], &values),
        &[1, 3, 1],
        &min02,
    );
    assert_ints(
        &reduce_i32(ReduceOp::Prod, &[2, 0], &values),
        &[1, 3, 1],
        &prod02,
    );
    let total: i128 = values.iter().sum();
    assert_ints(
        &reduce_i32(ReduceOp::Sum, &[0, 1, 2], &values),
        &[1, 1, 1],
        &[total],
    );
}

#[test]
fn integer_sums_and_products_wrap_at_the_dtype_width() {
    let reduce = |op, dtype, values: &[i128]| {
        let graph = build(|b| {
            let x = b.input("x", dtype, &[values.len()])?;
            b.reduce(op, x, &[0])
        })
        .unwrap();
        run(&graph, vec![("x", ints(dtype, &[values.len()], values))]).unwrap()
    };
    let sum = 100i8.wrapping_add(100).wrapping_add(100);
    assert_ints(
        &reduce(ReduceOp::Sum, DType::I8, &[100, 100, 100]),
        &[1],
        &[i128::from(sum)],
    );
    let prod = 16u8.wrapping_mul(17).wrapping_mul(3);
    assert_ints(
        &reduce(ReduceOp::Prod, DType::U8, &[16, 17, 3]),
        &[1],
        &[i128::from(prod)],
    );
    let big = i128::from(u64::MAX);
    let prod = u64::MAX.wrapping_mul(u64::MAX).wrapping_mul(3);
    assert_ints(
        &reduce(ReduceOp::Prod, DType::U64, &[big, big, 3]),
        &[1],
        &[i128::from(prod)],
    );
    let sum = i64::MAX.wrapping_add(i64::MAX);
    let m = i128::from(i64::MAX);
    assert_ints(
        &reduce(ReduceOp::Sum, DType::I64, &[m, m]),
        &[1],
        &[i128::from(sum)],
    );
}

fn reduce_floats(
    op: ReduceOp,
    dtype: DType,
    dims: &[usize],
    axes: &[usize],
    values: &[f64],
) -> Tensor {
    let graph = build(|b| {
        let x = b.input("x", dtype, dims)?;
        b.reduce(op, x, axes)
    })
    .unwrap();
    run(&graph, vec![("x", floats(dtype, dims, values))]).unwrap()
}

#[test]
fn float_reductions_accumulate_in_f64_and_round_once() {
    for dtype in FLOATS {
        let values = float_values(dtype, 14 + 24, 9)[14..].to_vec();
        let out = reduce_floats(ReduceOp::Sum, dtype, &[2, 3, 4], &[0, 2], &values);
        let prod = reduce_floats(ReduceOp::Prod, dtype, &[2, 3, 4], &[1], &values);
        for j in 0..3 {
            let mut s = 0.0f64;
            for i in 0..2 {
                for k in 0..4 {
                    s += values[i * 12 + j * 4 + k];
                }
            }
            assert!(
                same(out.get(j), Scalar::Float(round_ref(s, dtype))),
                "{dtype} sum {j}"
            );
        }
        for i in 0..2 {
            for k in 0..4 {
                let p: f64 = (0..3).map(|j| values[i * 12 + j * 4 + k]).product();
                assert!(
                    same(prod.get(i * 4 + k), Scalar::Float(round_ref(p, dtype))),
                    "{dtype} prod"
                );
            }
        }
        assert_eq!(out.shape.dims(), [1, 3, 1]);
    }
}

#[test]
fn f32_sum_is_accumulated_in_f64_then_rounded_once() {
    let mut values = vec![1.0f32];
    values.extend(std::iter::repeat_n(1e-8f32, 1000));
    let exact: Vec<f64> = values.iter().map(|&v| f64::from(v)).collect();
    let out = reduce_floats(ReduceOp::Sum, DType::F32, &[values.len()], &[0], &exact);
    let mut wide = 0.0f64;
    let mut naive = 0.0f32;
    for &v in &values {
        wide += f64::from(v);
        naive += v;
    }
    assert_eq!(out.to_f64_vec(), [f64::from(wide as f32)]);
    assert_ne!(wide as f32, naive, "the example must tell the two apart");
}

#[test]
fn float_max_min_and_sum_propagate_nan() {
    let values = [1.0, f64::NAN, -3.0, 2.0, 0.5, f64::NEG_INFINITY];
    for op in ReduceOp::ALL {
        let out = reduce_floats(op, DType::F32, &[2, 3], &[1], &values).to_f64_vec();
        assert!(out[0].is_nan(), "{op:?}");
        assert!(!out[1].is_nan(), "{op:?}");
    }
    let max = reduce_floats(ReduceOp::Max, DType::F32, &[2, 3], &[1], &values).to_f64_vec();
    let min = reduce_floats(ReduceOp::Min, DType::F32, &[2, 3], &[1], &values).to_f64_vec();
    assert_eq!((max[1], min[1]), (2.0, f64::NEG_INFINITY));
}

#[test]
fn iota_counts_along_its_axis() {
    let iota = |dtype, dims: &[usize], axis| {
        let graph = build(|b| b.iota(dtype, dims, axis)).unwrap();
        run(&graph, vec![]).unwrap()
    };
    assert_ints(
        &iota(DType::I32, &[3, 4], 0),
        &[3, 4],
        &[0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2],
    );
    assert_ints(
        &iota(DType::I32, &[3, 4], 1),
        &[3, 4],
        &[0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3],
    );
    let wrapped: Vec<i128> = (0..300).map(|i| i128::from(i as u8)).collect();
    assert_ints(&iota(DType::U8, &[300], 0), &[300], &wrapped);
    let halves = iota(DType::F16, &[2050], 0).to_f64_vec();
    let expected: Vec<f64> = (0..2050)
        .map(|i| f16::from_f64(f64::from(i)).to_f64())
        .collect();
    assert_eq!(halves, expected);
    assert_eq!(halves[2049], 2048.0);
}

#[test]
fn const_fills_its_shape() {
    let constant = |value, dtype, dims: &[usize]| {
        let graph = build(|b| b.constant(value, dtype, dims)).unwrap();
        run(&graph, vec![]).unwrap()
    };
    assert_eq!(
        constant(Scalar::Float(1.5), DType::F32, &[2, 2]).to_f64_vec(),
        [1.5; 4]
    );
    assert_eq!(
        constant(Scalar::Float(0.1), DType::F16, &[1]).to_f64_vec(),
        [f16::from_f64(0.1).to_f64()]
    );
    let max = i128::from(u64::MAX);
    assert_ints(
        &constant(Scalar::Int(max), DType::U64, &[3]),
        &[3],
        &[max; 3],
    );
    assert_eq!(
        constant(Scalar::Bool(true), DType::Bool, &[]).data,
        Data::Bool(vec![true])
    );
    assert_eq!(constant(Scalar::Int(7), DType::I8, &[0, 3]).numel(), 0);
}

// ---------------------------------------------------------------------------------------
// Graphs, inputs and errors
// ---------------------------------------------------------------------------------------

fn two_input_graph() -> Graph {
    let mut b = GraphBuilder::new("two");
    let x = b.input("x", DType::F32, &[2, 3]).unwrap();
    let k = b.input("k", DType::I8, &[4]).unwrap();
    let y = b.unary(UnaryOp::Neg, x).unwrap();
    b.output("y", y).unwrap();
    b.output("k_again", k).unwrap();
    b.finish().unwrap()
}

#[test]
fn outputs_come_in_graph_order_with_their_names() {
    let graph = two_input_graph();
    let ins = random_inputs(&graph, 1);
    let out = evaluate(&graph, &ins).unwrap();
    let names: Vec<&str> = out.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["y", "k_again"]);
    let negated: Vec<f64> = ins["x"].to_f64_vec().iter().map(|v| -v).collect();
    assert_eq!(out[0].1.to_f64_vec(), negated);
    assert!(out[1].1.same(&ins["k"]));
}

#[test]
fn random_inputs_are_deterministic_and_in_range() {
    let graph = two_input_graph();
    let a = random_inputs(&graph, 42);
    let b = random_inputs(&graph, 42);
    let c = random_inputs(&graph, 43);
    assert_eq!(a.keys().collect::<Vec<_>>(), ["k", "x"]);
    assert!(a.iter().all(|(name, t)| t.same(&b[name])));
    assert!(!a["x"].same(&c["x"]));
    assert_eq!(
        (a["x"].dtype, a["x"].shape.dims()),
        (DType::F32, &[2, 3][..])
    );
    for dtype in DType::ALL {
        let t = random_tensor(dtype, &shape(&[2000]), 5);
        assert!(t.same(&random_tensor(dtype, &shape(&[2000]), 5)));
        assert!(
            !t.same(&random_tensor(dtype, &shape(&[2000]), 6)),
            "{dtype}"
        );
        // [lo, end) as documented, with `mid` splitting it in two halves.
        let (lo, end, mid) = match dtype {
            DType::Bool => (0.0, 2.0, 0.5),
            d if d.is_float() => (-1.0, 1.0, 0.0),
            d if d.is_signed_int() => (-16.0, 16.0, 0.0),
            _ => (0.0, 16.0, 8.0),
        };
        let v = t.to_f64_vec();
        assert!(v.iter().all(|&x| lo <= x && x < end), "{dtype}");
        assert!(
            Tensor::new(dtype, t.shape.clone(), t.data.clone()).is_ok(),
            "{dtype}"
        );
        // The range is used evenly, not a corner of it, and integers reach both ends.
        let below = v.iter().filter(|&&x| x < mid).count();
        assert!(
            (850..1150).contains(&below),
            "{dtype}: {below} of 2000 in the lower half"
        );
        if !dtype.is_float() {
            assert!(v.contains(&lo) && v.contains(&(end - 1.0)), "{dtype}");
        }
    }
    assert!(
        random_tensor(DType::F16, &shape(&[2000]), 5)
            .to_f64_vec()
            .iter()
            .all(|&x| x < 1.0)
    );
}

#[test]
fn evaluate_reports_missing_unknown_and_mismatched_inputs() {
    let graph = two_input_graph();
    let good = random_inputs(&graph, 0);

    let mut missing = good.clone();
    missing.remove("k");
    assert_eq!(
        evaluate(&graph, &missing).unwrap_err(),
        EvalError::MissingInput { name: "k".into() }
    );

    let mut unknown = good.clone();
    unknown.insert("z".into(), random_tensor(DType::F32, &shape(&[1]), 0));
    assert_eq!(
        evaluate(&graph, &unknown).unwrap_err(),
        EvalError::UnknownInput { name: "z".into() }
    );

    let mut wrong_shape = good.clone();
    wrong_shape.insert("x".into(), random_tensor(DType::F32, &shape(&[3, 2]), 0));
    let err = evaluate(&graph, &wrong_shape).unwrap_err();
    assert_eq!(
        err,
        EvalError::InputMismatch {
            name: "x".into(),
            expected: "f32[2, 3]".into(),
            found: "f32[3, 2]".into()
        }
    );
    assert_eq!(
        err.to_string(),
        "input 'x' must be f32[2, 3], got f32[3, 2]"
    );

    let mut wrong_dtype = good.clone();
    wrong_dtype.insert("k".into(), random_tensor(DType::U8, &shape(&[4]), 0));
    assert!(
        matches!(evaluate(&graph, &wrong_dtype), Err(EvalError::InputMismatch { name, .. }) if name == "k")
    );

    // A tensor built by hand, bypassing `Tensor::new`, is still checked.
    let mut bad_data = good;
    bad_data.insert(
        "k".into(),
        Tensor {
            dtype: DType::I8,
            shape: shape(&[4]),
            data: Data::Int(vec![1, 2, 300, 4]),
        },
    );
    assert!(matches!(
        evaluate(&graph, &bad_data),
        Err(EvalError::BadTensor { .. })
    ));
}

#[test]
fn oversized_results_are_refused_before_allocating() {
    let graph = build(|b| {
        let x = b.input("x", DType::F32, &[1, 1])?;
        b.expand(x, &[1 << 15, 1 << 15])
    })
    .unwrap();
    let err = run(&graph, vec![("x", floats(DType::F32, &[1, 1], &[1.0]))]).unwrap_err();
    assert!(
        matches!(err, EvalError::TooLarge { elements, .. } if elements == 1 << 30),
        "{err}"
    );
}

#[test]
fn tensor_constructors_check_and_convert() {
    let t = Tensor::from_f64(DType::BF16, &[2], &[0.1, 3.0]).unwrap();
    assert_eq!(t.to_f64_vec(), [bf16::from_f64(0.1).to_f64(), 3.0]);
    let t = Tensor::from_f64(DType::U8, &[3], &[-5.0, 3.9, 1e9]).unwrap();
    assert_eq!(t.data, Data::Int(vec![0, 3, 255]));
    assert!(Tensor::from_f64(DType::F32, &[3], &[1.0]).is_err());
    assert!(Tensor::new(DType::F32, shape(&[1]), Data::Float(vec![0.1])).is_err());
    assert!(Tensor::from_scalars(DType::I8, shape(&[1]), vec![Scalar::Int(200)]).is_err());
    let a = Tensor::from_f64(DType::F32, &[2], &[f64::NAN, 0.0]).unwrap();
    assert!(a.same(&Tensor::from_f64(DType::F32, &[2], &[-f64::NAN, 0.0]).unwrap()));
    assert!(!a.same(&Tensor::from_f64(DType::F32, &[2], &[f64::NAN, -0.0]).unwrap()));
}

// ---------------------------------------------------------------------------------------
// Correct rounding of f16/bf16 results that are not exact in 32 bits
// ---------------------------------------------------------------------------------------
// `half`'s own f64 conversions are not correctly rounded (bf16 drops the low 32 bits of the
// f64 first; f16 on x86 with F16C rounds through a nearest-even f32). Casts from f32/f64,
// f64-accumulated reductions and transcendentals in f16/bf16 must still round correctly:
// these cases are ones where those shortcuts give the wrong value.

#[test]
fn casts_to_half_precision_round_correctly() {
    let x = 1.0 + 2f64.powi(-8) + 2f64.powi(-23);
    assert!(same(
        cast1(DType::F32, DType::BF16, Scalar::Float(x)),
        Scalar::Float(1.0 + 2f64.powi(-7))
    ));
    let x = 1.0 + 2f64.powi(-11) + 2f64.powi(-40);
    assert!(same(
        cast1(DType::F64, DType::F16, Scalar::Float(x)),
        Scalar::Float(1.0 + 2f64.powi(-10))
    ));
}

#[test]
fn half_precision_sums_round_correctly() {
    let sum = |dtype, values: &[f64]| {
        reduce_floats(ReduceOp::Sum, dtype, &[values.len()], &[0], values).to_f64_vec()
    };
    assert_eq!(
        sum(DType::F16, &[1.0, 2f64.powi(-11), 2f64.powi(-24)]),
        [1.0 + 2f64.powi(-10)]
    );
    assert_eq!(
        sum(DType::BF16, &[1.0, 2f64.powi(-8), 2f64.powi(-30)]),
        [1.0 + 2f64.powi(-7)]
    );
}

#[test]
fn half_precision_transcendentals_round_correctly() {
    // For example sin(-0.2093505859375) = -1702.50001533… × 2^-13 must give -1703 × 2^-13;
    // rounding through f32 first lands on the tie -1702.5 and goes to even.
    for op in [UnaryOp::Exp2, UnaryOp::Log2, UnaryOp::Sin] {
        assert_eq!(check_unary(op, &[DType::F16, DType::BF16]), 2);
    }
}
