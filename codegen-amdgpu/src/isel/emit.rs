//! Instruction builders for every isel family: each takes [`Piece`]s and [`Src`]s, picks
//! the encoding (VOP1/VOP2 when the operands allow it, else VOP3), keeps the operands
//! legal for the encoder ([`crate::isa::check`]) — moving a constant or scalar into a VGPR
//! where a slot needs one — and records which virtual registers each slot holds.

use super::{Piece, Sel, Src};
use crate::isa::{Class, Fmt, Inst, Mods, Op, Operand, Ty};
use crate::mir::{Access, RegClass, RegRef, Slot};

/// The opcode with this mnemonic. Every name isel uses is in the opcode table (the
/// `isel_opcode_names_exist` test lists them), so a miss is a bug in isel itself.
pub fn op(name: &str) -> Op {
    match Op::by_name(name) {
        Some(op) => op,
        None => panic!("isel uses {name}, which the opcode table lacks"),
    }
}

/// The placeholder a virtual register's slot holds until allocation.
fn placeholder(p: Piece) -> Operand {
    match p.class {
        RegClass::S => Operand::Sgpr(0),
        RegClass::V => Operand::Vgpr(0),
    }
}

/// The VOP3SD scalar destination of [`Sel::valu_full`]: none (not a VOP3SD), a virtual
/// register, or a fixed operand (`null`, `vcc_lo`).
#[derive(Clone, Copy)]
enum Sdst {
    None,
    Reg(Piece),
    Fixed(Operand),
}

fn reg_ref(slot: Slot, p: Piece, access: Access) -> RegRef {
    RegRef {
        slot,
        reg: p.reg,
        offset: p.offset,
        access,
    }
}

