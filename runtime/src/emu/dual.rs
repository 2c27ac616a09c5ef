//! VOPD (`v_dual_*`): two VALU operations issued together. Both halves read all their
//! sources, with the strict checks every VALU source gets, before either writes, so a
//! half reading the other's destination sees the old value (RDNA3 ISA guide, "VOPD").
//! Each half computes what its VOP1/VOP2 namesake does (`alu::vector`); fmaak/fmamk are
//! v_fma_f32 with K in place, dot2acc accumulates into its destination.
//!
//! The pairing rules the hardware needs (VGPR banks, SRC2 parity, scalar reads) are
//! checked when the kernel is loaded (`isa::vopd::pairing`); an instruction that breaks
//! one becomes a strict error naming the rule if a wave reaches it.

use super::alu::{self, Lanes, VectorFn};
use super::loader::{Exec, Ins};
use super::wave::{VCC_LO, Wave};
use egpu_codegen_amdgpu::isa::vopd::pairing;
use egpu_codegen_amdgpu::isa::{Class, Dual, Inst, Op, Operand, Ty};
use half::f16;

/// What a VOPD instruction does: each half's lane function, or the rule it breaks.
pub(super) fn semantics(inst: &Inst) -> Exec {
    let Inst::Vopd { x, y } = inst else {
        return Exec::Bad("not a VOPD instruction".into());
    };
    if let Err(rule) = pairing(x, y) {
        return Exec::Bad(rule.to_string());
    }
    match (half_fn(x.op), half_fn(y.op)) {
        (Some(fx), Some(fy)) => Exec::Dual(fx, fy),
        _ => Exec::Bad(format!(
            "{} :: {} has no semantics in the emulator",
            x.op.name(),
            y.op.name()
        )),
    }
}

/// The lane function of one half. Its sources arrive in `Dual::src` order, which for
/// fmaak (S0, V1, K) and fmamk (S0, K, V1) is v_fma_f32's; accumulating halves get
/// their destination as the third source.
pub(super) fn half_fn(op: Op) -> Option<VectorFn> {
    let name = op.name();
    match name {
        "v_dual_fmaak_f32" | "v_dual_fmamk_f32" => alu::vector("v_fma_f32"),
        "v_dual_mul_dx9_zero_f32" => Some(mul_dx9_zero as VectorFn),
        "v_dual_dot2acc_f32_f16" => Some(dot2acc as VectorFn),
        _ => alu::vector(&format!("v_{}", name.strip_prefix("v_dual_")?)),
    }
}

/// v_mul_dx9_zero_f32: a product with a zero factor is +0, even times Inf or NaN.
fn mul_dx9_zero(l: &mut Lanes) {
    alu::run_lanes(l, |s, _| {
        let (a, b) = (f32::from_bits(s[0] as u32), f32::from_bits(s[1] as u32));
        let r = if a == 0.0 || b == 0.0 { 0.0 } else { a * b };
        (u64::from(r.to_bits()), false)
    });
}

/// v_dot2acc_f32_f16: D = S0.lo * S1.lo + S0.hi * S1.hi + D, rounded once to f32.
fn dot2acc(l: &mut Lanes) {
    alu::run_lanes(l, |s, _| {
        let half = |x: u64, hi: bool| {
            let bits = if hi { (x >> 16) as u16 } else { x as u16 };
            f64::from(f16::from_bits(bits).to_f32())
        };
        let acc = f64::from(f32::from_bits(s[2] as u32));
        let r = half(s[0], false) * half(s[1], false) + half(s[0], true) * half(s[1], true) + acc;
        (u64::from((r as f32).to_bits()), false)
    });
}

impl Wave {
    /// Executes a VOPD: reads both halves, then writes both.
    pub(super) fn dual(&mut self, ins: &Ins, fx: VectorFn, fy: VectorFn) -> Result<(), String> {
        let Inst::Vopd { x, y } = ins.inst else {
            return Err("not a VOPD instruction".into());
        };
        let exec = self.exec();
        let mut lx = self.dual_sources(&x, exec)?;
        let mut ly = self.dual_sources(&y, exec)?;
        let (dx, dy) = (dst(&x)?, dst(&y)?);
        self.check_vdst(dx, 1)?;
        self.check_vdst(dy, 1)?;
        fx(&mut lx);
        fy(&mut ly);
        for (d, out) in [(dx, &lx.out), (dy, &ly.out)] {
            let mut m = exec;
            while m != 0 {
                let l = m.trailing_zeros() as usize;
                m &= m - 1;
                self.set_v(d, l, out[l] as u32);
            }
        }
        self.hazards.issued(false, None, ins.pc);
        self.hazards.wmma_d = None;
        Ok(())
    }

    /// One half's sources for every lane, read with the VALU strict checks.
    fn dual_sources(&self, d: &Dual, exec: u32) -> Result<Lanes, String> {
        let mut l = Lanes {
            src: [[0; 32]; 3],
            cin: 0,
            exec,
            out: [0; 32],
            bits: 0,
        };
        let info = d.op.info();
        for (i, &o) in d.src.iter().enumerate() {
            if o != Operand::None {
                self.dual_read(o, exec, &mut l.src[i])?;
            }
        }
        if info.class == Class::DualAcc {
            self.dual_read(d.vdst, exec, &mut l.src[2])?;
        }
        if info.class == Class::CndMask {
            l.cin = self.get_s(VCC_LO)?;
        }
        Ok(l)
    }

    /// A 32-bit source in every lane: a VGPR (written in the active lanes, no load or
    /// TRANS result outstanding) or a scalar value.
    fn dual_read(&self, o: Operand, exec: u32, out: &mut [u64; 32]) -> Result<(), String> {
        let Operand::Vgpr(r) = o else {
            *out = [self.read_scalar(o, Ty::B32)?; 32];
            return Ok(());
        };
        let r = self.check_vgprs(usize::from(r), 1, exec)?;
        if let Some(pc) = self.hazards.trans_use(r) {
            return Err(format!(
                "hazard: reads v{r}, written by the transcendental op at pc {pc:#x}, without s_waitcnt_depctr in between"
            ));
        }
        for (l, v) in out.iter_mut().enumerate() {
            *v = u64::from(self.get_v(r, l));
        }
        Ok(())
    }
}

fn dst(d: &Dual) -> Result<usize, String> {
    match d.vdst {
        Operand::Vgpr(r) => Ok(usize::from(r)),
        o => Err(format!("VOPD destination {o:?} is not a VGPR")),
    }
}
