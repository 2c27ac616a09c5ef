//! 8/16/64-bit integer ops run on the lane oracle over edge and random values, against
//! the kernel-IR interpreter; plus a few readable checks of the selected sequences.

use super::lane_eval::{
    Lane, Rng, check_encodable, check_result, dummy_kernel, int_values, names, new_sel, operand,
    oracle,
};
use egpu_ir::{BinaryOp, DType, Scalar, UnaryOp};

const NARROW_WIDE: [DType; 6] = [
    DType::I8,
    DType::I16,
    DType::U8,
    DType::U16,
    DType::I64,
    DType::U64,
];

const BINARY: [BinaryOp; 13] = [
    BinaryOp::Add,
    BinaryOp::Sub,
    BinaryOp::Mul,
    BinaryOp::Max,
    BinaryOp::Min,
    BinaryOp::CmpLt,
    BinaryOp::CmpEq,
    BinaryOp::CmpNe,
    BinaryOp::And,
    BinaryOp::Or,
    BinaryOp::Xor,
    BinaryOp::Shl,
    BinaryOp::Shr,
];

fn result_dtype(op: BinaryOp, dt: DType) -> DType {
    match op {
        BinaryOp::CmpLt | BinaryOp::CmpEq | BinaryOp::CmpNe => DType::Bool,
        _ => dt,
    }
}

/// One case: operands `a`, `b` of `dt` (in SGPRs when `sgpr`), the interpreter's
/// result `want` of dtype `rdt`, the reciprocal's error for the lane oracle.
pub(crate) struct Case<'a> {
    pub what: &'a str,
    pub dt: DType,
    pub rdt: DType,
    pub a: i128,
    pub b: i128,
    pub sgpr: bool,
    pub want: Scalar,
    pub rcp_ulps: i32,
}

impl<'a> Case<'a> {
    fn new(what: &'a str, dt: DType, a: i128, b: i128, want: Scalar) -> Case<'a> {
        Case {
            what,
            dt,
            rdt: dt,
            a,
            b,
            sgpr: false,
            want,
            rcp_ulps: 0,
        }
    }
}

/// Selects the case with `f`, runs it on the lane oracle, compares with `want`.
pub(crate) fn run_binary(
    c: &Case,
    f: impl Fn(&mut super::Sel, super::Piece, super::Piece) -> super::Piece,
) {
    let k = dummy_kernel();
    let mut sel = new_sel(&k);
    let mut lane = Lane {
        rcp_ulps: c.rcp_ulps,
        ..Lane::default()
    };
    let pa = operand(&mut sel, &mut lane, c.dt, Scalar::Int(c.a), c.sgpr);
    let pb = operand(&mut sel, &mut lane, c.dt, Scalar::Int(c.b), c.sgpr);
    let r = f(&mut sel, pa, pb);
    check_encodable(&sel.mir);
    lane.run(&sel.mir.insts);
    let (dt, a, b, sgpr) = (c.dt, c.a, c.b, c.sgpr);
    let what = format!("{} {dt:?} {a} {b} (sgpr {sgpr})", c.what);
    check_result(&lane, c.rdt, r, c.want, &what);
}

fn want_binary(op: BinaryOp, dt: DType, a: i128, b: i128) -> Option<Scalar> {
    oracle(|kb| {
        let x = kb.constant(dt, Scalar::Int(a)).unwrap();
        let y = kb.constant(dt, Scalar::Int(b)).unwrap();
        kb.binary(op, x, y).unwrap()
    })
}

#[test]
fn binary_ops_match_the_interpreter() {
    let mut rng = Rng(0x1234_5678_9abc_def1);
    for dt in NARROW_WIDE {
        let vals = int_values(dt, &mut rng, 12);
        for op in BINARY {
            for (i, &a) in vals.iter().enumerate() {
                for &b in &vals {
                    let want = want_binary(op, dt, a, b).expect("oracle");
                    let sgpr = i % 3 == 0;
                    let what = format!("{op:?}");
                    let case = Case {
                        rdt: result_dtype(op, dt),
                        sgpr,
                        ..Case::new(&what, dt, a, b, want)
                    };
                    run_binary(&case, |sel, x, y| super::binary(sel, op, dt, x, y).unwrap());
                }
            }
        }
    }
}

#[test]
fn shifts_take_the_amount_modulo_the_width() {
    for dt in NARROW_WIDE {
        let bits = i128::from(dt.bits());
        for amount in [bits, bits + 1, 2 * bits - 1, 100, -1, -bits] {
            let amount = egpu_ir::wrap_int(amount, dt);
            for op in [BinaryOp::Shl, BinaryOp::Shr] {
                let a = egpu_ir::wrap_int(-0x1234_5678_9abc, dt);
                let want = want_binary(op, dt, a, amount).expect("oracle");
                let case = Case::new("shift", dt, a, amount, want);
                run_binary(&case, |sel, x, y| super::binary(sel, op, dt, x, y).unwrap());
            }
        }
    }
}

#[test]
fn unary_ops_match_the_interpreter() {
    let mut rng = Rng(99);
    for dt in NARROW_WIDE {
        for a in int_values(dt, &mut rng, 20) {
            for op in [UnaryOp::Neg, UnaryOp::Not] {
                let want = oracle(|kb| {
                    let x = kb.constant(dt, Scalar::Int(a)).unwrap();
                    kb.unary(op, x).unwrap()
                })
                .expect("oracle");
                for sgpr in [false, true] {
                    let case = Case {
                        sgpr,
                        ..Case::new("unary", dt, a, 0, want)
                    };
                    run_binary(&case, |sel, x, _| super::unary(sel, op, dt, x).unwrap());
                }
            }
        }
    }
}

#[test]
fn mulhi_64_matches_the_interpreter() {
    let mut rng = Rng(7);
    for dt in [DType::I64, DType::U64] {
        let vals = int_values(dt, &mut rng, 40);
        for (i, &a) in vals.iter().enumerate() {
            for &b in &vals {
                let want = oracle(|kb| {
                    let x = kb.constant(dt, Scalar::Int(a)).unwrap();
                    let y = kb.constant(dt, Scalar::Int(b)).unwrap();
                    kb.mulhi(x, y).unwrap()
                })
                .expect("oracle");
                let case = Case {
                    sgpr: i % 2 == 0,
                    ..Case::new("mulhi", dt, a, b, want)
                };
                run_binary(&case, |sel, x, y| super::mulhi(sel, dt, x, y).unwrap());
            }
        }
    }
}

fn selected(
    dt: DType,
    f: impl Fn(&mut super::Sel, super::Piece, super::Piece) -> super::Piece,
) -> Vec<&'static str> {
    let k = dummy_kernel();
    let mut sel = new_sel(&k);
    let dw = if dt.bits() == 64 { 2 } else { 1 };
    let (a, b) = (sel.new_v(dw), sel.new_v(dw));
    f(&mut sel, a, b);
    names(&sel.mir)
}

