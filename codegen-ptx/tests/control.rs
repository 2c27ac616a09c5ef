//! Statements: loops (end read once, no wrap-around past the index type's maximum), ifs
//! with and without else, accumulators (one register set, updated in place), barriers,
//! and the per-lane side of subgroup and matrix statements.

mod common;

use common::{emit_and_assemble, has, instructions};

const LOOPS: &str = "kernel l(a: global f32[1024] read, y: global f32[32] write, n: i32)
  grid [1, 1, 1] workgroup [32, 1, 1] subgroup 32
  shared s: f32[32]
{
  v0: i32 = local_id.x
  v1: i32 = const 0
  v2: i32 = param n
  v3: f32 = const 0.0
  v4: f32x2 = vec v3, v3
  acc0: f32x2 = init v4
  for v5: i32 in v1..v2 step 32 {
    v6: i32 = add v5, v0
    v7: f32x2 = vec v3, v3
    acc0 = sum acc0, v7
    v8: bool = cmplt v6, v2
    if v8 {
      v9: f32 = load a[v6]
      v10: f32x2 = vec v9, v9
      acc0 = max acc0, v10
    } else {
      acc0 = v7
    }
  }
  v11: f32x2 = read acc0
  v12: f32 = extract v11, 1
  store s[v0] = v12
  barrier
  v13: i32 = const 8
  for v14: i32 in v1..v13 unroll {
    v15: f32 = load s[v14]
    store y[v0] = v15
  }
}
";

fn loops() -> String {
    LOOPS.to_string()
}

/// A loop whose end is a parameter guards its increment against wrapping past i32's
/// maximum; one with a small constant end needs no guard.
#[test]
fn loop_bottom_tests() {
    let ptx = emit_and_assemble(&loops());
    let lines = instructions(&ptx);
    let guarded = lines
        .iter()
        .filter(|l| l.starts_with("setp.lt.and.s32"))
        .count();
    let plain = lines
        .iter()
        .filter(|l| l.starts_with("setp.lt.s32"))
        .count();
    // the first loop (end = n) is guarded; the second (end = 8) and the if's `cmplt` are not
    assert_eq!(guarded, 1, "{ptx}");
    assert!(plain >= 2, "{ptx}");
    assert!(has(&ptx, "bar.sync 0"), "{ptx}");
}

/// An accumulator lives in its own registers, updated in place: each element of `acc0`
/// is written by the combine (`add.rn.f32 %f_acc0_0, %f_acc0_0, …`).
#[test]
fn accumulators_update_in_place() {
    let ptx = emit_and_assemble(&loops());
    for e in 0..2 {
        let reg = format!("%f_acc0_{e}");
        let in_place = format!("add.rn.f32 {reg}, {reg}, ");
        assert!(
            instructions(&ptx).iter().any(|l| l.starts_with(&in_place)),
            "{ptx}"
        );
    }
}

/// The if jumps over its then-block on the negated condition, and its then-block jumps
/// over the else-block.
#[test]
fn if_else_branches() {
    let ptx = emit_and_assemble(&loops());
    assert!(
        instructions(&ptx)
            .iter()
            .any(|l| l.starts_with("@!%p_v8 bra ")),
        "{ptx}"
    );
}

/// Subgroup reductions, fragments and matrix tiles: each fragment gets eight `.f32`
/// registers and each tile a shared address (the instructions between come from the
/// warp-cooperative lowerings).
#[test]
fn cooperative_statements_assemble() {
    let kir = "kernel c(a: global f16[256] read, y: global f32[256] write)
  grid [1, 1, 1] workgroup [32, 1, 1] subgroup 32
  shared ta: f16[256]
  shared tb: f16[256]
  shared td: f32[256]
  fragment acc: f32[16, 16]
{
  v0: i32 = local_id.x
  v1: i32 = const 8
  v2: i32 = mul v0, v1
  v3: f16x8 = load a[v2]
  store ta[v2] = v3
  store tb[v2] = v3
  v4: f32 = const 0.0
  v5: f32x8 = vec v4, v4, v4, v4, v4, v4, v4, v4
  store td[v2] = v5
  barrier
  v6: i32 = const 0
  fragment_zero acc
  fragment_mma acc += ta[v6, stride 16] * tb[v6, stride 16]
  barrier
  matrix_tile td[v6, stride 16] += ta[v6, stride 16] * tb[v6, stride 16]
  barrier
  fragment_store td[v6, stride 16] = acc
  barrier
  v7: f32x8 = load td[v2]
  v8: f32x8 = subgroup_sum v7
  store y[v2] = v8
}
";
    let ptx = emit_and_assemble(kir);
    assert!(ptx.contains("%f_frag0_7"), "{ptx}");
    assert!(
        has(&ptx, "mov.u32 %r_t") && ptx.contains("shared_ta;"),
        "{ptx}"
    );
}

/// An i64 loop with a parameter end: 64-bit compare and increment, with the wrap guard.
#[test]
fn i64_loops() {
    let kir = "kernel w(a: global f32[64] read, y: global f32[64] write, n: i64)
  grid [1, 1, 1] workgroup [32, 1, 1] subgroup 32
{
  v0: i32 = local_id.x
  v1: i64 = cast v0
  v2: i64 = param n
  v3: f32 = const 0.0
  acc0: f32 = init v3
  for v4: i64 in v1..v2 step 32 {
    v5: f32 = load a[v4]
    acc0 = sum acc0, v5
  }
  v6: f32 = read acc0
  store y[v1] = v6
}
";
    let ptx = emit_and_assemble(kir);
    assert!(has(&ptx, "setp.ge.s64"), "{ptx}");
    assert!(has(&ptx, "add.s64 %rd_v4, %rd_v4, 32"), "{ptx}");
    assert!(has(&ptx, "setp.lt.and.s64"), "{ptx}");
}

/// Ifs nested as deep as the kernel IR allows (256) emit and assemble.
#[test]
fn deeply_nested_ifs() {
    let mut body = String::new();
    for _ in 0..256 {
        body += "if v1 {\n";
    }
    body += "store y[v0] = v2\n";
    for _ in 0..256 {
        body += "}\n";
    }
    let kir = format!(
        "kernel d(y: global f32[32] write)
  grid [1, 1, 1] workgroup [32, 1, 1] subgroup 32
{{
  v0: i32 = local_id.x
  v1: bool = cmplt v0, v0
  v2: f32 = const 1.0
{body}}}
"
    );
    let ptx = emit_and_assemble(&kir);
    let branches = instructions(&ptx)
        .iter()
        .filter(|l| l.starts_with("@!%p_v1 bra"))
        .count();
    assert_eq!(branches, 256);
}
