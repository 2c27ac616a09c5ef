//! Fast paths for the most frequent instruction forms, planned once at load time: 32-bit
//! scalar ALU ops without SCC input, and 32-bit VALU ops and compares without modifiers
//! or carries.
//!
//! A plan holds the operands already resolved (register indices, constants as their
//! bits) and, for VALU ops, a lane kernel over plain `[u32; 32]` rows that the compiler
//! vectorizes. At run time the fast path performs the same strict checks as the generic
//! path (written registers, outstanding loads, the TRANS hazard) *before* changing
//! anything, and when one of them does not pass it declines: the generic path then runs
//! the instruction and reports the error with its usual message. Each kernel computes
//! what `alu::vector` computes for the op (`fast_tests.rs` checks every one against it).

use super::alu::ScalarFn;
use super::wave::{NULL, VCC_LO, Wave, constant, sreg_index};
use egpu_codegen_amdgpu::isa::{Class, Fmt, Inst, Mods, Operand, Ty};

/// A VALU kernel: every lane's result from every lane's three sources and the lane
/// mask of `v_cndmask` (lanes outside EXEC are computed too and then discarded).
pub type Kernel = fn(Rows, u32, &mut [u32; 32]);

/// A VALU compare: each lane's result bit from each lane's two sources.
pub type Compare = fn(Rows) -> u32;

/// Every lane of each of the three sources (VGPR rows in place, constants spread).
pub type Rows<'a> = [&'a [u32; 32]; 3];

/// An operand resolved at load time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Src {
    /// An unused slot.
    None,
    Vgpr(u8),
    /// A scalar register by its index (`wave::sreg_index`).
    Sreg(u8),
    Const(u32),
}

/// What the fast path of one instruction needs.
#[derive(Clone, Copy, Debug)]
pub enum Fast {
    Valu {
        kernel: Kernel,
        src: [Src; 3],
        /// v_cndmask: the SGPR (index) holding each lane's condition; v_div_fmas: VCC.
        mask: Option<u8>,
        dst: u8,
        /// The op runs on the transcendental unit (its result is hazard-tracked).
        trans: bool,
        /// Float source modifiers: bit i of `neg` flips source i's sign bit, of `abs`
        /// clears it (first), as the generic path does.
        neg: u8,
        abs: u8,
    },
    /// A 32-bit `v_cmp_*` (or `v_cmpx_*`): the active lanes' bits to a scalar register.
    Compare {
        compare: Compare,
        src: [Src; 3],
        /// The destination's scalar register index.
        dst: u8,
    },
    Scalar {
        f: ScalarFn,
        a: Src,
        b: Src,
        /// The destination's scalar register index (`NULL`: the result vanishes), or
        /// `None` for compares.
        dst: Option<u8>,
    },
}

/// The fast plan for an instruction, if it has one.
pub fn plan(inst: &Inst) -> Option<Fast> {
    match *inst {
        Inst::Valu {
            op,
            vdst,
            sdst,
            src,
            mods,
            ..
        } => {
            let info = op.info();
            if info.fmt == Fmt::Vopc {
                return compare_plan(info, vdst, src, mods);
            }
            // Sign modifiers only on float ops (whose sources are all 32-bit floats).
            let signs = mods.neg | mods.abs;
            let plain = matches!(info.fmt, Fmt::Vop1 | Fmt::Vop2 | Fmt::Vop3)
                && !mods.clamp
                && mods.omod == 0
                && (signs == 0 || info.class == Class::Float)
                && sdst == Operand::None
                && info.dst == Ty::B32
                && (matches!(
                    info.class,
                    Class::Plain | Class::Float | Class::Clamp | Class::CndMask
                ) || info.name == "v_fmac_f32");
            if !plain {
                return None;
            }
            let kernel = kernel(info.name)?;
            let Operand::Vgpr(dst) = vdst else {
                return None;
            };
            let cnd = info.class == Class::CndMask;
            let mut resolved = [Src::None; 3];
            for i in 0..3 {
                if info.src[i] == Ty::N || src[i] == Operand::None || (cnd && i == 2) {
                    continue;
                }
                if info.src[i] != Ty::B32 {
                    return None;
                }
                resolved[i] = source(src[i])?;
            }
            if info.class == Class::NoE64 {
                // v_fmac: the destination is the accumulator, read like a source.
                resolved[2] = Src::Vgpr(dst);
            }
            let used = (0..3).filter(|&i| resolved[i] != Src::None);
            if signs & !used.fold(0u8, |m, i| m | 1 << i) != 0 {
                return None;
            }
            let mask = if cnd {
                Some(u8::try_from(sreg_index(src[2])?).ok()?)
            } else if info.name == "v_div_fmas_f32" {
                // Each lane's VCC bit says whether v_div_scale scaled one operand only.
                Some(VCC_LO as u8)
            } else {
                None
            };
            Some(Fast::Valu {
                kernel,
                src: resolved,
                mask,
                dst,
                trans: super::alu::is_trans(info.name),
                neg: mods.neg,
                abs: mods.abs,
            })
        }
        Inst::Sop2 {
            op,
            sdst,
            src0,
            src1,
        } => scalar_plan(op, sdst, src0, src1),
        Inst::Sopc { op, src0, src1 } => scalar_plan(op, Operand::None, src0, src1),
        Inst::Sop1 { op, sdst, src0 } => scalar_plan(op, sdst, src0, Operand::None),
        _ => None,
    }
}