#[test]
fn sequences_are_the_intended_ones() {
    let bin = |op, dt| selected(dt, move |s, a, b| super::binary(s, op, dt, a, b).unwrap());
    assert_eq!(bin(BinaryOp::Add, DType::I8), ["v_add_nc_u32", "v_bfe_i32"]);
    assert_eq!(
        bin(BinaryOp::Mul, DType::U16),
        ["v_mul_u32_u24", "v_and_b32"]
    );
    assert_eq!(bin(BinaryOp::Max, DType::I16), ["v_max_i32"]);
    assert_eq!(bin(BinaryOp::CmpLt, DType::U8), ["v_cmp_lt_u32"]);
    assert_eq!(
        bin(BinaryOp::Shr, DType::I8),
        ["v_and_b32", "v_ashrrev_i32"]
    );
    assert_eq!(
        bin(BinaryOp::Add, DType::U64),
        ["v_add_co_u32", "v_add_co_ci_u32"]
    );
    assert_eq!(
        bin(BinaryOp::Sub, DType::I64),
        ["v_sub_co_u32", "v_sub_co_ci_u32"]
    );
    assert_eq!(bin(BinaryOp::CmpLt, DType::I64), ["v_cmp_lt_i64"]);
    assert_eq!(bin(BinaryOp::Shr, DType::U64), ["v_lshrrev_b64"]);
    assert_eq!(
        bin(BinaryOp::Mul, DType::I64),
        [
            "v_mad_u64_u32",
            "v_mul_lo_u32",
            "v_mul_lo_u32",
            "v_mov_b32",
            "v_add3_u32"
        ]
    );
    let not_u8 = selected(DType::U8, |s, a, _| {
        super::unary(s, UnaryOp::Not, DType::U8, a).unwrap()
    });
    assert_eq!(not_u8, ["v_xor_b32"]);
}

fn selected_scalar(dt: DType, op: BinaryOp) -> Vec<&'static str> {
    let k = dummy_kernel();
    let mut sel = new_sel(&k);
    let dw = if dt.bits() == 64 { 2 } else { 1 };
    let (a, b) = (sel.new_s(dw), sel.new_s(dw));
    super::binary(&mut sel, op, dt, a, b).unwrap();
    names(&sel.mir)
}

#[test]
fn uniform_operands_use_the_scalar_alu() {
    let s = selected_scalar;
    assert_eq!(s(DType::U64, BinaryOp::Add), ["s_add_u32", "s_addc_u32"]);
    assert_eq!(s(DType::I64, BinaryOp::Shr), ["s_ashr_i64"]);
    assert_eq!(s(DType::I8, BinaryOp::Add), ["s_add_u32", "s_sext_i32_i8"]);
    assert_eq!(
        s(DType::U16, BinaryOp::CmpLt),
        ["s_cmp_lt_u32", "s_cselect_b32"]
    );
    // No 64-bit scalar less-than: the VALU compare reads the SGPRs.
    assert_eq!(s(DType::I64, BinaryOp::CmpLt), ["v_cmp_lt_i64"]);
}

#[test]
fn other_dtypes_are_refused() {
    let k = dummy_kernel();
    let mut sel = new_sel(&k);
    let (a, b) = (sel.new_v(1), sel.new_v(1));
    assert!(super::binary(&mut sel, BinaryOp::Add, DType::F32, a, b).is_err());
    assert!(super::binary(&mut sel, BinaryOp::Div, DType::I64, a, b).is_err());
    assert!(super::mulhi(&mut sel, DType::I8, a, b).is_err());
    assert!(super::unary(&mut sel, UnaryOp::Sqrt, DType::I16, a).is_err());
}
