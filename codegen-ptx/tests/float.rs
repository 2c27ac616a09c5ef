//! Float ALU: the instructions the precision model (ir/src/precision.rs, NVIDIA column)
//! names for each op, for f32, f64, f16 and bf16, assembled by ptxas for every target.

mod common;

use common::{emit_and_assemble, has, instructions};

/// Every unary and binary float op on `dt` (`exp2`/`log2`/`sin` only when `transcendental`).
fn float_kernel(dt: &str, transcendental: bool) -> String {
    let more = if transcendental {
        format!(
            "  v20: {dt} = exp2 v2\n  v21: {dt} = log2 v2\n  v22: {dt} = sin v2\n  store y[v0] = v20\n  store y[v0] = v21\n  store y[v0] = v22\n"
        )
    } else {
        String::new()
    };
    format!(
        "kernel f(a: global {dt}[32] read, b: global {dt}[32] read, y: global {dt}[32] write, c: global bool[32] write)
  grid [1, 1, 1] workgroup [32, 1, 1] subgroup 32
{{
  v0: i32 = local_id.x
  v1: {dt} = load a[v0]
  v2: {dt} = load b[v0]
  v3: {dt} = add v1, v2
  v4: {dt} = sub v3, v2
  v5: {dt} = mul v4, v1
  v6: {dt} = div v5, v2
  v7: {dt} = fma v6, v1, v2
  v8: {dt} = sqrt v7
  v9: {dt} = recip v8
  v10: {dt} = trunc v9
  v11: {dt} = neg v10
  v12: {dt} = max v11, v1
  v13: {dt} = min v12, v2
  v14: bool = cmplt v13, v1
  v15: bool = cmpeq v13, v2
  v16: bool = cmpne v13, v1
  store y[v0] = v13
  store c[v0] = v14
  store c[v0] = v15
  store c[v0] = v16
{more}}}
"
    )
}

/// No flush-to-zero anywhere, and no approximate division or square root.
fn assert_no_shortcuts(ptx: &str) {
    for line in instructions(ptx) {
        assert!(!line.contains(".ftz"), "{line}");
        assert!(
            !line.starts_with("div.approx") && !line.starts_with("div.full"),
            "{line}"
        );
        assert!(!line.starts_with("sqrt.approx"), "{line}");
    }
}

#[test]
fn f32_uses_round_to_nearest_and_the_models_approximations() {
    let ptx = emit_and_assemble(&float_kernel("f32", true));
    for op in [
        "add.rn.f32",
        "sub.rn.f32",
        "mul.rn.f32",
        "div.rn.f32",
        "fma.rn.f32",
        "sqrt.rn.f32",
        "rcp.approx.f32",
        "cvt.rzi.f32.f32",
        "ex2.approx.f32",
        "lg2.approx.f32",
        "sin.approx.f32",
        "setp.lt.f32",
        "setp.eq.f32",
        "setp.neu.f32",
    ] {
        assert!(has(&ptx, op), "{op} missing:\n{ptx}");
    }
    // ptxas may not contract a `.rn` mul and add; a plain `add.f32` would allow it
    assert!(!has(&ptx, "add.f32") && !has(&ptx, "mul.f32"), "{ptx}");
    assert_no_shortcuts(&ptx);
}

/// sin reduces arguments beyond 2π (two fma steps with the split 2π) before `sin.approx`.
#[test]
fn sin_reduces_large_arguments_first() {
    let ptx = emit_and_assemble(&float_kernel("f32", true));
    let lines = instructions(&ptx);
    let sin = lines
        .iter()
        .position(|l| l.starts_with("sin.approx"))
        .unwrap();
    let before = &lines[..sin];
    assert!(
        before.iter().any(|l| l.starts_with("cvt.rni.f32.f32")),
        "{ptx}"
    );
    assert!(before.iter().any(|l| l.contains("0f40C90FDB")), "{ptx}");
    assert!(before.iter().any(|l| l.contains("0fB43BBD2E")), "{ptx}");
}

#[test]
fn f64_is_correctly_rounded() {
    let ptx = emit_and_assemble(&float_kernel("f64", false));
    for op in [
        "add.rn.f64",
        "sub.rn.f64",
        "mul.rn.f64",
        "div.rn.f64",
        "fma.rn.f64",
        "sqrt.rn.f64",
        "rcp.rn.f64",
        "cvt.rzi.f64.f64",
        "setp.neu.f64",
    ] {
        assert!(has(&ptx, op), "{op} missing:\n{ptx}");
    }
    assert_no_shortcuts(&ptx);
}

/// f64 sin has no PTX instruction: it is an inline sequence (checked for accuracy in
/// tests/tests/ptx_f64_math.rs) that ptxas accepts for every NVIDIA target, with no `call` and no `.approx`.
#[test]
fn f64_sin_is_emitted() {
    let op = "sin";
    let kir = format!(
        "kernel t(a: global f64[32] read, y: global f64[32] write)
  grid [1, 1, 1] workgroup [32, 1, 1] subgroup 32
{{
  v0: i32 = local_id.x
  v1: f64 = load a[v0]
  v2: f64 = {op} v1
  store y[v0] = v2
}}
"
    );
    let ptx = emit_and_assemble(&kir);
    for absent in ["call", "sin.approx", ".approx.f64"] {
        assert!(!ptx.contains(absent), "{op}: {absent} in\n{ptx}");
    }
    // the Payne–Hanek product and the polynomials
    assert!(has(&ptx, "mul.hi.u64"), "{op}: no 64-bit product in\n{ptx}");
    assert!(has(&ptx, "fma.rn.f64"), "{op}: no f64 fma in\n{ptx}");
}

/// f16 and bf16 widen exactly to f32, compute there and round once; bf16 widens by
/// shifting (no `cvt.f32.bf16`, which needs sm_90) and both fuse with `fma.rn` of their own
/// type. Assembled for sm_80 too.
#[test]
fn half_floats_compute_in_f32_and_round_once() {
    let ptx = emit_and_assemble(&float_kernel("f16", true));
    for op in [
        "cvt.f32.f16",
        "cvt.rn.f16.f32",
        "add.rn.f32",
        "fma.rn.f16",
        "xor.b16",
    ] {
        assert!(has(&ptx, op), "{op} missing:\n{ptx}");
    }
    let ptx = emit_and_assemble(&float_kernel("bf16", true));
    for op in ["shl.b32", "cvt.rn.bf16.f32", "div.rn.f32", "fma.rn.bf16"] {
        assert!(has(&ptx, op), "{op} missing:\n{ptx}");
    }
    assert!(!ptx.contains("cvt.f32.bf16"), "{ptx}");
    assert_no_shortcuts(&ptx);
}

/// max/min give NaN when either operand is NaN and order −0 below +0: the emitter tests
/// for NaN (`setp.nan`) and equal operands itself, since `max.f32` alone promises neither.
#[test]
fn max_and_min_handle_nan_and_signed_zero() {
    let ptx = emit_and_assemble(&float_kernel("f32", false));
    assert!(has(&ptx, "setp.nan.f32"), "{ptx}");
    assert!(
        has(&ptx, "and.b32"),
        "max joins equal operands' bits with and:\n{ptx}"
    );
    assert!(
        has(&ptx, "or.b32"),
        "min joins equal operands' bits with or:\n{ptx}"
    );
}
