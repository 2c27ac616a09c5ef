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

const PER_LANE_IF: &str = "kernel per_lane_if(x: global f32[64] read, y: global f32[64] write)
  grid [1, 1, 1] workgroup [64, 1, 1] subgroup 32
{
  i: i32 = local_id.x
  h: i32 = const 32
  p: bool = cmplt i, h
  z: f32 = const 0.0
  acc: f32 = init z
  a: f32 = load x[i]
  if p {
    acc = sum acc, a
  } else {
    n: f32 = neg a
    acc = n
  }
  r: f32 = read acc
  store y[i] = r
}
";

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

const UNIFORM_IF: &str =
    "kernel uniform_if(x: global i32[64] read, y: global i32[64] write, n: i32)
  grid [2, 1, 1] workgroup [32, 1, 1] subgroup 32
{
  g: i32 = workgroup_id.x
  m: i32 = param n
  p: bool = cmplt g, m
  i: i32 = local_id.x
  k: i32 = const 32
  base: i32 = mul g, k
  j: i32 = add base, i
  a: i32 = load x[j]
  acc: i32 = init g
  if p {
    acc = sum acc, m
  } else {
    acc = max acc, k
  }
  r: i32 = read acc
  s: i32 = add r, a
  store y[j] = s
}
";

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

const PER_LANE_LOOP: &str =
    "kernel per_lane_loop(x: global f32[1024] read, y: global f32[32] write)
  grid [1, 1, 1] workgroup [32, 1, 1] subgroup 32
{
  i: i32 = local_id.x
  z: f32 = const 0.0
  acc: f32 = init z
  n: i32 = const 1024
  for j: i32 in i..n step 32 {
    a: f32 = load x[j]
    acc = max acc, a
  }
  r: f32 = read acc
  store y[i] = r
}
";

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

const WIDE_LOOP: &str =
    "kernel wide_loop(x: global f64[1024] read, y: global f64[32] write, n: i64)
  grid [1, 1, 1] workgroup [32, 1, 1] subgroup 32
{
  i: i32 = local_id.x
  s: i64 = const 0
  e: i64 = param n
  z: f64 = const 0.0
  acc: f64 = init z
  for j: i64 in s..e step 32 {
    a: f64 = load x[j]
    h: i32 = const 16
    c: bool = cmplt i, h
    b: f64 = where c, a, z
    acc = b
  }
  r: f64 = read acc
  store y[i] = r
}
";

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

const MASKS: &str = "kernel masks(x: global f32[64] read, h: global f16[64] read, b: global bool[64] read, y: global f32[64] write, g: global i8[64] write)
  grid [1, 1, 1] workgroup [16, 1, 1] subgroup 32
{
  i: i32 = local_id.x
  four: i32 = const 4
  k: i32 = mul i, four
  t: i32 = const 8
  p: bool = cmplt i, t
  v: f32x4 = load x[k] mask p
  q: bool = cmpeq i, t
  m: boolx4 = vec p, q, p, q
  w: f32x4 = load x[k] mask m
  u: f32x4 = add v, w
  store y[k] = u mask m
  hh: f16x4 = load h[k]
  bb: boolx4 = load b[k]
  e: bool = extract bb, 2
  c: i8 = const -3
  store g[i] = c mask e
}
";

#[test]
fn masked_and_narrow_accesses() {
    let mir = full(MASKS);
    // A whole-access mask: one b128 under one narrowing; per-element masks: one access
    // per element, each under its own narrowing.
    assert_eq!(count(&mir, "global_load_b128"), 1);
    assert_eq!(count(&mir, "global_load_b32"), 4);
    assert_eq!(count(&mir, "global_store_b32"), 4);
    assert_eq!(count(&mir, "global_load_u16"), 4);
    assert_eq!(count(&mir, "global_load_u8"), 4);
    assert_eq!(count(&mir, "global_store_b8"), 1);
    assert_eq!(count(&mir, "s_and_saveexec_b32"), 1 + 4 + 4 + 1);
}

const WIDE_VECTORS: &str =
    "kernel wide(x: global f32[256] read, d: global f64[256] read_write, y: global f32[256] write)
  grid [1, 1, 1] workgroup [32, 1, 1] subgroup 32
{
  i: i32 = local_id.x
  e: i32 = const 8
  k: i32 = mul i, e
  v: f32x8 = load x[k]
  w: f32x8 = mul v, v
  store y[k] = w
  two: i32 = const 2
  j: i32 = mul i, two
  a: f64x2 = load d[j]
  store d[j] = a
}
";

#[test]
fn wide_vectors_move_in_16_byte_chunks() {
    let mir = full(WIDE_VECTORS);
    assert_eq!(count(&mir, "global_load_b128"), 2 + 1);
    assert_eq!(count(&mir, "global_store_b128"), 2 + 1);
    assert_eq!(count(&mir, "v_mul_f32"), 8);
}

const HUGE_BUFFER: &str =
    "kernel huge(x: global f32[2147483648] read, y: global f32[2147483648] write, n: i64)
  grid [1, 1, 1] workgroup [32, 1, 1] subgroup 32
{
  i: i32 = local_id.x
  a: f32 = load x[i]
  j: i64 = param n
  store y[j] = a
}
";

#[test]
fn buffers_over_4_gib_use_64_bit_addresses() {
    let mir = full(HUGE_BUFFER);
    assert_eq!(count(&mir, "v_lshlrev_b64"), 2);
    assert_eq!(count(&mir, "v_add_co_u32"), 2);
    // The i32 index is sign-extended first.
    assert_eq!(count(&mir, "v_ashrrev_i32"), 1);
}

