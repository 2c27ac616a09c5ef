//! Instruction selection of the core families (driver, uniformity, control flow, values,
//! global memory, 32-bit ALU) on hand-written kernels: structural checks on the machine IR
//! (every virtual register written before it is read in program order, labels placed once,
//! EXEC saved and restored in pairs), and, through the whole pipeline, `llvm-objdump-19`
//! decoding the code object without an `<unknown>` instruction.

mod common;

use egpu_codegen_amdgpu::compile_program;
use egpu_codegen_amdgpu::isa::{Inst, Operand};
use egpu_codegen_amdgpu::isel::select_kernel;
use egpu_codegen_amdgpu::mir::{MInst, Mir};
use egpu_ir::Target;
use egpu_ir::kernel::{Kernel, Program, text};
use std::collections::HashSet;

fn gfx1100() -> Target {
    Target::by_name("gfx1100").expect("gfx1100 is a known target")
}

fn kernel(src: &str) -> Kernel {
    text::parse(src).unwrap_or_else(|e| panic!("{e}\n{src}"))
}

/// Selects `src` and checks the machine IR's structure.
fn selected(src: &str) -> Mir {
    let k = kernel(src);
    let (mir, _) = select_kernel(&k, &gfx1100()).unwrap_or_else(|e| panic!("{e}"));
    check_structure(&mir);
    mir
}

/// Every register read was written before (in program order, or is pinned); every label
/// is placed exactly once and every branch targets a placed label; the program ends with
/// `s_endpgm`.
fn check_structure(mir: &Mir) {
    let mut defined: HashSet<u32> = mir.pinned.iter().map(|(v, _)| v.0).collect();
    let mut placed = HashSet::new();
    for (i, m) in mir.insts.iter().enumerate() {
        match m {
            MInst::Inst { regs, inst, .. } => {
                for r in regs.iter().filter(|r| r.reads()) {
                    assert!(
                        defined.contains(&r.reg.0),
                        "instruction {i} ({}) reads %{} before any write",
                        inst.op().name(),
                        r.reg.0
                    );
                }
                for r in regs.iter().filter(|r| r.writes()) {
                    defined.insert(r.reg.0);
                }
            }
            MInst::Label(l) => assert!(placed.insert(l.0), "label {} placed twice", l.0),
            MInst::Branch { .. } => {}
        }
    }
    for m in &mir.insts {
        if let MInst::Branch { target, .. } = m {
            assert!(
                placed.contains(&target.0),
                "branch to unplaced label {}",
                target.0
            );
        }
    }
    let last = mir.insts.last().expect("some code");
    assert!(
        matches!(last, MInst::Inst { inst, .. } if inst.op().name() == "s_endpgm"),
        "the program must end with s_endpgm"
    );
}

/// The mnemonics in order (branches included).
fn ops(mir: &Mir) -> Vec<&'static str> {
    mir.insts
        .iter()
        .filter_map(|m| match m {
            MInst::Inst { inst, .. } => Some(inst.op().name()),
            MInst::Branch { op, .. } => Some(op.name()),
            MInst::Label(_) => None,
        })
        .collect()
}

fn count(mir: &Mir, name: &str) -> usize {
    ops(mir).iter().filter(|&&o| o == name).count()
}

/// Writes of `exec_lo` (restores, narrowing, saveexec) — balanced against saves below.
fn exec_saves_and_restores(mir: &Mir) -> (usize, usize) {
    let mut saves = 0;
    let mut restores = 0;
    for m in &mir.insts {
        if let MInst::Inst { inst, .. } = m {
            match inst {
                Inst::Sop1 { op, .. } if op.name() == "s_and_saveexec_b32" => saves += 1,
                Inst::Sop1 { op, src0, .. }
                    if op.name() == "s_mov_b32" && *src0 == Operand::ExecLo =>
                {
                    saves += 1
                }
                Inst::Sop1 { op, sdst, .. }
                    if op.name() == "s_mov_b32" && *sdst == Operand::ExecLo =>
                {
                    restores += 1
                }
                _ => {}
            }
        }
    }
    (saves, restores)
}

/// The whole pipeline into a code object, disassembled by llvm-objdump-19 (when
/// installed): no `<unknown>` and the kernel's symbol present. Returns the disassembly.
fn objdump(src: &str) -> Option<String> {
    let k = kernel(src);
    let name = k.name().to_string();
    let program = Program {
        name: name.clone(),
        buffers: Vec::new(),
        kernels: vec![k],
        launches: Vec::new(),
        outputs: Vec::new(),
    };
    let (object, _) = compile_program(&program, &gfx1100()).unwrap_or_else(|e| panic!("{e}"));
    let tool = common::llvm_tool("isel_core", "llvm-objdump-19")?;
    let dir = tempdir();
    let path = dir.join(format!("{name}.hsaco"));
    std::fs::write(&path, &object).expect("write the code object");
    let out = std::process::Command::new(tool)
        .args(["-d", "--mcpu=gfx1100"])
        .arg(&path)
        .output()
        .expect("run llvm-objdump-19");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!text.contains("<unknown>"), "{text}");
    assert!(text.contains(&format!("<{name}>:")), "{text}");
    assert!(text.contains("s_endpgm"), "{text}");
    if std::env::var_os("ISEL_SHOW").is_some() {
        eprintln!("{text}");
    }
    Some(text)
}

fn tempdir() -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("isel_core_{}", std::process::id()));
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

const ADD: &str =
    "kernel k0_add(a: global f32[4096] read, b: global f32[4096] read, y: global f32[4096] write)
  grid [4, 1, 1] workgroup [256, 1, 1] subgroup 32
{
  v0: i32 = workgroup_id.x
  v1: i32 = local_id.x
  v2: i32 = const 1024
  v3: i32 = mul v0, v2
  v4: i32 = const 0
  for v5: i32 in v4..v2 step 256 {
    v6: i32 = add v3, v5
    v7: i32 = add v6, v1
    v8: f32 = load a[v7]
    v9: f32 = load b[v7]
    v10: f32 = add v8, v9
    store y[v7] = v10
  }
}
";

#[test]
fn add_with_a_uniform_loop() {
    let mir = selected(ADD);
    // The loop bounds are uniform: a scalar loop (compare, conditional branch back).
    assert_eq!(count(&mir, "s_cmp_lt_i32"), 1);
    assert_eq!(count(&mir, "s_cbranch_scc1"), 1);
    assert_eq!(count(&mir, "s_cbranch_execnz"), 0);
    // workgroup_id.x * 1024 on the scalar ALU, + local id on the vector ALU.
    assert_eq!(count(&mir, "s_mul_i32"), 1);
    assert_eq!(count(&mir, "global_load_b32"), 2);
    assert_eq!(count(&mir, "global_store_b32"), 1);
    assert_eq!(count(&mir, "v_add_f32"), 1);
    // Three buffer addresses from the kernarg segment.
    assert_eq!(count(&mir, "s_load_b64"), 3);
    objdump(ADD);
}

#[test]
fn add_kernel_info() {
    let k = kernel(ADD);
    let (_, info) = select_kernel(&k, &gfx1100()).unwrap();
    assert_eq!(info.kernarg_size, 24);
    assert_eq!(info.kernarg_align, 8);
    assert_eq!(
        info.args.iter().map(|a| a.offset).collect::<Vec<_>>(),
        [0, 8, 16]
    );
    assert_eq!(info.workgroup_id, [true, false, false]);
    assert_eq!(info.workitem_id_dims, 1);
    assert_eq!(info.max_flat_workgroup_size, 256);
}