fn compare_plan(
    info: &egpu_codegen_amdgpu::isa::OpInfo,
    vdst: Operand,
    src: [Operand; 3],
    mods: Mods,
) -> Option<Fast> {
    if mods != Mods::default() || info.src[0] != Ty::B32 || info.src[1] != Ty::B32 {
        return None;
    }
    let compare = compare(info.name)?;
    let dst = writable_sreg(vdst)?;
    Some(Fast::Compare {
        compare,
        src: [source(src[0])?, source(src[1])?, Src::None],
        dst,
    })
}

/// The index of a scalar register `set_s` accepts as a destination.
fn writable_sreg(op: Operand) -> Option<u8> {
    let r = sreg_index(op)?;
    // Registers `set_s` refuses stay generic (it reports them).
    if r >= 128 || (106 < r && r != 107 && r < NULL) {
        return None;
    }
    Some(r as u8)
}

/// A source operand of a 32-bit slot.
fn source(op: Operand) -> Option<Src> {
    if let Operand::Vgpr(r) = op {
        return Some(Src::Vgpr(r));
    }
    if let Some(c) = constant(op, Ty::B32) {
        return Some(Src::Const(c as u32));
    }
    sreg_index(op)
        .and_then(|r| u8::try_from(r).ok())
        .map(Src::Sreg)
}

fn scalar_plan(
    op: egpu_codegen_amdgpu::isa::Op,
    sdst: Operand,
    src0: Operand,
    src1: Operand,
) -> Option<Fast> {
    let info = op.info();
    // SCC or destination inputs, 64-bit operands and the exec/pc forms stay generic.
    let generic = super::loader::semantics_of(op);
    let super::loader::Exec::Scalar {
        f,
        scc_in: false,
        dst_in: false,
    } = generic
    else {
        return None;
    };
    let b32 = |t: Ty| matches!(t, Ty::B32 | Ty::N);
    if !b32(info.dst) || !b32(info.src[0]) || !b32(info.src[1]) {
        return None;
    }
    let a = source(src0).filter(|s| !matches!(s, Src::Vgpr(_)))?;
    let b = if src1 == Operand::None {
        Src::None
    } else {
        source(src1).filter(|s| !matches!(s, Src::Vgpr(_)))?
    };
    let dst = if sdst == Operand::None || info.dst == Ty::N {
        None
    } else {
        Some(writable_sreg(sdst)?)
    };
    Some(Fast::Scalar { f, a, b, dst })
}

macro_rules! k {
    (|$a:ident, $b:ident, $c:ident| $e:expr) => {{
        fn run(s: Rows, _mask: u32, out: &mut [u32; 32]) {
            for (l, o) in out.iter_mut().enumerate() {
                let ($a, $b, $c) = (s[0][l], s[1][l], s[2][l]);
                *o = $e;
            }
        }
        Some(run as Kernel)
    }};
}

/// f32 view of a lane's bits, and back.
fn f(x: u32) -> f32 {
    f32::from_bits(x)
}