impl Sel<'_> {
    /// Pushes a finished instruction (slots already holding placeholders).
    pub fn push(&mut self, inst: Inst, regs: Vec<RegRef>) {
        let line = self.line;
        self.mir.push(inst, regs, line);
    }

    /// The operand for a source in a slot of type `ty`, recording its register.
    fn src_operand(&mut self, slot: Slot, s: Src, regs: &mut Vec<RegRef>) -> Operand {
        match s {
            Src::Reg(p) => {
                regs.push(reg_ref(slot, p, Access::Use));
                placeholder(p)
            }
            Src::Const(c) => c,
        }
    }

    /// `s` in a register of `class` (a copy unless it already is one).
    pub fn to_class(&mut self, s: Src, class: RegClass, dwords: u8) -> Piece {
        match s {
            Src::Reg(p) if p.class == class => p,
            _ => {
                let d = self.new_piece(class, dwords);
                self.copy(d, s, dwords);
                d
            }
        }
    }

    /// `s` in a VGPR (or VGPR pair).
    pub fn to_vgpr(&mut self, s: Src, dwords: u8) -> Piece {
        self.to_class(s, RegClass::V, dwords)
    }

    /// `dst = src`, `dwords` registers: `v_mov_b32` / `s_mov_b32` per dword, or
    /// `v_readfirstlane_b32` from a VGPR into an SGPR (only for values uniform across the
    /// wave). A 64-bit constant is split into its two halves.
    pub fn copy(&mut self, dst: Piece, src: Src, dwords: u8) {
        for i in 0..dwords {
            let d = Piece {
                offset: dst.offset + i,
                ..dst
            };
            let s = match src {
                Src::Reg(p) => Src::Reg(Piece {
                    offset: p.offset + i,
                    ..p
                }),
                Src::Const(c) if dwords == 1 => Src::Const(c),
                Src::Const(c) => Src::Const(half_of(c, i)),
            };
            match (dst.class, s) {
                (RegClass::V, _) => self.valu(op("v_mov_b32"), d, &[s]),
                (RegClass::S, Src::Reg(p)) if p.class == RegClass::V => {
                    self.valu(op("v_readfirstlane_b32"), d, &[s])
                }
                (RegClass::S, _) => self.sop1(op("s_mov_b32"), d, s),
            }
        }
    }

    /// A VALU instruction (VOP1, VOP2, VOPC, VOP3) writing `dst` (a VGPR, or the SGPR mask
    /// of a compare, or the SGPR of `v_readfirstlane_b32`).
    pub fn valu(&mut self, op: Op, dst: Piece, srcs: &[Src]) {
        self.valu_full(op, Some(dst), Sdst::None, srcs, Mods::default());
    }

    /// [`Sel::valu`] with source/output modifiers (forces the VOP3 encoding when any is set).
    pub fn valu_mods(&mut self, op: Op, dst: Piece, srcs: &[Src], mods: Mods) {
        self.valu_full(op, Some(dst), Sdst::None, srcs, mods);
    }

    /// A VOP3SD instruction (`v_add_co_u32`, `v_add_co_ci_u32`, `v_mad_u64_u32`,
    /// `v_div_scale_f32`): `sdst` is the scalar result (carry out, VCC of div_scale), or
    /// `null` when `None`. A carry in is the last source, an SGPR mask.
    pub fn valu_sd(&mut self, op: Op, dst: Piece, sdst: Option<Piece>, srcs: &[Src], mods: Mods) {
        let sdst = match sdst {
            Some(p) => Sdst::Reg(p),
            None => Sdst::Fixed(Operand::Null),
        };
        self.valu_full(op, Some(dst), sdst, srcs, mods);
    }

    /// A VOP3SD instruction whose scalar result goes to a fixed register: `v_div_scale_*`
    /// writes `vcc_lo`, which the `v_div_fmas_*` after it reads implicitly.
    pub fn valu_sd_fixed(&mut self, op: Op, dst: Piece, sdst: Operand, srcs: &[Src], mods: Mods) {
        self.valu_full(op, Some(dst), Sdst::Fixed(sdst), srcs, mods);
    }

    /// A lane-mask compare: `v_cmp_*` in the VOP3 encoding into a new SGPR.
    pub fn vcmp(&mut self, op: Op, a: Src, b: Src) -> Piece {
        let m = self.new_s(1);
        self.valu_full(op, Some(m), Sdst::None, &[a, b], Mods::default());
        m
    }

    /// Like [`Sel::vcmp`] with modifiers (e.g. `abs` for class tests).
    pub fn vcmp_mods(&mut self, op: Op, a: Src, b: Src, mods: Mods) -> Piece {
        let m = self.new_s(1);
        self.valu_full(op, Some(m), Sdst::None, &[a, b], mods);
        m
    }

    /// `dst = mask ? t : f` per lane (`v_cndmask_b32` with an SGPR mask).
    pub fn cndmask(&mut self, dst: Piece, f: Src, t: Src, mask: Piece) {
        self.valu(op("v_cndmask_b32"), dst, &[f, t, Src::Reg(mask)]);
    }

    fn valu_full(&mut self, op: Op, dst: Option<Piece>, sdst: Sdst, srcs: &[Src], mods: Mods) {
        let info = op.info();
        let mut srcs: Vec<Src> = srcs.to_vec();
        self.legalize_valu(op, &mut srcs);
        let e32 = self.can_use_e32(op, dst, &srcs, mods);
        let mut regs = Vec::new();
        let vdst = match dst {
            Some(d) if info.dst != Ty::N => {
                // v_fmac_* reads its destination as the addend.
                let access = if info.class == Class::NoE64 {
                    Access::UseDef
                } else {
                    Access::Def
                };
                regs.push(reg_ref(Slot::Dst, d, access));
                placeholder(d)
            }
            _ => Operand::None,
        };
        let sdst_op = match sdst {
            Sdst::Reg(p) => {
                regs.push(reg_ref(Slot::Sdst, p, Access::Def));
                placeholder(p)
            }
            Sdst::Fixed(o) => o,
            Sdst::None => Operand::None,
        };
        let mut src = [Operand::None; 3];
        for (i, s) in srcs.iter().enumerate().take(3) {
            src[i] = self.src_operand(Slot::Src(i as u8), *s, &mut regs);
        }
        let inst = if info.fmt == Fmt::Vop3p {
            Inst::Vop3p {
                op,
                vdst,
                src,
                mods: Default::default(),
            }
        } else {
            Inst::Valu {
                op,
                e64: !e32,
                vdst,
                sdst: sdst_op,
                src,
                mods,
            }
        };
        self.push(inst, regs);
    }

    /// Whether the 32-bit encoding can hold this instruction.
    fn can_use_e32(&self, op: Op, dst: Option<Piece>, srcs: &[Src], mods: Mods) -> bool {
        let info = op.info();
        if info.class == Class::NoE64 {
            return true;
        }
        if mods != Mods::default() || matches!(info.class, Class::CndMask | Class::CoCi) {
            return false;
        }
        let dst_v = dst.is_some_and(|d| d.class == RegClass::V) || info.class == Class::ReadLane;
        match info.fmt {
            Fmt::Vop1 => dst_v,
            Fmt::Vop2 => {
                dst_v && matches!(srcs.get(1), Some(Src::Reg(p)) if p.class == RegClass::V)
            }
            _ => false,
        }
    }

    /// Moves sources into VGPRs until the instruction is encodable: 64-bit and tuple slots
    /// take no literal; VOP3 reads at most two scalar values (SGPRs or a literal) and one
    /// literal; VOP2-only ops (`v_fmac_*`) need a VGPR in src1; VOP3P takes no literal.
    #[allow(clippy::needless_range_loop)] // srcs[i] is replaced while walking
    fn legalize_valu(&mut self, op: Op, srcs: &mut [Src]) {
        let info = op.info();
        for (i, s) in srcs.iter_mut().enumerate() {
            let ty = info.src.get(i).copied().unwrap_or(Ty::N);
            if let Src::Const(c) = *s {
                let literal_ok = ty.takes_literal() && info.fmt != Fmt::Vop3p;
                let inline = !matches!(c, Operand::Literal(_));
                if !(inline && ty.takes_constants() || literal_ok) {
                    *s = Src::Reg(self.to_vgpr(*s, ty.dwords().max(1)));
                }
            }
        }
        if info.class == Class::NoE64
            && !matches!(srcs.get(1), Some(Src::Reg(p)) if p.class == RegClass::V)
            && srcs.len() > 1
        {
            srcs[1] = Src::Reg(self.to_vgpr(srcs[1], 1));
        }
        let mut scalars: Vec<Src> = Vec::new();
        let mut literal: Option<Operand> = None;
        // The mask of v_cndmask and the carry of v_*_co_ci must stay SGPRs: count them
        // first so that the other sources are the ones moved into VGPRs.
        let mut order: Vec<usize> = (0..srcs.len()).collect();
        if matches!(info.class, Class::CndMask | Class::CoCi) && srcs.len() == 3 {
            order = vec![2, 0, 1];
        }
        for i in order {
            let dwords = info.src.get(i).map_or(1, |t| t.dwords().max(1));
            match srcs[i] {
                Src::Reg(p) if p.class == RegClass::S => {
                    let seen = scalars.contains(&srcs[i]);
                    // The mask of v_cndmask and the carry of v_*_co_ci count too.
                    if !seen && scalars.len() + usize::from(literal.is_some()) >= 2 {
                        srcs[i] = Src::Reg(self.to_vgpr(srcs[i], dwords));
                    } else if !seen {
                        scalars.push(srcs[i]);
                    }
                }
                Src::Const(c @ Operand::Literal(_)) => {
                    let fits = literal == Some(c) || (literal.is_none() && scalars.len() < 2);
                    if fits {
                        literal = Some(c);
                    } else {
                        srcs[i] = Src::Reg(self.to_vgpr(srcs[i], dwords));
                    }
                }
                _ => {}
            }
        }
    }

    /// A SOP2 instruction (sets SCC as the ISA says).
    pub fn sop2(&mut self, op: Op, dst: Piece, a: Src, b: Src) {
        let (a, b) = self.one_scalar_literal(a, b);
        let mut regs = vec![reg_ref(Slot::Dst, dst, Access::Def)];
        let src0 = self.src_operand(Slot::Src(0), a, &mut regs);
        let src1 = self.src_operand(Slot::Src(1), b, &mut regs);
        self.push(
            Inst::Sop2 {
                op,
                sdst: placeholder(dst),
                src0,
                src1,
            },
            regs,
        );
    }

    /// A SOP1 instruction.
    pub fn sop1(&mut self, op: Op, dst: Piece, a: Src) {
        let mut regs = vec![reg_ref(Slot::Dst, dst, Access::Def)];
        let src0 = self.src_operand(Slot::Src(0), a, &mut regs);
        self.push(
            Inst::Sop1 {
                op,
                sdst: placeholder(dst),
                src0,
            },
            regs,
        );
    }

    /// A SOP1 instruction on fixed registers (`s_and_saveexec_b32 sN, mask` writes EXEC
    /// and `dst`).
    pub fn sop1_fixed(&mut self, op: Op, sdst: Operand, dst: Option<Piece>, a: Src) {
        let mut regs = Vec::new();
        let sdst = match dst {
            Some(d) => {
                regs.push(reg_ref(Slot::Dst, d, Access::Def));
                placeholder(d)
            }
            None => sdst,
        };
        let src0 = self.src_operand(Slot::Src(0), a, &mut regs);
        self.push(Inst::Sop1 { op, sdst, src0 }, regs);
    }

    /// A SOP2 instruction whose destination is a fixed register (`exec_lo`).
    pub fn sop2_fixed(&mut self, op: Op, sdst: Operand, a: Src, b: Src) {
        let (a, b) = self.one_scalar_literal(a, b);
        let mut regs = Vec::new();
        let src0 = self.src_operand(Slot::Src(0), a, &mut regs);
        let src1 = self.src_operand(Slot::Src(1), b, &mut regs);
        self.push(
            Inst::Sop2 {
                op,
                sdst,
                src0,
                src1,
            },
            regs,
        );
    }

    /// A SOPC compare into SCC.
    pub fn sopc(&mut self, op: Op, a: Src, b: Src) {
        let (a, b) = self.one_scalar_literal(a, b);
        let mut regs = Vec::new();
        let src0 = self.src_operand(Slot::Src(0), a, &mut regs);
        let src1 = self.src_operand(Slot::Src(1), b, &mut regs);
        self.push(Inst::Sopc { op, src0, src1 }, regs);
    }

    /// Scalar instructions take one literal: a second one goes into an SGPR first.
    fn one_scalar_literal(&mut self, a: Src, b: Src) -> (Src, Src) {
        match (a, b) {
            (Src::Const(Operand::Literal(x)), Src::Const(Operand::Literal(y))) if x != y => {
                let p = self.new_s(1);
                self.sop1(op("s_mov_b32"), p, b);
                (a, Src::Reg(p))
            }
            _ => (a, b),
        }
    }

    /// A 32-bit constant as a source (inline when possible).
    pub fn imm(&self, v: u32) -> Src {
        Src::Const(Operand::constant(v, Ty::B32))
    }
}

