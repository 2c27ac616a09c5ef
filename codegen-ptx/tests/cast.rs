//! `cast` between every pair of dtypes and `bitcast` between equal widths, assembled for
//! every target; conversions that could round twice go through round-to-odd.

mod common;

use common::{emit_and_assemble, has, instructions};

const DTYPES: [&str; 13] = [
    "bool", "i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64", "f16", "bf16", "f32", "f64",
];

/// One kernel casting an `from` input to every dtype.
fn casts_from(from: &str) -> String {
    let mut body = String::new();
    for (i, to) in DTYPES.iter().enumerate() {
        body += &format!(
            "  v{}: {to} = cast v1\n  store o_{to}[v0] = v{}\n",
            i + 2,
            i + 2
        );
    }
    let outs: Vec<String> = DTYPES
        .iter()
        .map(|t| format!("o_{t}: global {t}[32] write"))
        .collect();
    format!(
        "kernel c(a: global {from}[32] read, {})
  grid [1, 1, 1] workgroup [32, 1, 1] subgroup 32
{{
  v0: i32 = local_id.x
  v1: {from} = load a[v0]
{body}}}
",
        outs.join(", ")
    )
}

#[test]
fn every_cast_assembles() {
    for from in DTYPES {
        emit_and_assemble(&casts_from(from));
    }
}

/// f64 → bf16/f16 and 64-bit integer → f16 round to odd in f32 first (truncate, then set
/// the last bit when inexact), so the final round-to-nearest is the only rounding.
#[test]
fn narrowing_to_half_rounds_to_odd_first() {
    let ptx = emit_and_assemble(&casts_from("f64"));
    assert!(has(&ptx, "cvt.rz.f32.f64"), "{ptx}");
    assert!(
        instructions(&ptx)
            .iter()
            .any(|l| l.starts_with('@') && l.contains("or.b32")),
        "{ptx}"
    );
    assert!(has(&ptx, "cvt.rn.bf16.f32"), "{ptx}");
    let ptx = emit_and_assemble(&casts_from("i64"));
    assert!(has(&ptx, "cvt.rz.f32.s64"), "{ptx}");
}

/// float → int saturates (`cvt.rzi`, clamped) and maps NaN to 0 explicitly; float → bool
/// is the unordered not-equal (NaN is true); bool → number selects 0 or 1.
#[test]
fn float_to_int_and_bool_conversions() {
    let ptx = emit_and_assemble(&casts_from("f32"));
    for op in [
        "cvt.rzi.s32.f32",
        "cvt.rzi.u64.f32",
        "setp.nan.f32",
        "setp.neu.f32",
        "min.s32",
    ] {
        assert!(has(&ptx, op), "{op} missing:\n{ptx}");
    }
    let ptx = emit_and_assemble(&casts_from("bool"));
    assert!(has(&ptx, "selp.f32"), "{ptx}");
    assert!(
        instructions(&ptx).iter().any(|l| l.contains("0x3F80")),
        "bf16 one:\n{ptx}"
    );
}

#[test]
fn bitcasts_assemble() {
    let pairs = [
        ("f32", "i32"),
        ("u32", "f32"),
        ("f16", "i16"),
        ("bf16", "u16"),
        ("f64", "i64"),
        ("i8", "u8"),
        ("u8", "i8"),
    ];
    for (from, to) in pairs {
        let kir = format!(
            "kernel b(a: global {from}[32] read, y: global {to}[32] write)
  grid [1, 1, 1] workgroup [32, 1, 1] subgroup 32
{{
  v0: i32 = local_id.x
  v1: {from} = load a[v0]
  v2: {to} = bitcast v1
  store y[v0] = v2
}}
"
        );
        emit_and_assemble(&kir);
    }
}
