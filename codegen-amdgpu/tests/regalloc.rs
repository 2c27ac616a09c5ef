//! The register allocator against an independent checker (tests/regalloc/checker.rs):
//! hand-built machine IR (reuse, tuples, alignment, pinned and fixed registers, loops with
//! carried values, WMMA, spills of both files, a 10,000-value chain), random machine IR
//! under high pressure, error reports, and the spill code's encodings against llvm-mc-19.

#[path = "regalloc/build.rs"]
mod build;
#[path = "regalloc/checker.rs"]
mod checker;
mod common;

use build::{B, S, k};
use egpu_codegen_amdgpu::isa::{self, Operand};
use egpu_codegen_amdgpu::mir::{Label, MInst, Mir, RegClass, VReg, VRegInfo};
use egpu_codegen_amdgpu::regalloc::{Allocation, RegallocError, allocate};
use proptest::prelude::*;

/// Allocates a copy of `mir`, runs the checker, returns the allocated program.
fn alloc_checked(mir: &Mir) -> (Mir, Allocation) {
    let mut out = mir.clone();
    let a = allocate(&mut out).unwrap_or_else(|e| panic!("allocation failed: {e}"));
    if let Err(e) = checker::check(mir, &out, &a) {
        panic!("checker: {e}");
    }
    (out, a)
}

fn count_ops(mir: &Mir, name: &str) -> usize {
    mir.insts
        .iter()
        .filter(|m| matches!(m, MInst::Inst { inst, .. } if inst.op().name() == name))
        .count()
}

#[test]
fn a_chain_reuses_registers() {
    // Each value dies at the next instruction; a result never shares its operand's
    // register, so the chain alternates v0, v1 and ends in v0 (1000 steps); the address
    // pair then takes v[1:2].
    let mut b = B::new();
    let mut x = b.v(1);
    b.vop3("v_add_f32", x, 0, None, &[k(1), k(2)]);
    for _ in 0..1000 {
        let y = b.v(1);
        b.vop3("v_add_f32", y, 0, None, &[S::R(x), k(1)]);
        x = y;
    }
    let addr = b.v(2);
    b.vop3("v_add_f64", addr, 0, None, &[k(0), k(0)]);
    b.gstore(addr, S::R(x));
    let (_, a) = alloc_checked(&b.mir);
    assert_eq!(a.vgprs, 3);
    assert_eq!(a.scratch_bytes_per_lane, 0);
    assert!(!a.uses_vcc);
}

#[test]
fn tuples_are_aligned_and_entry_registers_pinned() {
    let mut b = B::new();
    let kernarg = b.s(2);
    let ids = b.v(1);
    b.mir.pinned = vec![(kernarg, 0), (ids, 0)];
    let one = b.s(1);
    b.smov(one, 1); // must avoid s0/s1 while the kernarg pointer lives
    let desc = b.s(4);
    b.sload(desc, kernarg, 0);
    let ptr = b.s(2);
    b.sload(ptr, kernarg, 16);
    let x = b.v(1);
    b.vop3("v_add_f32", x, 0, None, &[S::R(ids), S::At(desc, 3)]);
    let y = b.v(1);
    b.vop3("v_add_f32", y, 0, None, &[S::R(x), S::R(one)]);
    let z = b.s(1);
    b.sop2("s_add_u32", Some(z), S::At(ptr, 1), S::R(one));
    let addr = b.v(2);
    b.vop3("v_add_f64", addr, 0, None, &[k(0), k(0)]);
    b.gstore(addr, S::R(y));
    let (out, a) = alloc_checked(&b.mir);
    // Hand-derived: s[0:1] pinned, s2 = one, desc 4-aligned at s[4:7], ptr even at s[8:9]
    // (s[2:3] holds `one`), v0 pinned.
    let sload = |n: usize| match &out.insts[n] {
        MInst::Inst {
            inst: isa::Inst::Smem { sdata, sbase, .. },
            ..
        } => (*sdata, *sbase),
        m => panic!("{m:?}"),
    };
    assert_eq!(sload(1), (Operand::Sgpr(4), Operand::Sgpr(0)));
    assert_eq!(sload(2), (Operand::Sgpr(8), Operand::Sgpr(0)));
    assert!(a.sgprs >= 10);
}

