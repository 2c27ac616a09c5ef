//! The assembler and printer against LLVM 19, on hand-written kernels run through the
//! post-allocation stages (waitcnt insertion, hazard fixes): `llvm-mc-19` assembles our
//! printed text to exactly our bytes, and `llvm-objdump-19 -d` of our bytes in a code
//! object prints exactly our text, line by line. Tools missing: the test prints why and
//! passes, unless `CI` is set.

mod common;

use egpu_codegen_amdgpu::isa::{Op, parse};
use egpu_codegen_amdgpu::mir::{Label, MInst};
use egpu_codegen_amdgpu::object::{CodeObject, KernelCode, KernelResources};
use egpu_codegen_amdgpu::{assemble, hazards, waitcnt};
use std::process::Command;

/// One instruction per line in LLVM's syntax; `L<n>:` labels; `<branch op> L<n>`.
fn prog(text: &str) -> Vec<MInst> {
    let mut out = Vec::new();
    for (n, line) in text.lines().map(str::trim).enumerate() {
        let line_no = n as u32;
        if line.is_empty() {
            continue;
        }
        if let Some(l) = line.strip_prefix('L').and_then(|l| l.strip_suffix(':')) {
            out.push(MInst::Label(Label(l.parse().unwrap())));
        } else if let Some((op, l)) = line.split_once(" L") {
            out.push(MInst::Branch {
                op: Op::by_name(op).unwrap(),
                target: Label(l.parse().unwrap()),
                line: line_no,
            });
        } else {
            let inst = parse(line).unwrap_or_else(|e| panic!("`{line}`: {e}"));
            out.push(MInst::Inst {
                inst,
                regs: Vec::new(),
                line: line_no,
            });
        }
    }
    out
}

/// A loop with LDS and a barrier inside an EXEC-masked region, scalar and vector loads,
/// a transcendental, WMMA, literals and VOP3: every kind of wait and fix, and branches
/// both ways.
const KERNEL: &str = "
    s_load_b64 s[2:3], s[0:1], 0x10
    s_load_b32 s4, s[0:1], 0x18
    v_lshlrev_b32_e32 v1, 2, v0
    global_load_b32 v2, v1, s[2:3]
    global_load_b32 v7, v1, s[2:3] offset:4
    v_cmp_gt_u32_e32 vcc_lo, s4, v0
    s_and_saveexec_b32 s5, vcc_lo
    s_cbranch_execz L1
    s_mov_b32 s6, 0
    L0:
    v_exp_f32_e32 v3, v2
    v_add_f32_e32 v2, v3, v2
    ds_store_b32 v1, v2
    global_store_b32 v1, v2, s[2:3] offset:8
    s_barrier
    ds_load_b32 v4, v1 offset:128
    v_fma_f32 v5, v4, 0x3fc00000, -v2
    s_add_u32 s6, s6, 1
    s_cmp_lt_u32 s6, s4
    s_cbranch_scc1 L0
    L1:
    s_or_b32 exec_lo, exec_lo, s5
    global_store_b32 v1, v4, s[2:3]
    v_wmma_f32_16x16x16_f16 v[8:15], v[16:23], v[24:31], v[8:15]
    v_wmma_f32_16x16x16_f16 v[32:39], v[8:15], v[24:31], v[32:39]
    scratch_load_b32 v6, off, s7 offset:8
    v_mad_u64_u32 v[40:41], null, v6, v7, v[42:43]
    s_branch L2
    s_nop 0
    L2:
    s_endpgm";

fn compiled() -> (Vec<MInst>, Vec<u8>, String) {
    let mut insts = prog(KERNEL);
    waitcnt::insert(&mut insts);
    hazards::fix(&mut insts).expect("no hazard errors");
    let bytes = assemble::assemble(&insts).expect("assembles").code;
    let text = assemble::print(&insts, true);
    (insts, bytes, text)
}

fn instruction_lines(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| !l.trim_start().starts_with(';'))
        .map(common::normalize)
        .collect()
}

