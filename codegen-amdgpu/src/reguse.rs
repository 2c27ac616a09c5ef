//! Which registers an allocated instruction reads and writes, for the passes after
//! register allocation (`s_waitcnt` insertion, hazard fixes). Registers are named by their
//! 9-bit operand code (s0-s105 = 0-105, vcc 106/107, m0 125, exec 126/127, v0-v255 =
//! 256-511), so one number space covers both files.
//!
//! Implicit operands the instruction value does not hold are added here: every vector
//! instruction reads EXEC, `v_div_fmas_*` reads VCC, the `*_saveexec` forms read and write
//! EXEC, `v_fmac_*`, `v_writelane_b32` and the VOPD accumulators read their destination, and
//! `v_dual_cndmask_b32` reads VCC, and `v_cmpx_*` writes EXEC. SCC is not modelled: no
//! load writes it and no gfx11 hazard rule involves it.

use crate::isa::{Class, Fmt, Inst, Operand, Ty};

/// EXEC_LO's code.
pub const EXEC_LO: u16 = 126;
/// VCC_LO's code.
pub const VCC_LO: u16 = 106;

/// `count` consecutive registers from code `first`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Regs {
    pub first: u16,
    pub count: u16,
}

impl Regs {
    /// The registers an operand of type `ty` names; None for constants and `null`.
    pub fn of(o: Operand, ty: Ty) -> Option<Regs> {
        let count = u16::from(ty.dwords().max(1));
        let first = match o {
            Operand::Sgpr(_)
            | Operand::Vgpr(_)
            | Operand::VccLo
            | Operand::VccHi
            | Operand::M0
            | Operand::ExecLo
            | Operand::ExecHi => o.code()?,
            _ => return None,
        };
        Some(Regs { first, count })
    }

    pub fn one(code: u16) -> Regs {
        Regs {
            first: code,
            count: 1,
        }
    }

    pub fn end(self) -> u16 {
        self.first + self.count
    }

    pub fn units(self) -> std::ops::Range<u16> {
        self.first..self.end()
    }

    pub fn overlaps(self, other: Regs) -> bool {
        self.first < other.end() && other.first < self.end()
    }

    pub fn is_vgpr(self) -> bool {
        self.first >= 256
    }
}

/// The most register ranges one instruction reads (a VOPD: per half two sources and an
/// accumulator, then VCC and EXEC).
const MAX_RANGES: usize = 8;

/// A few register ranges held inline: [`effects`] runs for every instruction of every
/// walk of the passes after allocation, so it must not allocate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RegList {
    items: [Regs; MAX_RANGES],
    len: u8,
}

impl Default for RegList {
    fn default() -> RegList {
        RegList {
            items: [Regs::one(0); MAX_RANGES],
            len: 0,
        }
    }
}

impl RegList {
    pub fn push(&mut self, r: Regs) {
        // Every instruction form names at most MAX_RANGES ranges (see `effects`).
        debug_assert!(
            usize::from(self.len) < MAX_RANGES,
            "more ranges than {MAX_RANGES}"
        );
        if let Some(slot) = self.items.get_mut(usize::from(self.len)) {
            *slot = r;
            self.len += 1;
        }
    }
}

impl std::ops::Deref for RegList {
    type Target = [Regs];
    fn deref(&self) -> &[Regs] {
        &self.items[..usize::from(self.len)]
    }
}

impl<'a> IntoIterator for &'a RegList {
    type Item = &'a Regs;
    type IntoIter = std::slice::Iter<'a, Regs>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

/// The registers an instruction reads and writes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Effects {
    pub reads: RegList,
    pub writes: RegList,
}

impl Effects {
    fn read(&mut self, o: Operand, ty: Ty) {
        if let Some(r) = Regs::of(o, ty) {
            self.reads.push(r);
        }
    }

    fn write(&mut self, o: Operand, ty: Ty) {
        if let Some(r) = Regs::of(o, ty) {
            self.writes.push(r);
        }
    }

    pub fn reads_any(&self, r: Regs) -> bool {
        self.reads.iter().any(|x| x.overlaps(r))
    }

    pub fn writes_any(&self, r: Regs) -> bool {
        self.writes.iter().any(|x| x.overlaps(r))
    }
}

