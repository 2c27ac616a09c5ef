//! Loads, stores and atomics: vector widths up to 16 bytes per instruction, read-only
//! buffers through the non-coherent path, masks (whole-access and per-element), shared
//! arrays with 32-bit addresses, bool memory as bytes, atomics as `red`.

mod common;

use common::{emit_and_assemble, has, instructions};

/// Unmasked, whole-masked and per-element-masked loads and stores of `dt` x `w` from a
/// read-only buffer into a write-only one, and through a shared array.
fn access_kernel(dt: &str, w: u32) -> String {
    let ty = if w == 1 {
        dt.to_string()
    } else {
        format!("{dt}x{w}")
    };
    let mask_ty = if w == 1 {
        "bool".to_string()
    } else {
        format!("boolx{w}")
    };
    let per_elem: Vec<String> = (0..w).map(|_| "v3".to_string()).collect();
    let mask_vec = if w == 1 {
        "  v4: bool = cmplt v0, v2\n".to_string()
    } else {
        format!("  v4: {mask_ty} = vec {}\n", per_elem.join(", "))
    };
    format!(
        "kernel m(a: global {dt}[256] read, y: global {dt}[256] write)
  grid [1, 1, 1] workgroup [32, 1, 1] subgroup 32
  shared s: {dt}[256]
{{
  v0: i32 = local_id.x
  v1: i32 = const {w}
  v2: i32 = mul v0, v1
  v3: bool = cmplt v0, v1
{mask_vec}  v5: {ty} = load a[v2]
  v6: {ty} = load a[v2] mask v3
  v7: {ty} = load a[v2] mask v4
  store s[v2] = v5
  barrier
  v8: {ty} = load s[v2]
  store y[v2] = v8
  store y[v2] = v6 mask v3
  store y[v2] = v7 mask v4
}}
"
    )
}

#[test]
fn every_dtype_and_width_assembles() {
    let dtypes = [
        "bool", "i8", "u8", "i16", "u16", "f16", "bf16", "i32", "u32", "f32", "i64", "u64", "f64",
    ];
    for dt in dtypes {
        for w in [1, 2, 4, 8] {
            emit_and_assemble(&access_kernel(dt, w));
        }
    }
}

/// f32x4 moves as one 16-byte `.v4` access; f16x8 as four `.b32` words; f64x4 as two
/// `.v2.f64`. Read-only buffers load through `ld.global.nc`, shared arrays by `[%r]`.
#[test]
fn vector_accesses_move_16_bytes() {
    let ptx = emit_and_assemble(&access_kernel("f32", 4));
    assert!(has(&ptx, "ld.global.nc.v4.f32"), "{ptx}");
    assert!(has(&ptx, "st.global.v4.f32"), "{ptx}");
    assert!(has(&ptx, "st.shared.v4.f32"), "{ptx}");
    assert!(has(&ptx, "ld.shared.v4.f32"), "{ptx}");
    let ptx = emit_and_assemble(&access_kernel("f16", 8));
    assert!(has(&ptx, "ld.global.nc.v4.b32"), "{ptx}");
    let ptx = emit_and_assemble(&access_kernel("f64", 4));
    let v2 = instructions(&ptx)
        .into_iter()
        .filter(|l| l.contains("ld.global.nc.v2.f64"))
        .count();
    // the unmasked and the whole-masked load, two instructions each (per-element masks
    // load element by element)
    assert_eq!(v2, 4, "{ptx}");
}

/// A whole-access mask guards the access with one predicate (the result zeroed first);
/// a per-element mask guards each element.
#[test]
fn masks_guard_accesses() {
    let ptx = emit_and_assemble(&access_kernel("f32", 4));
    let guarded: Vec<&str> = instructions(&ptx)
        .into_iter()
        .filter(|l| l.starts_with('@'))
        .collect();
    let vector_loads = guarded
        .iter()
        .filter(|l| l.contains(" ld.global.nc.v4.f32"))
        .count();
    let element_loads = guarded
        .iter()
        .filter(|l| l.contains(" ld.global.nc.f32"))
        .count();
    let element_stores = guarded
        .iter()
        .filter(|l| l.contains(" st.global.f32"))
        .count();
    assert_eq!(
        (vector_loads, element_loads, element_stores),
        (1, 4, 4),
        "{ptx}"
    );
}

/// Bool memory is one byte per element (0 or 1).
#[test]
fn bool_memory_is_bytes() {
    let ptx = emit_and_assemble(&access_kernel("bool", 4));
    assert!(has(&ptx, "ld.global.nc.v4.u8"), "{ptx}");
    assert!(has(&ptx, "st.global.v4.u8"), "{ptx}");
    assert!(has(&ptx, "selp.b16"), "{ptx}");
}

#[test]
fn atomics_are_reductions() {
    let kir =
        "kernel a(f: global f32[4] read_write, i: global i32[4] read_write, x: global f32[32] read)
  grid [2, 1, 1] workgroup [32, 1, 1] subgroup 32
  shared sf: f32[4]
  shared si: i32[4]
{
  v0: i32 = local_id.x
  v1: f32 = load x[v0]
  v2: i32 = const 0
  v3: f32 = const 0.0
  v4: bool = cmplt v0, v2
  if v4 {
    store sf[v2] = v3
    store si[v2] = v2
  }
  barrier
  atomic_add f[v2], v1
  atomic_add i[v2], v0
  atomic_max i[v2], v0
  atomic_min i[v2], v0
  atomic_add sf[v2], v1
  atomic_add si[v2], v0
  atomic_max si[v2], v0
  atomic_min si[v2], v0
}
";
    let ptx = emit_and_assemble(kir);
    for op in [
        "red.relaxed.gpu.global.add.f32",
        "red.relaxed.gpu.global.add.s32",
        "red.relaxed.gpu.global.max.s32",
        "red.relaxed.gpu.global.min.s32",
        "red.relaxed.cta.shared.add.f32",
        "red.relaxed.cta.shared.add.s32",
        "red.relaxed.cta.shared.max.s32",
        "red.relaxed.cta.shared.min.s32",
    ] {
        assert!(has(&ptx, op), "{op} missing:\n{ptx}");
    }
}

/// An i64 index addresses global memory in 64 bits and shared memory in 32.
#[test]
fn i64_indices() {
    let kir = "kernel w(a: global f32[64] read, y: global f32[64] write)
  grid [1, 1, 1] workgroup [32, 1, 1] subgroup 32
  shared s: f32[64]
{
  v0: i32 = local_id.x
  v1: i64 = cast v0
  v2: f32 = load a[v1]
  store s[v1] = v2
  barrier
  v3: f32 = load s[v1]
  store y[v1] = v3
}
";
    let ptx = emit_and_assemble(kir);
    assert!(has(&ptx, "mul.lo.s64"), "{ptx}");
    assert!(has(&ptx, "cvt.u32.u64"), "{ptx}");
}
