//! An allocation checker that shares nothing with the allocator's liveness: it runs the
//! virtual program and the allocated one on a symbolic machine, along the same path
//! (program order, every loop body twice, nested loops twice per outer trip), and demands
//! that every read of an original instruction sees the same value in both. Each write of
//! an original instruction makes a fresh token; spill code (scratch loads/stores, lane
//! reads/writes, the address `v_mov_b32`) moves tokens between registers, scratch and
//! VGPR lanes as the ISA says. Reads of values never written in the virtual program are
//! not compared.
//!
//! It also checks the physical code: every slot holds a register of the right class and
//! width inside the reported counts, SGPR tuples are aligned, every instruction encodes,
//! scratch offsets stay inside the reported size, and `regs` is empty.

use egpu_codegen_amdgpu::isa::{self, Inst, Op, Operand};
use egpu_codegen_amdgpu::mir::{MInst, Mir, RegClass, Slot, slot_operand};
use egpu_codegen_amdgpu::regalloc::Allocation;
use std::collections::HashMap;

const SLOTS: [Slot; 9] = [
    Slot::Dst,
    Slot::Sdst,
    Slot::Src(0),
    Slot::Src(1),
    Slot::Src(2),
    Slot::Addr,
    Slot::Data0,
    Slot::Data1,
    Slot::Saddr,
];

const SPILL_OPS: [&str; 5] = [
    "scratch_load_b32",
    "scratch_store_b32",
    "v_readlane_b32",
    "v_writelane_b32",
    "v_mov_b32",
];

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Tok {
    /// A register's content at kernel entry.
    Init(bool, u16),
    /// Write `r` (ref index; fixed writes 100 + slot) dword `k` of the `e`-th executed
    /// original instruction.
    Def(usize, usize, u8),
    /// A constant (scratch addresses).
    Const(u32),
    /// Anything else (a clobbered lane, unwritten scratch).
    Junk,
}

/// Registers a slot spans, from the ISA's operand types (lane masks are one SGPR).
fn width(inst: &Inst, slot: Slot) -> usize {
    let info = inst.op().info();
    let ty = |t: isa::Ty| usize::from(t.dwords());
    match (inst, slot) {
        (_, Slot::Dst) => ty(info.dst),
        (_, Slot::Sdst) => 1,
        (_, Slot::Src(i)) => ty(info.src[usize::from(i)]),
        (Inst::Smem { .. }, Slot::Addr) => 2,
        (Inst::Smem { .. }, Slot::Saddr) => 1,
        (Inst::Flat { .. }, Slot::Addr) if info.fmt == isa::Fmt::Scratch => 1,
        (Inst::Flat { saddr, .. }, Slot::Addr) => {
            if *saddr == Operand::Null {
                2
            } else {
                1
            }
        }
        (Inst::Flat { .. }, Slot::Saddr) if info.fmt == isa::Fmt::Scratch => 1,
        (Inst::Flat { .. }, Slot::Saddr) => 2,
        (Inst::Ds { .. }, Slot::Addr) => 1,
        (_, Slot::Data0) => ty(info.src[1]),
        (_, Slot::Data1) => ty(info.src[2]),
        _ => 0,
    }
}

fn reg_of(o: Operand) -> Option<(bool, u16)> {
    match o {
        Operand::Vgpr(n) => Some((true, u16::from(n))),
        Operand::Sgpr(n) => Some((false, u16::from(n))),
        _ => None,
    }
}

/// Execution order: instruction indices, loop bodies (label .. backward branch) twice.
fn trace(insts: &[MInst]) -> Vec<usize> {
    let mut at = HashMap::new();
    let mut loops: HashMap<usize, Vec<usize>> = HashMap::new();
    for (i, m) in insts.iter().enumerate() {
        match m {
            MInst::Label(l) => {
                at.insert(*l, i);
            }
            MInst::Branch { target, .. } => {
                if let Some(&h) = at.get(target) {
                    loops.entry(h).or_default().push(i);
                }
            }
            _ => {}
        }
    }
    for ls in loops.values_mut() {
        ls.sort_unstable_by(|a, b| b.cmp(a));
    }
    let mut out = Vec::new();
    if !insts.is_empty() {
        run(&loops, 0, insts.len() - 1, None, &mut out);
    }
    out
}