/// What `inst` reads and writes.
pub fn effects(inst: &Inst) -> Effects {
    let info = inst.op().info();
    let mut e = Effects::default();
    match *inst {
        Inst::Sop2 {
            sdst, src0, src1, ..
        } => {
            e.write(sdst, info.dst);
            e.read(src0, info.src[0]);
            e.read(src1, info.src[1]);
        }
        Inst::Sop1 { sdst, src0, .. } => {
            e.write(sdst, info.dst);
            e.read(src0, info.src[0]);
            if info.name.ends_with("_saveexec_b32") {
                e.reads.push(Regs::one(EXEC_LO));
                e.writes.push(Regs::one(EXEC_LO));
            }
        }
        Inst::Sopc { src0, src1, .. } => {
            e.read(src0, info.src[0]);
            e.read(src1, info.src[1]);
        }
        Inst::Sopk { sdst, .. } => sopk(&mut e, info.name, sdst),
        Inst::Sopp { .. } => sopp(&mut e, info.name),
        Inst::Smem {
            sdata,
            sbase,
            soffset,
            ..
        } => {
            e.write(sdata, info.dst);
            e.read(sbase, info.src[0]);
            e.read(soffset, Ty::B32);
        }
        Inst::Valu {
            vdst, sdst, src, ..
        } => valu(&mut e, info, vdst, sdst, &src),
        Inst::Vop3p { vdst, src, .. } => {
            e.write(vdst, info.dst);
            for (o, ty) in src.iter().zip(info.src) {
                e.read(*o, ty);
            }
            e.reads.push(Regs::one(EXEC_LO));
        }
        Inst::Flat {
            vdst,
            addr,
            data,
            saddr,
            ..
        } => {
            let scratch = info.fmt == Fmt::Scratch;
            let addr_ty = if saddr == Operand::Null && !scratch {
                Ty::R2
            } else {
                Ty::R1
            };
            e.write(vdst, info.dst);
            e.read(addr, addr_ty);
            e.read(data, info.src[1]);
            e.read(saddr, if scratch { Ty::R1 } else { Ty::R2 });
            e.reads.push(Regs::one(EXEC_LO));
        }
        Inst::Ds {
            vdst,
            addr,
            data0,
            data1,
            ..
        } => {
            e.write(vdst, info.dst);
            e.read(addr, Ty::R1);
            e.read(data0, info.src[1]);
            e.read(data1, info.src[2]);
            e.reads.push(Regs::one(EXEC_LO));
        }
        Inst::Vopd { x, y } => vopd(&mut e, &x, &y),
    }
    e
}

fn sopk(e: &mut Effects, name: &str, sdst: Operand) {
    match name {
        "s_movk_i32" => e.write(sdst, Ty::B32),
        // s_cmovk keeps the old value when SCC is clear.
        "s_cmovk_i32" | "s_addk_i32" | "s_mulk_i32" => {
            e.read(sdst, Ty::B32);
            e.write(sdst, Ty::B32);
        }
        _ => e.read(sdst, Ty::B32),
    }
}

fn sopp(e: &mut Effects, name: &str) {
    match name {
        "s_cbranch_vccz" | "s_cbranch_vccnz" => e.reads.push(Regs::one(VCC_LO)),
        "s_cbranch_execz" | "s_cbranch_execnz" => e.reads.push(Regs::one(EXEC_LO)),
        _ => {}
    }
}

fn valu(
    e: &mut Effects,
    info: &crate::isa::OpInfo,
    vdst: Operand,
    sdst: Operand,
    src: &[Operand; 3],
) {
    // A compare's or readlane's destination is one SGPR (wave32 mask / scalar).
    let dst_ty = if info.fmt == Fmt::Vopc || info.class == Class::ReadLane {
        Ty::B32
    } else {
        info.dst
    };
    e.write(vdst, dst_ty);
    e.write(sdst, Ty::B32);
    for (o, ty) in src.iter().zip(info.src) {
        e.read(*o, ty);
    }
    if info.class == Class::NoE64 || info.name == "v_writelane_b32" {
        e.read(vdst, dst_ty);
    }
    if info.name.starts_with("v_div_fmas_") {
        e.reads.push(Regs::one(VCC_LO));
    }
    if info.is_cmpx() {
        e.writes.push(Regs::one(EXEC_LO));
    }
    e.reads.push(Regs::one(EXEC_LO));
}

/// Both halves of a VOPD: their sources (K is a literal), accumulators and VCC.
fn vopd(e: &mut Effects, x: &crate::isa::Dual, y: &crate::isa::Dual) {
    for d in [x, y] {
        let info = d.op.info();
        e.write(d.vdst, Ty::B32);
        for o in d.src {
            e.read(o, Ty::B32);
        }
        if info.class == Class::DualAcc {
            e.read(d.vdst, Ty::B32);
        }
        if info.class == Class::CndMask {
            e.reads.push(Regs::one(VCC_LO));
        }
    }
    e.reads.push(Regs::one(EXEC_LO));
}

/// Whether `inst` executes on the vector ALU (VOP1/2/C/3/3P/D, including `v_nop`).
pub fn is_valu(inst: &Inst) -> bool {
    matches!(
        inst,
        Inst::Valu { .. } | Inst::Vop3p { .. } | Inst::Vopd { .. }
    )
}

/// Whether `inst` is a transcendental (runs on the TRANS unit, whose results the VALU
/// does not wait for on gfx11).
pub fn is_trans(inst: &Inst) -> bool {
    // v_rcp_iflag_f32 is covered by "v_rcp_"; the f16 and f64 forms are TRANS too.
    const TRANS: [&str; 7] = [
        "v_exp_", "v_log_", "v_rcp_", "v_rsq_", "v_sqrt_", "v_sin_", "v_cos_",
    ];
    let name = inst.op().name();
    is_valu(inst) && TRANS.iter().any(|p| name.starts_with(p))
}