/// The lane kernel of op `name`, for the ops frequent enough to deserve one.
pub fn kernel(name: &str) -> Option<Kernel> {
    match name {
        "v_mov_b32" => k!(|a, _b, _c| a),
        "v_add_nc_u32" => k!(|a, b, _c| a.wrapping_add(b)),
        "v_sub_nc_u32" => k!(|a, b, _c| a.wrapping_sub(b)),
        "v_subrev_nc_u32" => k!(|a, b, _c| b.wrapping_sub(a)),
        "v_lshlrev_b32" => k!(|a, b, _c| b << (a & 31)),
        "v_lshrrev_b32" => k!(|a, b, _c| b >> (a & 31)),
        "v_ashrrev_i32" => k!(|a, b, _c| ((b as i32) >> (a & 31)) as u32),
        "v_and_b32" => k!(|a, b, _c| a & b),
        "v_or_b32" => k!(|a, b, _c| a | b),
        "v_xor_b32" => k!(|a, b, _c| a ^ b),
        "v_mul_lo_u32" => k!(|a, b, _c| a.wrapping_mul(b)),
        "v_mul_hi_u32" => k!(|a, b, _c| ((u64::from(a) * u64::from(b)) >> 32) as u32),
        "v_mul_hi_i32" => {
            k!(|a, b, _c| ((i64::from(a as i32) * i64::from(b as i32)) >> 32) as u32)
        }
        "v_mul_u32_u24" => k!(|a, b, _c| (a & 0xff_ffff).wrapping_mul(b & 0xff_ffff)),
        "v_min_i32" => k!(|a, b, _c| (a as i32).min(b as i32) as u32),
        "v_max_i32" => k!(|a, b, _c| (a as i32).max(b as i32) as u32),
        "v_min_u32" => k!(|a, b, _c| a.min(b)),
        "v_max_u32" => k!(|a, b, _c| a.max(b)),
        "v_add3_u32" => k!(|a, b, c| a.wrapping_add(b).wrapping_add(c)),
        "v_lshl_add_u32" => k!(|a, b, c| (a << (b & 31)).wrapping_add(c)),
        "v_add_f32" => k!(|a, b, _c| (f(a) + f(b)).to_bits()),
        "v_sub_f32" => k!(|a, b, _c| (f(a) - f(b)).to_bits()),
        "v_subrev_f32" => k!(|a, b, _c| (f(b) - f(a)).to_bits()),
        "v_mul_f32" => k!(|a, b, _c| (f(a) * f(b)).to_bits()),
        "v_fma_f32" | "v_fmac_f32" => {
            fn run(s: Rows, _mask: u32, out: &mut [u32; 32]) {
                use super::fma::{fma32, fma32_or_nan};
                for (l, o) in out.iter_mut().enumerate() {
                    *o = fma32_or_nan(f(s[0][l]), f(s[1][l]), f(s[2][l])).to_bits();
                }
                // NaN lanes again, one at a time, for the fused operation's NaN.
                for (l, o) in out.iter_mut().enumerate() {
                    if f(*o).is_nan() {
                        *o = fma32(f(s[0][l]), f(s[1][l]), f(s[2][l])).to_bits();
                    }
                }
            }
            Some(run as Kernel)
        }
        "v_max_f32" => k!(|a, b, _c| super::alu::ieee_max(f(a), f(b)).to_bits()),
        "v_min_f32" => k!(|a, b, _c| super::alu::ieee_min(f(a), f(b)).to_bits()),
        // Transcendentals and the division steps, exactly as `alu::vector` has them.
        "v_exp_f32" => k!(|a, _b, _c| (f64::from(f(a)).exp2() as f32).to_bits()),
        "v_log_f32" => k!(|a, _b, _c| (f64::from(f(a)).log2() as f32).to_bits()),
        "v_rcp_f32" | "v_rcp_iflag_f32" => {
            k!(|a, _b, _c| ((1.0 / f64::from(f(a))) as f32).to_bits())
        }
        "v_rsq_f32" => k!(|a, _b, _c| ((1.0 / f64::from(f(a)).sqrt()) as f32).to_bits()),
        "v_sqrt_f32" => k!(|a, _b, _c| (f64::from(f(a)).sqrt() as f32).to_bits()),
        "v_div_fixup_f32" => k!(|a, b, c| super::alu::div_fixup(f(a), f(b), f(c)).to_bits()),
        "v_div_fmas_f32" => {
            fn run(s: Rows, vcc: u32, out: &mut [u32; 32]) {
                for (l, o) in out.iter_mut().enumerate() {
                    let lane = [s[0][l], s[1][l], s[2][l]].map(u64::from);
                    *o = super::alu::div_fmas32(&lane, vcc >> l & 1 == 1).0 as u32;
                }
            }
            Some(run as Kernel)
        }
        "v_cndmask_b32" => {
            fn run(s: Rows, mask: u32, out: &mut [u32; 32]) {
                for (l, o) in out.iter_mut().enumerate() {
                    *o = if mask >> l & 1 == 1 { s[1][l] } else { s[0][l] };
                }
            }
            Some(run as Kernel)
        }
        _ => None,
    }
}