fn run(
    loops: &HashMap<usize, Vec<usize>>,
    a: usize,
    b: usize,
    current: Option<(usize, usize)>,
    out: &mut Vec<usize>,
) {
    let mut p = a;
    while p <= b {
        let inner = loops.get(&p).and_then(|ls| {
            ls.iter()
                .copied()
                .find(|&l| l <= b && current != Some((p, l)))
        });
        match inner {
            Some(l) => {
                for _ in 0..2 {
                    run(loops, p, l, Some((p, l)), out);
                }
                p = l + 1;
            }
            None => {
                out.push(p);
                p += 1;
            }
        }
    }
}

/// Which original instruction each allocated one is (`None`: spill code).
fn correspond(orig: &Mir, alloc: &Mir) -> Result<Vec<Option<usize>>, String> {
    let mut map = Vec::new();
    let mut i = 0;
    for (j, m) in alloc.insts.iter().enumerate() {
        let o = orig.insts.get(i);
        let same = match (o, m) {
            (Some(MInst::Inst { inst, regs, .. }), MInst::Inst { inst: got, .. }) => {
                let mut want = *inst;
                for r in regs {
                    if let Some(x) = slot_operand(got, r.slot) {
                        egpu_codegen_amdgpu::mir::set_slot(&mut want, r.slot, x);
                    }
                }
                want == *got
            }
            (Some(o), m) => o == m,
            (None, _) => false,
        };
        if same {
            map.push(Some(i));
            i += 1;
        } else if matches!(m, MInst::Inst { inst, .. } if SPILL_OPS.contains(&inst.op().name())) {
            map.push(None);
        } else {
            return Err(format!("allocated instruction {j} ({m:?}) matches nothing"));
        }
    }
    if i != orig.insts.len() {
        return Err(format!(
            "only {i} of {} instructions kept",
            orig.insts.len()
        ));
    }
    Ok(map)
}

/// Reads of each executed original instruction, in execution order (`None`: not compared).
type Reads = Vec<Vec<Option<Tok>>>;

fn virtual_reads(mir: &Mir, order: &[usize]) -> Reads {
    let mut vals: HashMap<(u32, u8), Tok> = HashMap::new();
    for &(v, p) in &mir.pinned {
        let info = mir.info(v);
        for k in 0..info.dwords {
            let v_class = info.class == RegClass::V;
            vals.insert((v.0, k), Tok::Init(v_class, u16::from(p) + u16::from(k)));
        }
    }
    let mut phys: HashMap<(bool, u16), Tok> = HashMap::new();
    let mut out = Vec::new();
    for (e, &i) in order.iter().enumerate() {
        let MInst::Inst { inst, regs, .. } = &mir.insts[i] else {
            continue;
        };
        let mut reads = Vec::new();
        for r in regs.iter().filter(|r| r.reads()) {
            for k in 0..width(inst, r.slot) as u8 {
                reads.push(vals.get(&(r.reg.0, r.offset + k)).copied());
            }
        }
        for (slot, (c, n), w) in fixed(inst, regs) {
            if !is_write_slot(slot) {
                for k in 0..w {
                    reads.push(Some(*phys.get(&(c, n + k)).unwrap_or(&Tok::Init(c, n + k))));
                }
            }
        }
        for (ri, r) in regs.iter().enumerate().filter(|(_, r)| r.writes()) {
            for k in 0..width(inst, r.slot) as u8 {
                vals.insert((r.reg.0, r.offset + k), Tok::Def(e, ri, k));
            }
        }
        for (si, (slot, (c, n), w)) in fixed(inst, regs).into_iter().enumerate() {
            if is_write_slot(slot) {
                for k in 0..w {
                    phys.insert((c, n + k), Tok::Def(e, 100 + si, k as u8));
                }
            }
        }
        out.push(reads);
    }
    out
}

fn is_write_slot(s: Slot) -> bool {
    matches!(s, Slot::Dst | Slot::Sdst)
}

/// Physical registers named directly in slots no reference stands in.
fn fixed(inst: &Inst, regs: &[egpu_codegen_amdgpu::mir::RegRef]) -> Vec<(Slot, (bool, u16), u16)> {
    SLOTS
        .iter()
        .filter(|s| !regs.iter().any(|r| r.slot == **s))
        .filter_map(|s| {
            let reg = reg_of(slot_operand(inst, *s)?)?;
            Some((*s, reg, width(inst, *s).max(1) as u16))
        })
        .collect()
}

