//! Integer ALU on every integer dtype: wrapping arithmetic (8-bit results re-narrowed in
//! their 16-bit registers), truncating division, shifts by the count modulo the width
//! (PTX clamps instead, so the count is masked), signed vs unsigned forms, bool logic.

mod common;

use common::{emit_and_assemble, has, instructions};

fn int_kernel(dt: &str, mulhi: bool) -> String {
    let hi = if mulhi {
        format!("  v20: {dt} = mulhi v1, v2\n  store y[v0] = v20\n")
    } else {
        String::new()
    };
    format!(
        "kernel i(a: global {dt}[32] read, b: global {dt}[32] read, y: global {dt}[32] write, c: global bool[32] write)
  grid [1, 1, 1] workgroup [32, 1, 1] subgroup 32
{{
  v0: i32 = local_id.x
  v1: {dt} = load a[v0]
  v2: {dt} = load b[v0]
  v3: {dt} = add v1, v2
  v4: {dt} = sub v3, v2
  v5: {dt} = mul v4, v1
  v6: {dt} = idiv v5, v2
  v7: {dt} = mod v6, v2
  v8: {dt} = shl v7, v1
  v9: {dt} = shr v8, v2
  v10: {dt} = and v9, v1
  v11: {dt} = or v10, v2
  v12: {dt} = xor v11, v1
  v13: {dt} = not v12
  v14: {dt} = neg v13
  v15: {dt} = max v14, v1
  v16: {dt} = min v15, v2
  v17: bool = cmplt v16, v1
  v18: bool = cmpeq v16, v2
  v19: bool = cmpne v16, v1
  v21: bool = and v17, v18
  v22: bool = or v21, v19
  v23: bool = xor v22, v17
  v24: bool = not v23
  store y[v0] = v16
  store c[v0] = v24
{hi}}}
"
    )
}

#[test]
fn every_integer_dtype_assembles() {
    for dt in ["i8", "u8", "i16", "u16", "i32", "u32", "i64", "u64"] {
        let mulhi = matches!(dt, "i32" | "u32" | "i64" | "u64");
        emit_and_assemble(&int_kernel(dt, mulhi));
    }
}

#[test]
fn signed_and_unsigned_forms() {
    let ptx = emit_and_assemble(&int_kernel("i32", true));
    for op in [
        "div.s32",
        "rem.s32",
        "mul.hi.s32",
        "shr.s32",
        "max.s32",
        "setp.lt.s32",
        "mul.lo.s32",
    ] {
        assert!(has(&ptx, op), "{op} missing:\n{ptx}");
    }
    let ptx = emit_and_assemble(&int_kernel("u64", true));
    for op in [
        "div.u64",
        "rem.u64",
        "mul.hi.u64",
        "shr.u64",
        "min.u64",
        "setp.lt.u64",
    ] {
        assert!(has(&ptx, op), "{op} missing:\n{ptx}");
    }
}

/// The shift count is taken modulo the dtype's width before the shift.
#[test]
fn shift_counts_are_masked_to_the_width() {
    for (dt, mask) in [("i8", 7), ("u16", 15), ("i32", 31), ("u64", 63)] {
        let ptx = emit_and_assemble(&int_kernel(dt, false));
        let lines = instructions(&ptx);
        let shl = lines.iter().position(|l| l.starts_with("shl.")).unwrap();
        assert!(
            lines[shl - 1].starts_with("and.b32")
                && lines[shl - 1].ends_with(&format!(", {mask};")),
            "{dt}: {}",
            lines[shl - 1]
        );
    }
}

/// 8-bit results are put back into range in their 16-bit registers: i8 sign-extended
/// from bit 7, u8 masked to 8 bits.
#[test]
fn eight_bit_results_wrap() {
    let ptx = emit_and_assemble(&int_kernel("i8", false));
    assert!(has(&ptx, "cvt.s16.s8"), "{ptx}");
    let ptx = emit_and_assemble(&int_kernel("u8", false));
    assert!(
        instructions(&ptx)
            .iter()
            .any(|l| l.starts_with("and.b16") && l.ends_with("0x00FF;")),
        "{ptx}"
    );
}