macro_rules! c {
    (|$a:ident, $b:ident| $e:expr, $conv:expr) => {{
        fn run(s: Rows) -> u32 {
            let mut bits = 0;
            for l in 0..32 {
                let ($a, $b) = ($conv(s[0][l]), $conv(s[1][l]));
                bits |= u32::from($e) << l;
            }
            bits
        }
        Some(run as Compare)
    }};
}

/// The signed view of a lane's bits.
fn i(x: u32) -> i32 {
    x as i32
}

/// The unsigned view (the bits themselves).
fn u(x: u32) -> u32 {
    x
}

/// The compare kernel of `v_cmp_*` op `name`, for the 32-bit ones frequent enough.
pub fn compare(name: &str) -> Option<Compare> {
    use std::cmp::Ordering::{Greater, Less};
    match name {
        "v_cmp_lt_f32" => c!(|a, b| a < b, f),
        "v_cmp_eq_f32" => c!(|a, b| a == b, f),
        "v_cmp_le_f32" => c!(|a, b| a <= b, f),
        "v_cmp_gt_f32" => c!(|a, b| a > b, f),
        "v_cmp_ge_f32" => c!(|a, b| a >= b, f),
        "v_cmp_lg_f32" => c!(|a, b| matches!(a.partial_cmp(&b), Some(Less | Greater)), f),
        "v_cmp_o_f32" => c!(|a, b| !a.is_nan() && !b.is_nan(), f),
        "v_cmp_u_f32" => c!(|a, b| a.is_nan() || b.is_nan(), f),
        "v_cmp_neq_f32" => c!(|a, b| a != b, f),
        "v_cmp_nlt_f32" => c!(|a, b| a.partial_cmp(&b) != Some(Less), f),
        "v_cmp_ngt_f32" => c!(|a, b| a.partial_cmp(&b) != Some(Greater), f),
        "v_cmp_lt_i32" => c!(|a, b| a < b, i),
        "v_cmp_le_i32" => c!(|a, b| a <= b, i),
        "v_cmp_gt_i32" => c!(|a, b| a > b, i),
        "v_cmp_ge_i32" => c!(|a, b| a >= b, i),
        "v_cmp_eq_i32" | "v_cmp_eq_u32" => c!(|a, b| a == b, u),
        "v_cmp_ne_i32" | "v_cmp_ne_u32" => c!(|a, b| a != b, u),
        "v_cmp_lt_u32" => c!(|a, b| a < b, u),
        "v_cmp_le_u32" => c!(|a, b| a <= b, u),
        "v_cmp_gt_u32" => c!(|a, b| a > b, u),
        "v_cmp_ge_u32" => c!(|a, b| a >= b, u),
        _ => None,
    }
}

impl Wave {
    /// Reads a resolved scalar source if every strict check passes (`None`: they do
    /// not, and the generic path will say why).
    #[inline(always)]
    fn fast_sreg(&self, r: u8) -> Option<u32> {
        let r = usize::from(r);
        (self.s_written >> r & 1 == 1 && self.counters.sgpr_busy(r).is_none()).then(|| self.s[r])
    }

    #[inline(always)]
    fn fast_scalar_src(&self, s: Src) -> Option<u32> {
        match s {
            Src::None => Some(0),
            Src::Const(c) => Some(c),
            Src::Sreg(r) => self.fast_sreg(r),
            Src::Vgpr(_) => None,
        }
    }

    /// The fast path of a planned scalar ALU op; `false`: declined, nothing changed.
    pub(super) fn scalar_fast(&mut self, f: ScalarFn, a: Src, b: Src, dst: Option<u8>) -> bool {
        let (Some(x), Some(y)) = (self.fast_scalar_src(a), self.fast_scalar_src(b)) else {
            return false;
        };
        if let Some(d) = dst
            && self.counters.sgpr_busy(usize::from(d)).is_some()
        {
            return false;
        }
        let (r, scc) = f(u64::from(x), u64::from(y), false);
        if let Some(d) = dst.map(usize::from)
            && d != NULL
        {
            self.s[d] = r as u32;
            self.s_written |= 1u128 << d;
        }
        if let Some(c) = scc {
            self.set_scc(c);
        }
        true
    }