/// The physical machine: registers, scratch per address, VGPR lanes with the write
/// generation of their VGPR (a full write of the VGPR clobbers its lanes).
#[derive(Default)]
struct Machine {
    regs: HashMap<(bool, u16), Tok>,
    scratch: HashMap<u32, Tok>,
    lanes: HashMap<(u16, i8), (u32, Tok)>,
    generation: HashMap<u16, u32>,
    scratch_size: u32,
}

impl Machine {
    fn get(&self, r: (bool, u16)) -> Tok {
        *self.regs.get(&r).unwrap_or(&Tok::Init(r.0, r.1))
    }

    fn set(&mut self, r: (bool, u16), t: Tok) {
        if r.0 {
            *self.generation.entry(r.1).or_default() += 1;
        }
        self.regs.insert(r, t);
    }

    fn scratch_addr(&self, addr: Operand, offset: i16) -> Result<u32, String> {
        let base = match addr {
            Operand::None => 0,
            Operand::Vgpr(n) => match self.get((true, u16::from(n))) {
                Tok::Const(c) => c,
                t => return Err(format!("scratch address register v{n} holds {t:?}")),
            },
            o => return Err(format!("scratch address {o:?}")),
        };
        Ok(base.wrapping_add(offset as u32))
    }

    /// Runs one spill instruction.
    fn spill(&mut self, inst: &Inst) -> Result<(), String> {
        let r = |o: Operand| reg_of(o).ok_or(format!("{o:?} is not a register in {inst:?}"));
        match *inst {
            Inst::Flat {
                op,
                vdst,
                addr,
                data,
                offset,
                ..
            } => {
                let a = self.scratch_addr(addr, offset)?;
                if a % 4 != 0 || a + 4 > self.scratch_size {
                    return Err(format!(
                        "scratch address {a} outside the {} bytes",
                        self.scratch_size
                    ));
                }
                if op.name() == "scratch_store_b32" {
                    let t = self.get(r(data)?);
                    self.scratch.insert(a, t);
                } else {
                    let t = *self.scratch.get(&a).unwrap_or(&Tok::Junk);
                    self.set(r(vdst)?, t);
                }
            }
            Inst::Valu { op, vdst, src, .. } => match (op.name(), src) {
                ("v_mov_b32", [Operand::Literal(c), ..]) => self.set(r(vdst)?, Tok::Const(c)),
                ("v_mov_b32", [Operand::Int(c @ 0..), ..]) => {
                    self.set(r(vdst)?, Tok::Const(c as u32))
                }
                ("v_writelane_b32", [s, Operand::Int(l), _]) => {
                    let (_, v) = r(vdst)?;
                    let g = *self.generation.get(&v).unwrap_or(&0);
                    let t = self.get(r(s)?);
                    self.lanes.insert((v, l), (g, t));
                }
                ("v_readlane_b32", [vl, Operand::Int(l), _]) => {
                    let (_, v) = r(vl)?;
                    let g = *self.generation.get(&v).unwrap_or(&0);
                    let t = match self.lanes.get(&(v, l)) {
                        Some(&(g0, t)) if g0 == g => t,
                        _ => Tok::Junk,
                    };
                    self.set(r(vdst)?, t);
                }
                _ => return Err(format!("not spill code: {inst:?}")),
            },
            _ => return Err(format!("not spill code: {inst:?}")),
        }
        Ok(())
    }
}