#[test]
fn loop_carried_values_survive_the_back_edge() {
    // a is read at the top of the loop only; b is written later in the body. Without
    // widening, b could take a's register and the second trip would read b.
    let mut b = B::new();
    let a = b.v(1);
    b.vop3("v_add_f32", a, 0, None, &[k(1), k(2)]);
    let acc = b.v(1);
    b.vop3("v_add_f32", acc, 0, None, &[k(0), k(0)]);
    let n = b.s(1);
    b.smov(n, 0);
    let top = b.label();
    let t = b.v(1);
    b.vop3("v_add_f32", t, 0, None, &[S::R(a), k(1)]);
    let u = b.v(1);
    b.vop3("v_add_f32", u, 0, None, &[S::R(t), k(3)]);
    b.fmac(acc, u, t);
    // a value defined in the loop and read after it
    let last = b.v(1);
    b.vop3("v_add_f32", last, 0, None, &[S::R(u), k(1)]);
    b.sop2("s_add_u32", Some(n), S::R(n), k(1));
    b.sop2("s_cmp_lt_u32", None, S::R(n), k(10));
    b.back(top);
    let addr = b.v(2);
    b.vop3("v_add_f64", addr, 0, None, &[k(0), k(0)]);
    b.gstore(addr, S::R(acc));
    b.gstore(addr, S::R(last));
    alloc_checked(&b.mir);
}

#[test]
fn nested_loops_and_wmma() {
    let mut b = B::new();
    let d = b.v(8);
    for i in 0..8 {
        b.vop3("v_add_f32", d, i, None, &[k(0), k(0)]);
    }
    let outer = b.label();
    let a = b.v(8);
    let m = b.v(8);
    for i in 0..8 {
        b.vop3("v_add_f32", a, i, None, &[k(1), k(0)]);
        b.vop3("v_add_f32", m, i, None, &[k(2), k(0)]);
    }
    let c = b.s(1);
    b.smov(c, 0);
    let inner = b.label();
    b.wmma(d, a, m);
    b.sop2("s_add_u32", Some(c), S::R(c), k(1));
    b.sop2("s_cmp_lt_u32", None, S::R(c), k(4));
    b.back(inner);
    b.sop2("s_cmp_lt_u32", None, S::R(c), k(8));
    b.back(outer);
    let addr = b.v(2);
    b.vop3("v_add_f64", addr, 0, None, &[k(0), k(0)]);
    b.gstore(addr, S::At(d, 7));
    let (_, a) = alloc_checked(&b.mir);
    assert!(a.vgprs >= 24);
}

#[test]
fn a_fixed_entry_register_is_kept_until_read() {
    // s2 is read directly (not through a virtual register) at the end: no value may
    // take it before.
    let mut b = B::new();
    let mut vals = Vec::new();
    for i in 0..20 {
        let s = b.s(1);
        b.smov(s, i);
        vals.push(s);
    }
    let sum = b.s(1);
    b.smov(sum, 0);
    for &s in &vals {
        b.sop2("s_add_u32", Some(sum), S::R(sum), S::R(s));
    }
    b.sop2("s_add_u32", Some(sum), S::R(sum), S::K(Operand::Sgpr(2)));
    let (out, _) = alloc_checked(&b.mir);
    for m in &out.insts[..out.insts.len() - 1] {
        if let MInst::Inst {
            inst: isa::Inst::Sop1 { sdst, .. } | isa::Inst::Sop2 { sdst, .. },
            ..
        } = m
        {
            assert_ne!(*sdst, Operand::Sgpr(2), "{m:?}");
        }
    }
}

/// `n` VGPR values all live until a final reduction.
fn wide_vgpr_program(n: usize) -> Mir {
    let mut b = B::new();
    let mut vals = Vec::new();
    let first = b.v(1);
    b.vop3("v_add_f32", first, 0, None, &[k(1), k(2)]);
    vals.push(first);
    for _ in 1..n {
        let y = b.v(1);
        let x = *vals.last().unwrap_or(&first);
        b.vop3("v_add_f32", y, 0, None, &[S::R(x), k(1)]);
        vals.push(y);
    }
    let acc = b.v(1);
    b.vop3("v_add_f32", acc, 0, None, &[k(0), k(0)]);
    for &v in vals.iter().rev() {
        b.vop3("v_fma_f32", acc, 0, None, &[S::R(v), S::R(v), S::R(acc)]);
    }
    let addr = b.v(2);
    b.vop3("v_add_f64", addr, 0, None, &[k(0), k(0)]);
    b.gstore(addr, S::R(acc));
    b.mir
}