#[test]
fn the_passes_inserted_what_the_kernel_needs() {
    let (_, _, text) = compiled();
    let lines = instruction_lines(&text);
    let before = |what: &str| {
        let i = lines
            .iter()
            .position(|l| l == what)
            .unwrap_or_else(|| panic!("{what}"));
        lines[i - 1].clone()
    };
    // The scalar loads' s[2:3] is the global load's base; s4 is then ready too.
    assert_eq!(
        before("global_load_b32 v2, v1, s[2:3]"),
        "s_waitcnt lgkmcnt(0)"
    );
    assert_eq!(
        before("v_cmp_gt_u32_e32 vcc_lo, s4, v0"),
        "global_load_b32 v7, v1, s[2:3] offset:4"
    );
    assert_eq!(before("v_exp_f32_e32 v3, v2"), "s_waitcnt vmcnt(1)");
    assert_eq!(before("v_add_f32_e32 v2, v3, v2"), "s_waitcnt_depctr 0xfff");
    assert_eq!(before("s_barrier"), "s_waitcnt_vscnt null, 0x0");
    let barrier = lines.iter().position(|l| l == "s_barrier").unwrap();
    assert_eq!(lines[barrier - 2], "s_waitcnt vmcnt(0) lgkmcnt(0)");
    assert_eq!(
        before("v_fma_f32 v5, v4, 0x3fc00000, -v2"),
        "s_waitcnt lgkmcnt(0)"
    );
    // v4 was waited for inside the loop, and is not loaded on the path that skips it.
    assert_eq!(
        before("global_store_b32 v1, v4, s[2:3]"),
        "s_or_b32 exec_lo, exec_lo, s5"
    );
    assert_eq!(
        before("v_wmma_f32_16x16x16_f16 v[32:39], v[8:15], v[24:31], v[32:39]"),
        "v_nop"
    );
    assert_eq!(
        before("v_mad_u64_u32 v[40:41], null, v6, v7, v[42:43]"),
        "s_waitcnt vmcnt(0)"
    );
}

#[test]
fn llvm_mc_assembles_our_text_to_our_bytes() {
    let test = "llvm_mc_assembles_our_text_to_our_bytes";
    let Some(mc) = common::llvm_mc(test) else {
        return;
    };
    let (_, bytes, text) = compiled();
    let out = common::run_mc(
        &mc,
        &[common::TRIPLE, common::MCPU, "-show-encoding"],
        &text,
    )
    .unwrap_or_else(|e| panic!("llvm-mc-19 rejects our text: {e}\n{text}"));
    let theirs: Vec<u8> = out
        .lines()
        .filter_map(|l| l.split_once("; encoding: ").map(|(_, b)| b))
        .flat_map(|b| common::parse_bytes(b).expect("encoding bytes"))
        .collect();
    assert_eq!(theirs, bytes, "llvm-mc-19 output:\n{out}");
}

fn kernel(code: Vec<u8>) -> KernelCode {
    KernelCode {
        name: "k".into(),
        code,
        resources: KernelResources {
            vgpr_count: 48,
            sgpr_count: 16,
            uses_vcc: true,
            lds_bytes: 1024,
            scratch_bytes_per_lane: 16,
            kernarg_size: 32,
            kernarg_align: 8,
            workgroup_id: [true, false, false],
            workitem_id_dims: 1,
            max_flat_workgroup_size: 256,
        },
        args: Vec::new(),
    }
}

#[test]
fn llvm_objdump_prints_our_text_for_our_bytes() {
    let test = "llvm_objdump_prints_our_text_for_our_bytes";
    let Some(objdump) = common::llvm_tool(test, "llvm-objdump-19") else {
        return;
    };
    let (_, bytes, text) = compiled();
    let object = CodeObject::write(&[kernel(bytes)]).expect("code object");
    let path = std::env::temp_dir().join(format!("egpu-assemble-{}.hsaco", std::process::id()));
    std::fs::write(&path, &object).expect("write object");
    let out = Command::new(&objdump)
        .args(["-d", "--mcpu=gfx1100"])
        .arg(&path)
        .output()
        .expect("run llvm-objdump-19");
    let _ = std::fs::remove_file(&path);
    assert!(out.status.success(), "llvm-objdump-19 failed");
    let listing = String::from_utf8_lossy(&out.stdout);
    let theirs: Vec<String> = listing
        .lines()
        .filter_map(|l| l.split_once("//").map(|(t, _)| common::normalize(t)))
        .filter(|t| !t.is_empty())
        .collect();
    let ours = instruction_lines(&text);
    assert!(theirs.len() >= ours.len(), "{listing}");
    assert_eq!(theirs[..ours.len()], ours[..], "{listing}");
    // What follows our code is the writer's padding.
    assert!(
        theirs[ours.len()..].iter().all(|t| t == "s_code_end"),
        "{listing}"
    );
}