/// Half `i` (0 low, 1 high) of a 64-bit constant operand.
fn half_of(c: Operand, i: u8) -> Operand {
    match c {
        // Integer inline constants are sign-extended to 64 bits.
        Operand::Int(n) if i == 1 => Operand::Int(if n < 0 { -1 } else { 0 }),
        Operand::Float(f) if i == 0 => Operand::constant(f64_bits(f) as u32, Ty::B32),
        Operand::Float(f) => Operand::constant((f64_bits(f) >> 32) as u32, Ty::B32),
        other => other,
    }
}

fn f64_bits(f: crate::isa::FloatConst) -> u64 {
    use crate::isa::FloatConst as F;
    let v: f64 = match f {
        F::Half => 0.5,
        F::NegHalf => -0.5,
        F::One => 1.0,
        F::NegOne => -1.0,
        F::Two => 2.0,
        F::NegTwo => -2.0,
        F::Four => 4.0,
        F::NegFour => -4.0,
        F::InvTwoPi => 0.159_154_943_091_895_35,
    };
    v.to_bits()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn float_halves() {
        use crate::isa::FloatConst as F;
        assert_eq!(
            half_of(Operand::Float(F::One), 1),
            Operand::Literal(0x3ff0_0000)
        );
        assert_eq!(half_of(Operand::Float(F::One), 0), Operand::Int(0));
        assert_eq!(half_of(Operand::Int(-3), 1), Operand::Int(-1));
    }
}