#[test]
fn vgpr_pressure_spills_to_scratch() {
    let (out, a) = alloc_checked(&wide_vgpr_program(400));
    assert!(a.scratch_bytes_per_lane > 0);
    assert!(a.vgprs <= 256);
    assert!(count_ops(&out, "scratch_store_b32") > 0);
    assert!(count_ops(&out, "scratch_load_b32") > 0);
}

#[test]
fn a_10000_value_chain_compiles() {
    let mir = wide_vgpr_program(10_000);
    let t = std::time::Instant::now();
    let (out, a) = alloc_checked(&mir);
    eprintln!(
        "10,000 live values: {:?} (allocation + check), {} instructions, {} scratch bytes/lane",
        t.elapsed(),
        out.insts.len(),
        a.scratch_bytes_per_lane
    );
    // More than 4 KiB of slots: the far ones go through the address register.
    assert!(a.scratch_bytes_per_lane > 4096);
    assert!(count_ops(&out, "v_mov_b32") > 0);
}

#[test]
fn sgpr_pressure_spills_to_vgpr_lanes() {
    let mut b = B::new();
    let kernarg = b.s(2);
    b.mir.pinned = vec![(kernarg, 0)];
    let mut vals = Vec::new();
    for i in 0..150 {
        let s = b.s(1);
        b.sop2("s_add_u32", Some(s), S::At(kernarg, 0), k((i % 60) as i8));
        vals.push(s);
    }
    let pairs: Vec<VReg> = (0..8)
        .map(|i| {
            let p = b.s(2);
            b.sload(p, kernarg, 8 * i);
            p
        })
        .collect();
    let sum = b.s(1);
    b.smov(sum, 0);
    for &s in vals.iter().rev() {
        b.sop2("s_add_u32", Some(sum), S::R(sum), S::R(s));
    }
    for &p in &pairs {
        b.sop2("s_add_u32", Some(sum), S::R(sum), S::At(p, 1));
    }
    let x = b.v(1);
    b.vop3("v_add_f32", x, 0, None, &[S::R(sum), k(1)]);
    let (out, a) = alloc_checked(&b.mir);
    assert!(count_ops(&out, "v_writelane_b32") > 0);
    assert!(count_ops(&out, "v_readlane_b32") > 0);
    assert!(a.sgprs <= 106);
    assert_eq!(a.scratch_bytes_per_lane, 0);
}

#[test]
fn errors_name_the_instruction() {
    let mut b = B::new();
    let x = b.v(1);
    let y = b.v(1);
    b.vop3("v_add_f32", x, 0, None, &[k(1), k(2)]);
    b.vop3("v_add_f32", x, 0, None, &[S::R(y), k(2)]);
    let e = allocate(&mut b.mir.clone()).unwrap_err();
    assert!(
        matches!(
            e,
            RegallocError::UseBeforeDef {
                inst: 1,
                vreg: 1,
                ..
            }
        ),
        "{e}"
    );
    assert!(e.to_string().contains("instruction 1"), "{e}");

    let mut wide = B::new();
    let x = wide.v(1);
    wide.vop3("v_add_f32", x, 0, None, &[k(1), k(2)]);
    wide.mir.vregs[0] = VRegInfo {
        class: RegClass::V,
        dwords: 17,
    };
    let e = allocate(&mut wide.mir).unwrap_err();
    assert!(e.to_string().contains("17"), "{e}");

    let mut bad = B::new();
    bad.mir.branch(checker::op("s_branch"), Label(5), 0);
    let e = allocate(&mut bad.mir).unwrap_err();
    assert!(e.to_string().contains("label 5"), "{e}");

    let mut b = B::new();
    let p = b.s(2);
    let q = b.s(1);
    b.mir.pinned = vec![(p, 0), (q, 1)];
    let r = b.s(1);
    b.sop2("s_add_u32", Some(r), S::At(p, 0), S::R(q));
    let e = allocate(&mut b.mir.clone()).unwrap_err();
    assert!(matches!(e, RegallocError::Pinned { .. }), "{e}");
    b.mir.pinned = vec![(p, 105), (q, 1)];
    let e = allocate(&mut b.mir).unwrap_err();
    assert!(e.to_string().contains("does not fit"), "{e}");
}