    /// The fast path of a planned VALU op; `false`: declined, nothing changed.
    /// `plan` is a `Fast::Valu` (anything else declines).
    pub(super) fn valu_fast(&mut self, plan: &Fast, pc: u32) -> bool {
        let Fast::Valu {
            kernel,
            ref src,
            mask,
            dst,
            trans,
            neg,
            abs,
        } = *plan
        else {
            return false;
        };
        let exec = self.exec();
        let cmask = match mask {
            Some(r) => match self.fast_sreg(r) {
                Some(m) => m,
                None => return false,
            },
            None => 0,
        };
        let d = usize::from(dst);
        if d >= self.vgprs || self.counters.vgpr_busy(d).is_some() {
            return false;
        }
        let Some(mut rows) = self.fast_rows(src, exec) else {
            return false;
        };
        // Filled only when a modifier is there: zeroing it for every op costs.
        let mut signed: [[u32; 32]; 3];
        if neg | abs != 0 {
            signed = [[0; 32]; 3];
            for (i, (row, out)) in rows.iter_mut().zip(signed.iter_mut()).enumerate() {
                let (clear, flip) = (abs >> i & 1, neg >> i & 1);
                if clear | flip != 0 {
                    let (keep, xor) = (!(u32::from(clear) << 31), u32::from(flip) << 31);
                    for (o, &x) in out.iter_mut().zip(row.iter()) {
                        *o = (x & keep) ^ xor;
                    }
                    *row = out;
                }
            }
        }
        let mut out = [0u32; 32];
        kernel(rows, cmask, &mut out);
        let row = &mut self.v[d * 32..d * 32 + 32];
        if exec == u32::MAX {
            row.copy_from_slice(&out);
        } else {
            for (l, (v, &o)) in row.iter_mut().zip(&out).enumerate() {
                if exec >> l & 1 == 1 {
                    *v = o;
                }
            }
        }
        self.v_written[d] |= exec;
        self.hazards.issued(trans, Some((d, 1)), pc);
        self.hazards.wmma_d = None;
        true
    }

    /// The fast path of a planned compare; `false`: declined, nothing changed.
    pub(super) fn compare_fast(
        &mut self,
        compare: Compare,
        src: &[Src; 3],
        dst: u8,
        pc: u32,
    ) -> bool {
        let exec = self.exec();
        let d = usize::from(dst);
        if self.counters.sgpr_busy(d).is_some() {
            return false;
        }
        let Some(rows) = self.fast_rows(src, exec) else {
            return false;
        };
        let bits = compare(rows) & exec;
        if d != NULL {
            self.s[d] = bits;
            self.s_written |= 1u128 << d;
        }
        self.hazards.issued(false, None, pc);
        self.hazards.wmma_d = None;
        true
    }

    /// Every lane of the sources, if every strict check on them passes: VGPR rows in
    /// place (no copy), constants and SGPRs spread into the wave's `spread` rows (kept
    /// between instructions so unused rows are not cleared each time).
    #[inline(always)]
    fn fast_rows(&mut self, src: &[Src; 3], exec: u32) -> Option<Rows<'_>> {
        for (i, s) in src.iter().enumerate() {
            match *s {
                Src::None | Src::Vgpr(_) => {}
                Src::Const(c) => self.spread[i] = [c; 32],
                Src::Sreg(r) => {
                    let v = self.fast_sreg(r)?;
                    self.spread[i] = [v; 32];
                }
            }
        }
        let this: &Self = self;
        let spread = &this.spread;
        let mut rows: Rows<'_> = [&spread[0], &spread[1], &spread[2]];
        for (row, s) in rows.iter_mut().zip(src) {
            if let Src::Vgpr(r) = *s {
                let r = usize::from(r);
                let ok = r < this.vgprs
                    && this.v_written[r] & exec == exec
                    && this.counters.vgpr_busy(r).is_none()
                    && this.hazards.trans_use(r).is_none();
                if !ok {
                    return None;
                }
                *row = this.v.get(r * 32..r * 32 + 32)?.try_into().ok()?;
            }
        }
        Some(rows)
    }
}

#[cfg(test)]
#[path = "fast_tests.rs"]
mod tests;
