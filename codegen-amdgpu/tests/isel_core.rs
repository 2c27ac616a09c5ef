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

const ADD: &str = include_str!("data/isel/add.kir");

#[test]
fn add_with_a_uniform_loop() {
    let mir = selected(ADD);
    // The loop bounds are uniform: a scalar loop (compare, conditional branch back);
    // constant with start < end, so no entry test.
    assert_eq!(count(&mir, "s_cmp_lt_i32"), 0);
    assert_eq!(count(&mir, "s_cbranch_scc0"), 0);
    assert_eq!(count(&mir, "s_cbranch_scc1"), 1);
    assert_eq!(count(&mir, "s_cbranch_execnz"), 0);
    // workgroup_id.x * 1024 on the scalar ALU, + local id on the vector ALU.
    assert_eq!(count(&mir, "s_mul_i32"), 1);
    assert_eq!(count(&mir, "global_load_b32"), 2);
    assert_eq!(count(&mir, "global_store_b32"), 1);
    assert_eq!(count(&mir, "v_add_f32"), 1);
    // Only local_id.x is enabled: v0 holds it alone, unmasked.
    assert_eq!(count(&mir, "v_and_b32"), 0);
    // One lane byte offset for the three accesses at one index.
    assert_eq!(count(&mir, "v_lshlrev_b32"), 1);
    // Three buffer addresses, 24 bytes of kernarg segment: 16 + 8 bytes.
    assert_eq!(count(&mir, "s_load_b128"), 1);
    assert_eq!(count(&mir, "s_load_b64"), 1);
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

/// Selects, checks structure and EXEC pairing, and runs the whole pipeline through
/// llvm-objdump (when installed).
fn full(src: &str) -> Mir {
    let mir = selected(src);
    let (saves, restores) = exec_saves_and_restores(&mir);
    assert_eq!(saves, restores, "EXEC saves and restores must pair up");
    objdump(src);
    mir
}

const PER_LANE_IF: &str = include_str!("data/isel/per_lane_if.kir");

#[test]
fn per_lane_if_else_narrows_exec() {
    let mir = full(PER_LANE_IF);
    assert_eq!(count(&mir, "s_and_saveexec_b32"), 1);
    // One lane offset for the load and the store.
    assert_eq!(count(&mir, "v_lshlrev_b32"), 1);
    // The else lanes: saved EXEC and not the condition.
    assert_eq!(count(&mir, "s_and_not1_b32"), 1);
    assert_eq!(count(&mir, "s_cbranch_execz"), 2);
    assert_eq!(count(&mir, "s_cbranch_scc0"), 0);
    // neg on f32 flips the sign bit.
    assert_eq!(count(&mir, "v_xor_b32"), 1);
}

const UNIFORM_IF: &str = include_str!("data/isel/uniform_if.kir");

#[test]
fn uniform_if_branches_on_scc() {
    let mir = full(UNIFORM_IF);
    assert_eq!(count(&mir, "s_cbranch_scc0"), 1);
    assert_eq!(count(&mir, "s_branch"), 1);
    assert_eq!(count(&mir, "s_and_saveexec_b32"), 0);
    // The accumulator is uniform: its updates use the scalar ALU.
    assert_eq!(count(&mir, "s_add_u32"), 1);
    assert_eq!(count(&mir, "s_max_i32"), 1);
    // One scalar parameter after two buffer addresses: 16 + 4 bytes.
    assert_eq!(count(&mir, "s_load_b128"), 1);
    assert_eq!(count(&mir, "s_load_b32"), 1);
}

const PER_LANE_LOOP: &str = include_str!("data/isel/per_lane_loop.kir");

#[test]
fn per_lane_loop_narrows_exec_each_iteration() {
    let mir = full(PER_LANE_LOOP);
    assert_eq!(count(&mir, "v_cmp_lt_i32"), 1);
    assert_eq!(count(&mir, "s_cbranch_execnz"), 1);
    assert_eq!(count(&mir, "v_cmp_gt_u32"), 1);
    // max with the IR's NaN and signed-zero rules.
    assert_eq!(count(&mir, "v_max_f32"), 1);
    assert_eq!(count(&mir, "v_cmp_u_f32"), 1);
}

const WIDE_LOOP: &str = include_str!("data/isel/wide_loop.kir");

#[test]
fn i64_loop_steps_with_carries() {
    let mir = full(WIDE_LOOP);
    assert_eq!(count(&mir, "v_cmp_lt_i64"), 1);
    assert_eq!(count(&mir, "v_sub_co_ci_u32"), 1);
    assert_eq!(count(&mir, "v_add_co_ci_u32"), 1);
    assert_eq!(count(&mir, "global_load_b64"), 1);
    // Two buffer addresses and an i64: 16 + 8 bytes.
    assert_eq!(count(&mir, "s_load_b128"), 1);
    assert_eq!(count(&mir, "s_load_b64"), 1);
}

const MASKS: &str = include_str!("data/isel/masks.kir");

#[test]
fn masked_and_narrow_accesses() {
    let mir = full(MASKS);
    // A whole-access mask: one b128 under one narrowing; per-element masks: one access
    // per element, each under its own narrowing.
    assert_eq!(count(&mir, "global_load_b128"), 1);
    assert_eq!(count(&mir, "global_load_b32"), 4);
    assert_eq!(count(&mir, "global_store_b32"), 4);
    // hh (f16x4) is never used: its loads are dropped. bb's four bytes share one
    // register tuple, of which one element is used: all four stay.
    assert_eq!(count(&mir, "global_load_u16"), 0);
    assert_eq!(count(&mir, "global_load_u8"), 4);
    assert_eq!(count(&mir, "global_store_b8"), 1);
    assert_eq!(count(&mir, "s_and_saveexec_b32"), 1 + 4 + 4 + 1);
}

const WIDE_VECTORS: &str = include_str!("data/isel/wide_vectors.kir");

#[test]
fn wide_vectors_move_in_16_byte_chunks() {
    let mir = full(WIDE_VECTORS);
    assert_eq!(count(&mir, "global_load_b128"), 2 + 1);
    assert_eq!(count(&mir, "global_store_b128"), 2 + 1);
    assert_eq!(count(&mir, "v_mul_f32"), 8);
}

const HUGE_BUFFER: &str = include_str!("data/isel/huge_buffer.kir");

#[test]
fn buffers_over_4_gib_use_64_bit_addresses() {
    let mir = full(HUGE_BUFFER);
    assert_eq!(count(&mir, "v_lshlrev_b64"), 2);
    assert_eq!(count(&mir, "v_add_co_u32"), 2);
    // The i32 index is sign-extended first.
    assert_eq!(count(&mir, "v_ashrrev_i32"), 1);
}

const INT_OPS: &str = include_str!("data/isel/int_ops.kir");

#[test]
fn integer_ops_pick_scalar_or_vector_alu() {
    let mir = full(INT_OPS);
    for op in ["s_lshl_b32", "s_ashr_i32", "s_mul_hi_i32"] {
        assert_eq!(count(&mir, op), 1, "{op}");
    }
    for op in [
        "v_lshlrev_b32",
        "v_ashrrev_i32",
        "v_mul_hi_i32",
        "v_min_i32",
        "v_lshrrev_b32",
        "v_max_u32",
        "v_mul_hi_u32",
        "v_cmp_lt_u32",
        "v_cmp_ne_u32",
        "v_cndmask_b32",
    ] {
        assert!(count(&mir, op) >= 1, "{op}");
    }
}

const FLOAT_OPS: &str = include_str!("data/isel/float_ops.kir");

#[test]
fn float_ops() {
    let mir = full(FLOAT_OPS);
    for op in [
        "v_sub_f32",
        "v_mul_f32",
        "v_fma_f32",
        "v_min_f32",
        "v_trunc_f32",
        "v_cmp_lt_f32",
        "v_cmp_neq_f32",
        "s_or_b32",
    ] {
        assert!(count(&mir, op) >= 1, "{op}");
    }
    // min: -0 wins over +0 through the bitwise or of equal operands.
    assert_eq!(count(&mir, "v_or_b32"), 1);
}

#[test]
fn nested_control_flow() {
    let src = include_str!("data/isel/nested.kir");
    let mir = full(src);
    assert_eq!(count(&mir, "s_cbranch_scc1"), 1);
    assert_eq!(count(&mir, "s_cbranch_execnz"), 1);
    assert_eq!(count(&mir, "s_and_saveexec_b32"), 1);
}

/// Statement numbers follow the verifier's order: a loop before its body.
#[test]
fn lines_are_statement_numbers() {
    let mir = selected(ADD);
    let lines: Vec<u32> = mir
        .insts
        .iter()
        .filter_map(|m| match m {
            MInst::Inst { inst, line, .. } if inst.op().name() == "global_store_b32" => Some(*line),
            _ => None,
        })
        .collect();
    // v0..v4 are statements 0-4, the loop 5, its body 6-11: the store is statement 11.
    assert_eq!(lines, [11]);
}

#[test]
fn errors_name_the_kernel() {
    let src = include_str!("data/isel/needs_exp.kir");
    let k = kernel(src);
    if let Err(e) = select_kernel(&k, &gfx1100()) {
        assert!(e.to_string().contains("needs_exp"), "{e}");
    }
}

/// The SGPRs the workgroup ids are pinned to: after the user SGPRs padded so that user +
/// system SGPRs reach 16 (gfx1100's UserSGPRInit16Bug), enabled ids densely in x, y, z
/// order (AMDGPUUsage, "SGPR Register Set Up Order").
fn workgroup_sgprs(axes: &[&str]) -> Vec<u8> {
    let reads: String = axes
        .iter()
        .enumerate()
        .map(|(i, a)| format!("  g{i}: i32 = workgroup_id.{a}\n  store y[g{i}] = g{i}\n"))
        .collect();
    let src = format!(
        "kernel wg(y: global i32[64] write)
  grid [4, 4, 4] workgroup [32, 1, 1] subgroup 32
{{
{reads}}}
"
    );
    let mir = selected(&src);
    // The kernarg pointer is pinned to s0 first; the ids follow in order.
    mir.pinned.iter().skip(1).map(|&(_, r)| r).collect()
}

#[test]
fn workgroup_ids_follow_the_padded_user_sgprs() {
    assert_eq!(workgroup_sgprs(&["x"]), [15]);
    assert_eq!(workgroup_sgprs(&["y"]), [15]);
    assert_eq!(workgroup_sgprs(&["z", "x"]), [14, 15]);
    assert_eq!(workgroup_sgprs(&["x", "y", "z"]), [13, 14, 15]);
}

#[test]
fn local_ids_unpack_v0() {
    let src = include_str!("data/isel/lid.kir");
    let k = kernel(src);
    let (mir, info) = select_kernel(&k, &gfx1100()).unwrap();
    check_structure(&mir);
    assert_eq!(info.workitem_id_dims, 3);
    assert_eq!(info.workgroup_id, [false; 3]);
    assert_eq!(count(&mir, "v_and_b32"), 1);
    assert_eq!(count(&mir, "v_bfe_u32"), 2);
    objdump(src);
}

/// An offset computed inside a block is not reused after the block closes (its lanes or
/// its execution may differ); one computed before is reused inside.
#[test]
fn lane_offsets_are_reused_only_in_scope() {
    let src = include_str!("data/isel/scopes.kir");
    let mir = full(src);
    // i: computed in the then-body, again after it; j: once in the then-body, again after.
    assert_eq!(count(&mir, "v_lshlrev_b32"), 4);
}

#[test]
fn uniform_loop_with_a_parameter_bound() {
    let src = include_str!("data/isel/ploop.kir");
    let mir = full(src);
    // Zero iterations when n <= 0: tested on entry.
    assert_eq!(count(&mir, "s_cmp_lt_i32"), 1);
    assert_eq!(count(&mir, "s_cbranch_scc0"), 1);
    // 2.0 is an inline constant of v_mul_f32: its move is dropped as dead.
    assert_eq!(count(&mir, "v_mul_f32"), 1);
    assert_eq!(count(&mir, "v_mov_b32"), 0);
}

/// Every mnemonic written in the core families' sources (a string literal starting `s_`,
/// `v_`, `global_`) is in the opcode table: `isel::emit::op` relies on it.
#[test]
fn isel_opcode_names_exist() {
    use egpu_codegen_amdgpu::isa::Op;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/isel");
    let mut missing = Vec::new();
    let mut seen = 0;
    let core = [
        "select.rs",
        "uniformity.rs",
        "control.rs",
        "value.rs",
        "memory.rs",
        "alu32.rs",
        "dce.rs",
    ];
    for file in core {
        let path = dir.join(file);
        let text = std::fs::read_to_string(&path).expect("source");
        for lit in text.split('"').skip(1).step_by(2) {
            let mnemonic = ["s_", "v_", "global_"].iter().any(|p| lit.starts_with(p))
                && lit
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            if mnemonic {
                seen += 1;
                if Op::by_name(lit).is_none() {
                    missing.push(format!("{}: {lit}", path.display()));
                }
            }
        }
    }
    assert!(seen > 50, "found only {seen} mnemonics");
    assert!(missing.is_empty(), "not in the opcode table: {missing:?}");
}

#[test]
fn uniform_loads_of_read_buffers_use_the_scalar_cache() {
    let src = include_str!("data/isel/sload.kir");
    let mir = full(src);
    // w[k] (uniform index, read buffer): one 16-byte scalar load; t[3] at an immediate
    // offset, t[n] at a shifted scalar offset; o is read_write and w[i] per-lane: global.
    assert_eq!(count(&mir, "s_load_b128"), 1);
    // The kernarg segment: 4 addresses and an i32, 36 bytes: 32 + 4.
    assert_eq!(count(&mir, "s_load_b256"), 1);
    assert_eq!(count(&mir, "s_load_b32"), 1 + 2);
    assert_eq!(count(&mir, "s_lshl_b32"), 2);
    assert_eq!(count(&mir, "global_load_b32"), 2);
    // t's values stay scalar: their sum is a scalar add.
    assert_eq!(count(&mir, "s_add_u32"), 1);
}

#[test]
fn a_workgroup_id_along_an_axis_of_one_workgroup_is_zero() {
    let src = include_str!("data/isel/one.kir");
    let k = kernel(src);
    let (mir, info) = select_kernel(&k, &gfx1100()).unwrap();
    check_structure(&mir);
    assert_eq!(info.workgroup_id, [false, true, false]);
    // s0 (kernarg), then y alone after 15 user SGPRs.
    assert_eq!(
        mir.pinned.iter().map(|&(_, r)| r).collect::<Vec<_>>(),
        [0, 15, 0]
    );
    objdump(src);
}