/// More uniform values live at once than VGPR lanes can hold: an error, not a panic.
#[test]
fn too_many_live_sgprs_is_an_error() {
    let mut b = B::new();
    let vals: Vec<VReg> = (0..256 * 32 + 300).map(|_| b.s(1)).collect();
    for &s in &vals {
        b.smov(s, 1);
    }
    let sum = b.s(1);
    b.smov(sum, 0);
    for &s in vals.iter().rev() {
        b.sop2("s_add_u32", Some(sum), S::R(sum), S::R(s));
    }
    let e = allocate(&mut b.mir).unwrap_err();
    assert!(matches!(e, RegallocError::OutOfRegisters(_)), "{e}");
}

#[test]
fn vcc_use_is_reported() {
    let mut b = B::new();
    let x = b.v(1);
    b.vop3("v_add_f32", x, 0, None, &[k(1), S::K(Operand::VccLo)]);
    let (_, a) = alloc_checked(&b.mir);
    assert!(a.uses_vcc);
}

/// Our encoding of every spill instruction equals llvm-mc-19's for our printed text.
#[test]
fn spill_code_encodes_as_llvm_does() {
    let Some(mc) = common::llvm_mc("spill_code_encodes_as_llvm_does") else {
        return;
    };
    let mut mir = wide_vgpr_program(1500);
    let kernarg = mir.vreg(RegClass::S, 2);
    mir.pinned.push((kernarg, 0));
    let mut b = B { mir };
    let ss: Vec<VReg> = (0..120).map(|_| b.s(1)).collect();
    for &s in &ss {
        b.sop2("s_add_u32", Some(s), S::At(kernarg, 1), k(3));
    }
    for &s in ss.iter().rev() {
        b.sop2("s_add_u32", Some(s), S::R(s), S::R(s));
    }
    let (out, _) = alloc_checked(&b.mir);
    let mut seen = std::collections::HashSet::new();
    let mut text = String::new();
    let mut ours = Vec::new();
    for m in &out.insts {
        if let MInst::Inst { inst, .. } = m {
            let name = inst.op().name();
            let spill = ["scratch_", "v_writelane", "v_readlane", "v_mov_b32"]
                .iter()
                .any(|p| name.starts_with(p));
            if spill && seen.len() < 400 && seen.insert(isa::print(inst)) {
                text += &format!("{}\n", isa::print(inst));
                ours.push(isa::encode(inst).expect("encodes"));
            }
        }
    }
    assert!(ours.len() > 10);
    let got = common::run_mc(
        &mc,
        &[common::TRIPLE, common::MCPU, "-show-encoding"],
        &text,
    )
    .unwrap_or_else(|e| panic!("llvm-mc: {e}"));
    let theirs: Vec<Vec<u8>> = got
        .lines()
        .filter_map(|l| common::parse_bytes(l.split("encoding:").nth(1)?))
        .collect();
    assert_eq!(theirs.len(), ours.len(), "{got}");
    for ((o, t), line) in ours.iter().zip(&theirs).zip(text.lines()) {
        assert_eq!(o, t, "{line}");
    }
}

/// Random machine IR under pressure high enough that both files spill, with loops.
#[test]
fn random_high_pressure_spills_both_files() {
    for seed in [3, 11, 29] {
        let mir = random_mir(&ops_for(3000, seed), 4000);
        assert!(!mir.loops().is_empty());
        let (out, a) = alloc_checked(&mir);
        assert!(a.scratch_bytes_per_lane > 0, "seed {seed}");
        assert!(count_ops(&out, "v_writelane_b32") > 0, "seed {seed}");
    }
}

/// Allocation time for growing kernels (printed, not asserted: near-linear growth).
#[test]
fn allocation_time_grows_near_linearly() {
    for n in [12_500, 25_000, 50_000, 100_000] {
        let mir = random_mir(&ops_for(n, 7), 64);
        let mut m = mir.clone();
        let t = std::time::Instant::now();
        allocate(&mut m).unwrap_or_else(|e| panic!("{e}"));
        eprintln!("{} instructions: {:?}", mir.insts.len(), t.elapsed());
    }
}

/// A deterministic op list (xorshift) for the timing test.
fn ops_for(n: usize, seed: u64) -> Vec<(u8, u16, u16, u16)> {
    let mut x = seed;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    (0..n)
        .map(|_| {
            let r = next();
            (r as u8, (r >> 8) as u16, (r >> 24) as u16, (r >> 40) as u16)
        })
        .collect()
}