const INT_OPS: &str = "kernel ints(x: global i32[64] read, u: global u32[64] read_write, y: global i32[64] write, n: i32)
  grid [1, 1, 1] workgroup [64, 1, 1] subgroup 32
{
  i: i32 = local_id.x
  m: i32 = param n
  a: i32 = load x[i]
  s1: i32 = shl m, m
  s2: i32 = shr m, m
  s3: i32 = mulhi m, m
  v1: i32 = shl a, m
  v2: i32 = shr a, s1
  v3: i32 = mulhi a, s2
  v4: i32 = min v1, v2
  v5: i32 = xor v4, v3
  v6: i32 = not v5
  v7: i32 = neg v6
  v8: i32 = sub v7, s3
  b: u32 = load u[i]
  w1: u32 = shr b, b
  w2: u32 = max w1, b
  w3: u32 = mulhi w2, b
  c: bool = cmplt w3, b
  d: bool = cmpne a, m
  e: bool = xor c, d
  f: bool = cmpeq e, c
  g: bool = not f
  r: i32 = where g, v8, a
  store y[i] = r
  store u[i] = w3
}
";

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

const FLOAT_OPS: &str =
    "kernel floats(x: global f32[64] read, y: global f32[64] write, z: global bool[64] write)
  grid [1, 1, 1] workgroup [64, 1, 1] subgroup 32
{
  i: i32 = local_id.x
  a: f32 = load x[i]
  one: f32 = const 1.0
  big: f32 = const 1e30
  b: f32 = sub a, one
  c: f32 = mul b, big
  d: f32 = fma a, b, c
  e: f32 = min d, a
  f: f32 = trunc e
  g: f32 = neg f
  store y[i] = g
  l: bool = cmplt a, b
  q: bool = cmpne a, a
  r: bool = or l, q
  t: bool = const true
  s: bool = and r, t
  store z[i] = s
}
";

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
    let src = "kernel nested(x: global f32[4096] read, y: global f32[64] write)
  grid [1, 1, 1] workgroup [64, 1, 1] subgroup 32
{
  i: i32 = local_id.x
  z: i32 = const 0
  n: i32 = const 64
  zero: f32 = const 0.0
  acc: f32 = init zero
  for r: i32 in z..n {
    sixty: i32 = const 64
    base: i32 = mul r, sixty
    j: i32 = add base, i
    a: f32 = load x[j]
    p: bool = cmplt zero, a
    if p {
      for k: i32 in z..i {
        acc = sum acc, a
      }
    }
  }
  s: f32 = read acc
  store y[i] = s
}
";
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
    let src = "kernel needs_exp(x: global f32[64] read, y: global f32[64] write)
  grid [1, 1, 1] workgroup [64, 1, 1] subgroup 32
{
  i: i32 = local_id.x
  a: f32 = load x[i]
  b: f32 = exp2 a
  store y[i] = b
}
";
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
    let src = "kernel lid(y: global i32[4096] write)
  grid [1, 1, 1] workgroup [8, 4, 2] subgroup 32
{
  a: i32 = local_id.x
  b: i32 = local_id.y
  c: i32 = local_id.z
  d: i32 = add a, b
  e: i32 = add d, c
  store y[e] = e
}
";
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
    let src = "kernel scopes(x: global f32[64] read, y: global f32[64] write)
  grid [1, 1, 1] workgroup [64, 1, 1] subgroup 32
{
  i: i32 = local_id.x
  h: i32 = const 32
  p: bool = cmplt i, h
  one: i32 = const 1
  j: i32 = add i, one
  if p {
    a: f32 = load x[i]
    b: f32 = load x[j]
    store y[j] = a
    store y[i] = b
  }
  c: f32 = load x[j]
  store y[i] = c
}
";
    let mir = full(src);
    // i: computed in the then-body, again after it; j: once in the then-body, again after.
    assert_eq!(count(&mir, "v_lshlrev_b32"), 4);
}

#[test]
fn uniform_loop_with_a_parameter_bound() {
    let src = "kernel ploop(x: global f32[1024] read, y: global f32[1024] write, n: i32)
  grid [1, 1, 1] workgroup [32, 1, 1] subgroup 32
{
  i: i32 = local_id.x
  m: i32 = param n
  z: i32 = const 0
  for j: i32 in z..m step 32 {
    k: i32 = add j, i
    a: f32 = load x[k]
    two: f32 = const 2.0
    b: f32 = mul a, two
    store y[k] = b
  }
}
";
    let mir = full(src);
    // Zero iterations when n <= 0: tested on entry.
    assert_eq!(count(&mir, "s_cmp_lt_i32"), 1);
    assert_eq!(count(&mir, "s_cbranch_scc0"), 1);
    // 2.0 is an inline constant of v_mul_f32: its move is dropped as dead.
    assert_eq!(count(&mir, "v_mul_f32"), 1);
    assert_eq!(count(&mir, "v_mov_b32"), 0);
}

/// Every mnemonic written in isel's sources (a string literal starting `s_`, `v_`,
/// `global_`, `ds_`, `scratch_`) is in the opcode table: `isel::emit::op` relies on it.
#[test]
fn isel_opcode_names_exist() {
    use egpu_codegen_amdgpu::isa::Op;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/isel");
    let mut missing = Vec::new();
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).expect("src/isel") {
        let path = entry.expect("dir entry").path();
        let text = std::fs::read_to_string(&path).expect("source");
        for lit in text.split('"').skip(1).step_by(2) {
            let mnemonic = ["s_", "v_", "global_", "ds_", "scratch_"]
                .iter()
                .any(|p| lit.starts_with(p))
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
