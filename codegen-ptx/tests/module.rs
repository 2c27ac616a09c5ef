//! The module around a kernel: header, entry, parameters, launch shape, comments, and
//! refusal of targets that are not NVIDIA's.

mod common;

use common::{emit, emit_and_assemble};
use egpu_codegen_ptx::{PtxError, PtxOptions, emit_kernel};
use egpu_ir::Target;
use egpu_ir::kernel::text;

const KERNEL: &str = "kernel k_mod(a: global f32[64] read_write, n: i32, m: i64)
  grid [2, 3, 1] workgroup [8, 4, 2] subgroup 32
{
  v0: i32 = local_id.x
  v1: i32 = local_id.y
  v2: i32 = workgroup_id.y
  v3: i32 = param n
  v4: i64 = param m
  v5: i32 = add v0, v1
  v6: i32 = add v5, v2
  v7: i32 = add v6, v3
  v8: i64 = cast v7
  v9: i64 = add v8, v4
  v10: f32 = load a[v9]
  store a[v9] = v10
}
";

#[test]
fn header_entry_and_parameters() {
    let ptx = emit_and_assemble(KERNEL);
    let head: Vec<&str> = ptx.lines().take(3).collect();
    assert_eq!(head, [".version 7.8", ".target sm_80", ".address_size 64"]);
    assert!(ptx.contains(".visible .entry k_mod("), "{ptx}");
    assert!(ptx.contains(".param .u64 param_a,"), "{ptx}");
    assert!(ptx.contains(".param .u32 param_n,"), "{ptx}");
    assert!(ptx.contains(".param .u64 param_m\n"), "{ptx}");
    assert!(ptx.contains(".reqntid 8, 4, 2\n"), "{ptx}");
    assert!(ptx.contains("mov.u32 %r_v1, %tid.y;"), "{ptx}");
    assert!(ptx.contains("mov.u32 %r_v2, %ctaid.y;"), "{ptx}");
    // a read_write buffer is not read through the non-coherent path
    assert!(!ptx.contains(".nc"), "{ptx}");
    for target in common::NVIDIA {
        let ptx = emit(KERNEL, target).unwrap();
        assert!(ptx.contains(&format!("\n.target {target}\n")));
    }
}

#[test]
fn comments_show_each_statement() {
    let with = emit(KERNEL, "sm_90").unwrap();
    assert!(with.contains("\t// v9: i64 = add v8, v4\n"), "{with}");
    assert!(with.contains("\t// store a[v9] = v10\n"), "{with}");
    let kernel = text::parse(KERNEL).unwrap();
    let without = emit_kernel(&kernel, &Target::SM_90, &PtxOptions { comments: false }).unwrap();
    assert!(!without.contains("//"), "{without}");
    // the instructions are the same either way
    let strip = |s: &str| -> String {
        s.lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(strip(&with), strip(&without));
}

#[test]
fn amd_targets_are_refused() {
    match emit(KERNEL, "gfx1100") {
        Err(PtxError::Unsupported { kernel, target, .. }) => {
            assert_eq!((kernel.as_str(), target.as_str()), ("k_mod", "gfx1100"));
        }
        other => panic!("{other:?}"),
    }
}