/// Random machine IR from an op list: values of six shapes (V1, V2, V4, S1, S2, S4),
/// sources drawn from the most recent `window` values of a shape (a wide window keeps
/// many values live), partial tuple writes, accumulators, loops nested up to 3 deep,
/// pinned entry registers and a fixed SGPR read.
fn random_mir(ops: &[(u8, u16, u16, u16)], window: usize) -> Mir {
    let mut b = B::new();
    let kernarg = b.s(2);
    let ids = b.v(1);
    b.mir.pinned = vec![(kernarg, 0), (ids, 0)];
    let mut pools: [Vec<VReg>; 6] = Default::default();
    pools[3].push(b.s(1));
    b.smov(pools[3][0], 5);
    pools[4].push(kernarg);
    pools[0].push(ids);
    let mut loops = Vec::new();
    let pick = |pool: &Vec<VReg>, x: u16| -> VReg {
        let w = window.min(pool.len());
        pool[pool.len() - 1 - usize::from(x) % w]
    };
    for &(o, x, y, z) in ops {
        let has = |p: &[Vec<VReg>; 6], i: usize| !p[i].is_empty();
        match o % 20 {
            0 | 1 if has(&pools, 0) => {
                let d = b.v(1);
                let (a, c) = (pick(&pools[0], x), pick(&pools[0], y));
                b.vop3("v_add_f32", d, 0, None, &[S::R(a), S::R(c)]);
                pools[0].push(d);
            }
            2 if has(&pools, 0) => {
                let d = b.v(1);
                let srcs = [pick(&pools[0], x), pick(&pools[0], y), pick(&pools[0], z)];
                b.vop3("v_fma_f32", d, 0, None, &srcs.map(S::R));
                pools[0].push(d);
            }
            3 if pools[0].len() > 1 => {
                let acc = pick(&pools[0], x);
                let (a, c) = (pick(&pools[0], y), pick(&pools[0], z));
                if acc != ids {
                    b.fmac(acc, a, c);
                }
            }
            4 => {
                let d = b.v(2);
                match pools[1].len() {
                    0 => b.vop3("v_add_f64", d, 0, None, &[k(1), k(2)]),
                    _ => {
                        let (a, c) = (pick(&pools[1], x), pick(&pools[1], y));
                        b.vop3("v_add_f64", d, 0, None, &[S::R(a), S::R(c)]);
                    }
                }
                pools[1].push(d);
            }
            5 if has(&pools, 1) => {
                let d = b.v(4);
                b.gload(d, pick(&pools[1], x));
                pools[2].push(d);
            }
            6 if has(&pools, 1) => {
                let (a, d) = (pick(&pools[1], x), pick(&pools[0], y));
                b.gstore(a, S::R(d));
            }
            7 if has(&pools, 2) => {
                let t = pick(&pools[2], x);
                let a = pick(&pools[0], y);
                b.vop3("v_add_f32", t, (z % 4) as u8, None, &[S::R(a), k(1)]);
            }
            8 | 9 => {
                let d = b.s(1);
                let (a, c) = (pick(&pools[3], x), pick(&pools[3], y));
                b.sop2("s_add_u32", Some(d), S::R(a), S::R(c));
                pools[3].push(d);
            }
            10 => {
                let d = b.s(4);
                b.sload(d, pick(&pools[4], x), 16);
                pools[5].push(d);
            }
            11 => {
                let d = b.s(2);
                b.sload(d, pick(&pools[4], x), 8);
                pools[4].push(d);
            }
            12 => {
                let d = b.v(1);
                let (a, c) = (pick(&pools[0], x), pick(&pools[0], y));
                let m = pick(&pools[3], z);
                b.vop3("v_cndmask_b32", d, 0, None, &[S::R(a), S::R(c), S::R(m)]);
                pools[0].push(d);
            }
            13 => {
                let m = b.s(1);
                let (a, c) = (pick(&pools[0], x), pick(&pools[0], y));
                b.vop3("v_cmp_lt_f32", m, 0, None, &[S::R(a), S::R(c)]);
                pools[3].push(m);
            }
            14 => {
                let (d, carry) = (b.v(1), b.s(1));
                let (a, c) = (pick(&pools[0], x), pick(&pools[0], y));
                b.vop3("v_add_co_u32", d, 0, Some(carry), &[S::R(a), S::R(c)]);
                pools[0].push(d);
                pools[3].push(carry);
            }
            15 if loops.len() < 3 => loops.push(b.label()),
            16 if !loops.is_empty() => {
                b.sop2("s_cmp_lt_u32", None, S::R(pick(&pools[3], x)), k(9));
                if let Some(l) = loops.pop() {
                    b.back(l);
                }
            }
            17 if has(&pools, 2) => {
                let d = b.v(1);
                let t = pick(&pools[2], x);
                b.vop3(
                    "v_add_f32",
                    d,
                    0,
                    None,
                    &[S::At(t, (y % 4) as u8), S::R(pick(&pools[0], z))],
                );
                pools[0].push(d);
            }
            18 if has(&pools, 5) => {
                let d = b.s(1);
                let t = pick(&pools[5], x);
                b.sop2(
                    "s_add_u32",
                    Some(d),
                    S::At(t, (y % 4) as u8),
                    S::K(Operand::Sgpr(2)),
                );
                pools[3].push(d);
            }
            _ => {
                let d = b.v(1);
                let s = pick(&pools[3], x);
                b.vop3("v_add_f32", d, 0, None, &[S::R(s), k(2)]);
                pools[0].push(d);
            }
        }
    }
    while let Some(l) = loops.pop() {
        b.sop2("s_cmp_lt_u32", None, S::R(pools[3][0]), k(9));
        b.back(l);
    }
    b.mir
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn random_mir_allocates_correctly(
        ops in prop::collection::vec((any::<u8>(), any::<u16>(), any::<u16>(), any::<u16>()), 1..1500),
        window in prop::sample::select(vec![4usize, 64, 400, 4000]),
    ) {
        let mir = random_mir(&ops, window);
        let mut out = mir.clone();
        let a = allocate(&mut out).map_err(|e| TestCaseError::fail(e.to_string()))?;
        checker::check(&mir, &out, &a).map_err(TestCaseError::fail)?;
    }
}