/// Checks `alloc` (the allocated form of `orig`) as described in the module comment.
pub fn check(orig: &Mir, alloc: &Mir, a: &Allocation) -> Result<(), String> {
    for m in &orig.insts {
        if let MInst::Inst { inst, .. } = m {
            let name = inst.op().name();
            assert!(
                !SPILL_OPS.contains(&name),
                "the checker cannot tell an original {name} from spill code"
            );
        }
    }
    physical_code(alloc, a)?;
    let map = correspond(orig, alloc)?;
    let vorder: Vec<usize> = trace(&orig.insts)
        .into_iter()
        .filter(|&i| matches!(orig.insts[i], MInst::Inst { .. }))
        .collect();
    let atrace = trace(&alloc.insts);
    let mapped: Vec<usize> = atrace.iter().filter_map(|&j| map[j]).collect();
    let mapped: Vec<usize> = mapped
        .into_iter()
        .filter(|&i| matches!(orig.insts[i], MInst::Inst { .. }))
        .collect();
    if mapped != vorder {
        return Err("the allocated program runs a different path".into());
    }
    let want = virtual_reads(orig, &vorder);
    let mut m = Machine {
        scratch_size: a.scratch_bytes_per_lane,
        ..Machine::default()
    };
    let mut e = 0;
    for &j in &atrace {
        let MInst::Inst { inst, .. } = &alloc.insts[j] else {
            continue;
        };
        let Some(i) = map[j] else {
            m.spill(inst)?;
            continue;
        };
        let MInst::Inst { regs, .. } = &orig.insts[i] else {
            continue;
        };
        let mut got = Vec::new();
        for r in regs.iter().filter(|r| r.reads()) {
            let (c, n) = reg_of(slot_operand(inst, r.slot).unwrap_or(Operand::None)).ok_or(
                format!("instruction {j}: slot {:?} holds no register", r.slot),
            )?;
            for k in 0..width(inst, r.slot) as u16 {
                got.push(m.get((c, n + k)));
            }
        }
        for (slot, (c, n), w) in fixed(inst, regs) {
            if !is_write_slot(slot) {
                for k in 0..w {
                    got.push(m.get((c, n + k)));
                }
            }
        }
        for (k, (w, g)) in want[e].iter().zip(&got).enumerate() {
            if w.is_some_and(|w| w != *g) {
                return Err(format!(
                    "execution {e} (original {i}, allocated {j}: {}): read {k} sees {g:?}, \
                     the virtual program {w:?}",
                    isa::print(inst)
                ));
            }
        }
        for (ri, r) in regs.iter().enumerate().filter(|(_, r)| r.writes()) {
            let (c, n) = reg_of(slot_operand(inst, r.slot).unwrap_or(Operand::None)).ok_or(
                format!("instruction {j}: slot {:?} holds no register", r.slot),
            )?;
            for k in 0..width(inst, r.slot) as u16 {
                m.set((c, n + k), Tok::Def(e, ri, k as u8));
            }
        }
        for (si, (slot, (c, n), w)) in fixed(inst, regs).into_iter().enumerate() {
            if is_write_slot(slot) {
                for k in 0..w {
                    m.set((c, n + k), Tok::Def(e, 100 + si, k as u8));
                }
            }
        }
        e += 1;
    }
    Ok(())
}

/// Register ranges, alignment, encodability and scratch bounds of the allocated code.
fn physical_code(alloc: &Mir, a: &Allocation) -> Result<(), String> {
    for (j, m) in alloc.insts.iter().enumerate() {
        let MInst::Inst { inst, regs, .. } = m else {
            continue;
        };
        if !regs.is_empty() {
            return Err(format!("instruction {j} still has virtual registers"));
        }
        isa::encode(inst)
            .map_err(|e| format!("instruction {j} ({inst:?}) does not encode: {e}"))?;
        for s in SLOTS {
            let Some((v, n)) = slot_operand(inst, s).and_then(reg_of) else {
                continue;
            };
            let w = width(inst, s).max(1) as u32;
            let limit = if v { a.vgprs } else { a.sgprs };
            if u32::from(n) + w > limit {
                return Err(format!(
                    "instruction {j}: register {n}+{w} beyond the count {limit}"
                ));
            }
            let align = match w {
                1 => 1,
                2 => 2,
                _ => 4,
            };
            if !v && u32::from(n) % align != 0 {
                return Err(format!("instruction {j}: s{n} is not {align}-aligned"));
            }
        }
        if let Inst::Flat {
            op, offset, addr, ..
        } = inst
        {
            let is_spill = op.name().starts_with("scratch_");
            if is_spill && addr == &Operand::None && (*offset as u32) + 4 > a.scratch_bytes_per_lane
            {
                return Err(format!(
                    "instruction {j}: scratch offset {offset} beyond the size"
                ));
            }
        }
    }
    Ok(())
}

/// The opcode with this name (test helper).
pub fn op(name: &str) -> Op {
    Op::by_name(name).unwrap_or_else(|| panic!("no opcode {name}"))
}
