//! `s_waitcnt` insertion and the hazard fixes against clang-19: tests/data/post_ra_clang.cl
//! compiled for gfx1100, with clang's waits, `s_waitcnt_depctr`s and the `s_nop` before
//! the VGPR-deallocation message taken out, goes through our passes; everywhere clang
//! waited we must wait at least as much, and every fix clang made we must make. (Ours may
//! add more: our TRANS window is one wider.) Tools missing: the test prints why and passes,
//! unless `CI` is set.

mod common;

use egpu_codegen_amdgpu::isa::sopp::waitcnt_fields;
use egpu_codegen_amdgpu::isa::{Inst, Op, parse};
use egpu_codegen_amdgpu::mir::{Label, MInst};
use egpu_codegen_amdgpu::{hazards, waitcnt};
use std::collections::{BTreeMap, HashMap};
use std::process::Command;

/// What clang put before an instruction: (vmcnt, lgkmcnt, vscnt) waits, and fixes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Before {
    vm: Option<u16>,
    lgkm: Option<u16>,
    vs: Option<u16>,
    depctr: bool,
    nop: bool,
}

impl Before {
    fn add_wait(&mut self, inst: &Inst) -> bool {
        let min = |slot: &mut Option<u16>, v: u16| *slot = Some(slot.map_or(v, |o| o.min(v)));
        match *inst {
            Inst::Sopp { op, imm } if op.name() == "s_waitcnt" => {
                let (vm, _, lgkm) = waitcnt_fields(imm);
                if vm < 63 {
                    min(&mut self.vm, vm);
                }
                if lgkm < 63 {
                    min(&mut self.lgkm, lgkm);
                }
            }
            Inst::Sopk { op, imm, .. } if op.name() == "s_waitcnt_vscnt" => min(&mut self.vs, imm),
            Inst::Sopp { op, imm: 0x0fff } if op.name() == "s_waitcnt_depctr" => self.depctr = true,
            Inst::Sopp { op, imm: 0 } if op.name() == "s_nop" => self.nop = true,
            _ => return false,
        }
        true
    }
}

/// One kernel: its instructions without the waits and fixes, and what clang had before
/// each (by index among the kept instructions).
struct Kernel {
    insts: Vec<MInst>,
    before: BTreeMap<usize, Before>,
}

fn kernels(asm: &str) -> Vec<Kernel> {
    let mut out = Vec::new();
    let mut k = Kernel {
        insts: Vec::new(),
        before: BTreeMap::new(),
    };
    let mut labels: HashMap<String, u32> = HashMap::new();
    let mut label = |name: &str| {
        let n = labels.len() as u32;
        Label(*labels.entry(name.to_string()).or_insert(n))
    };
    let mut pending = Before::default();
    for line in asm.lines() {
        let line = line.split(';').next().unwrap_or("").trim();
        if let Some(name) = line.strip_suffix(':').filter(|l| l.starts_with(".LBB")) {
            k.insts.push(MInst::Label(label(name)));
            continue;
        }
        let mnemonic = line.split_whitespace().next().unwrap_or("");
        let prefixes = ["s_", "v_", "global_", "ds_", "scratch_", "flat_"];
        if !prefixes.iter().any(|p| mnemonic.starts_with(p)) {
            continue; // directives, labels of functions, the metadata note
        }
        if matches!(mnemonic, "s_delay_alu" | "s_clause") {
            continue; // scheduling hints
        }
        if let Some((op, target)) = line.split_once(" .LBB") {
            k.insts.push(MInst::Branch {
                op: Op::by_name(op).unwrap_or_else(|| panic!("`{line}`")),
                target: label(&format!(".LBB{target}")),
                line: 0,
            });
            continue;
        }
        let inst = parse(line).unwrap_or_else(|e| panic!("`{line}`: {e}"));
        // clang's `s_nop 0`s here are all before the deallocation message.
        if pending.add_wait(&inst) {
            continue;
        }
        let at = k.insts.len();
        if pending != Before::default() {
            k.before.insert(at, std::mem::take(&mut pending));
        }
        k.insts.push(MInst::Inst {
            inst,
            regs: Vec::new(),
            line: at as u32,
        });
        if mnemonic == "s_endpgm" {
            out.push(std::mem::replace(
                &mut k,
                Kernel {
                    insts: Vec::new(),
                    before: BTreeMap::new(),
                },
            ));
        }
    }
    out
}

/// What our passes put before each kept instruction (its `line` is its kept index).
fn ours(insts: &[MInst]) -> BTreeMap<usize, Before> {
    let mut out = BTreeMap::new();
    let mut pending = Before::default();
    let mut kept = 0;
    for m in insts {
        match m {
            MInst::Inst { inst, line, .. } if *line as usize == kept && !is_inserted(inst) => {
                if pending != Before::default() {
                    out.insert(kept, std::mem::take(&mut pending));
                }
                kept += 1;
            }
            MInst::Inst { inst, .. } => {
                pending.add_wait(inst);
            }
            MInst::Branch { .. } => kept += 1,
            MInst::Label(_) => kept += 1,
        }
    }
    out
}

fn is_inserted(inst: &Inst) -> bool {
    Before::default().add_wait(inst) || inst.op().name() == "v_nop"
}

#[test]
fn we_wait_and_fix_wherever_clang_does() {
    let test = "we_wait_and_fix_wherever_clang_does";
    let Some(clang) = common::llvm_tool(test, "clang-19") else {
        return;
    };
    let out = Command::new(clang)
        .args([
            "-target",
            "amdgcn-amd-amdhsa",
            "-mcpu=gfx1100",
            "-O2",
            "-S",
            "-nogpulib",
            "-o",
            "-",
        ])
        .arg(common::data_dir().join("post_ra_clang.cl"))
        .output()
        .expect("run clang-19");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let asm = String::from_utf8_lossy(&out.stdout);
    let ks = kernels(&asm);
    assert_eq!(ks.len(), 4, "{asm}");
    let all: Vec<&Before> = ks.iter().flat_map(|k| k.before.values()).collect();
    let count = |f: fn(&Before) -> bool| all.iter().filter(|b| f(b)).count();
    // The comparison is not vacuous: clang fixed and waited in many places.
    assert!(count(|b| b.depctr) >= 8, "{asm}");
    assert!(count(|b| b.nop) == 4, "{asm}");
    assert!(count(|b| b.vm.is_some() || b.lgkm.is_some()) >= 10, "{asm}");
    for (n, k) in ks.into_iter().enumerate() {
        let mut insts = k.insts.clone();
        waitcnt::insert(&mut insts);
        hazards::fix(&mut insts).expect("no hazard errors");
        let ours = ours(&insts);
        let listing = egpu_codegen_amdgpu::assemble::print(&insts, false);
        for (at, theirs) in &k.before {
            let o = ours.get(at).cloned().unwrap_or_default();
            let covers =
                |a: Option<u16>, b: Option<u16>| b.is_none_or(|b| a.is_some_and(|a| a <= b));
            assert!(
                covers(o.vm, theirs.vm)
                    && covers(o.lgkm, theirs.lgkm)
                    && covers(o.vs, theirs.vs)
                    && (o.depctr || !theirs.depctr)
                    && (o.nop || !theirs.nop),
                "kernel {n}, before kept instruction {at}: clang has {theirs:?}, we have {o:?}\n{listing}\nclang:\n{asm}"
            );
        }
    }
}