/// Kernels through instruction selection, then allocated and checked. Isel's own
/// `v_mov_b32` copies become `v_not_b32` (same operand shape) first, so the checker can
/// tell them from spill code.
mod selected {
    use super::*;
    use egpu_codegen_amdgpu::isel::select_kernel;
    use egpu_ir::Target;
    use egpu_ir::kernel::text;

    fn select(src: &str) -> Mir {
        let k = text::parse(src).unwrap_or_else(|e| panic!("{e}\n{src}"));
        let target = Target::by_name("gfx1100").expect("gfx1100");
        let (mut mir, _) = select_kernel(&k, &target).unwrap_or_else(|e| panic!("{e}"));
        for m in &mut mir.insts {
            if let MInst::Inst {
                inst: isa::Inst::Valu { op, .. },
                ..
            } = m
                && op.name() == "v_mov_b32"
            {
                *op = checker::op("v_not_b32");
            }
        }
        mir
    }

    fn check(src: &str) -> Allocation {
        let mir = select(src);
        alloc_checked(&mir).1
    }

    #[test]
    fn uniform_loop_per_lane_if_and_nested_loops() {
        check(
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
",
        );
        check(
            "kernel per_lane_if(x: global f32[64] read, y: global f32[64] write)
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
",
        );
        check(
            "kernel nested(x: global f32[4096] read, y: global f32[64] write)
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
",
        );
    }

    /// 400 loaded values all live until a reduction: isel's code spills.
    #[test]
    fn many_live_loads_spill() {
        let mut src = String::from(
            "kernel wide(x: global f32[65536] read, y: global f32[64] write)
  grid [1, 1, 1] workgroup [64, 1, 1] subgroup 32
{
  i: i32 = local_id.x
",
        );
        for k in 0..400 {
            src += &format!(
                "  c{k}: i32 = const {}\n  j{k}: i32 = add i, c{k}\n  a{k}: f32 = load x[j{k}]\n",
                64 * k
            );
        }
        src += "  s0: f32 = add a0, a399\n";
        for k in 1..399 {
            src += &format!("  s{k}: f32 = add s{}, a{k}\n", k - 1);
        }
        src += "  store y[i] = s398\n}\n";
        let a = check(&src);
        assert!(a.scratch_bytes_per_lane > 0);
    }
}
