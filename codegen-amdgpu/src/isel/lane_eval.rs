//! Test oracle: runs straight-line machine IR over virtual registers for one lane, with
//! each instruction's meaning written from the RDNA3 ISA manual (independently of the
//! selection code under test). Lane masks and carries are bit 0 of their SGPR.
//! Only the VALU operations the integer/conversion families emit are known; anything
//! else, and any read of a register nothing has written, fails the test.

use crate::isa::{FloatConst, Fmt, Inst, Mods, Operand, Ty};
use crate::mir::{MInst, Slot};
use std::collections::HashMap;

/// The value of every (virtual register, dword) written so far.
#[derive(Default)]
pub struct Lane {
    pub regs: HashMap<(u32, u8), u32>,
    /// Added to the bits of every `v_rcp_iflag_f32` result (its error, in ULPs).
    pub rcp_ulps: i32,
    /// SCC where the last scalar instruction that wrote it is modelled (None: unknown).
    pub scc: Option<bool>,
}

/// The 64-bit value of an f64 inline constant or an integer one.
fn inline64(c: Operand, ty: Ty) -> Option<u64> {
    let f = |k: FloatConst| -> f64 {
        match k {
            FloatConst::Half => 0.5,
            FloatConst::NegHalf => -0.5,
            FloatConst::One => 1.0,
            FloatConst::NegOne => -1.0,
            FloatConst::Two => 2.0,
            FloatConst::NegTwo => -2.0,
            FloatConst::Four => 4.0,
            FloatConst::NegFour => -4.0,
            FloatConst::InvTwoPi => 0.159_154_943_091_895_35,
        }
    };
    Some(match (c, ty) {
        (Operand::Int(n), Ty::F64) => (f64::from(n)).to_bits(),
        (Operand::Int(n), _) => i64::from(n) as u64,
        (Operand::Float(k), _) => f(k).to_bits(),
        _ => return None,
    })
}

fn const32(c: Operand) -> Option<u32> {
    Some(match c {
        Operand::Int(n) => n as i32 as u32,
        Operand::Float(k) => k.f32_bits(),
        Operand::Literal(v) => v,
        _ => return None,
    })
}

impl Lane {
    pub fn set(&mut self, reg: u32, offset: u8, v: u32) {
        self.regs.insert((reg, offset), v);
    }

    pub fn get(&self, reg: u32, offset: u8) -> u32 {
        match self.regs.get(&(reg, offset)) {
            Some(v) => *v,
            None => panic!("read of v{reg}+{offset} before any write"),
        }
    }

    /// Runs every instruction in order.
    pub fn run(&mut self, insts: &[MInst]) {
        for m in insts {
            match m {
                MInst::Inst { inst, regs, .. } => self.step(inst, regs),
                other => panic!("lane oracle: straight-line code only, got {other:?}"),
            }
        }
    }

    fn step(&mut self, inst: &Inst, regs: &[crate::mir::RegRef]) {
        let none = Operand::None;
        let (op, src, mods) = match *inst {
            Inst::Valu { op, src, mods, .. } => (op, src, mods),
            Inst::Sop1 { op, src0, .. } => (op, [src0, none, none], Mods::default()),
            Inst::Sop2 { op, src0, src1, .. } | Inst::Sopc { op, src0, src1 } => {
                (op, [src0, src1, none], Mods::default())
            }
            other => panic!("lane oracle: unexpected {other:?}"),
        };
        let info = op.info();
        let mut s = [0u64; 3];
        for i in 0..info.num_src() {
            let ty = info.src[i];
            let r = regs.iter().find(|r| r.slot == Slot::Src(i as u8));
            s[i] = match r {
                Some(r) => {
                    let lo = u64::from(self.get(r.reg.0, r.offset));
                    if ty.dwords() == 2 {
                        lo | u64::from(self.get(r.reg.0, r.offset + 1)) << 32
                    } else {
                        lo
                    }
                }
                None if ty.dwords() == 2 => inline64(src[i], ty).expect("64-bit constant"),
                None => u64::from(const32(src[i]).expect("32-bit constant")),
            };
            s[i] = apply_mods(s[i], ty, mods, i);
        }
        let dst = regs.iter().find(|r| r.slot == Slot::Dst);
        let old = dst.and_then(|r| self.regs.get(&(r.reg.0, r.offset)).copied());
        let scalar = matches!(info.fmt, Fmt::Sop1 | Fmt::Sop2 | Fmt::Sopc);
        let (mut d, carry) = if scalar && op.name() != "s_mov_b32" {
            let (d, scc) = eval_salu(op.name(), s, self.scc);
            self.scc = scc;
            (d, false)
        } else {
            eval(op.name(), s, old, self.rcp_ulps)
        };
        if info.fmt == Fmt::Vopc {
            d = u64::from(carry);
        }
        if let Some(r) = dst {
            self.set(r.reg.0, r.offset, d as u32);
            if info.dst.dwords() == 2 {
                self.set(r.reg.0, r.offset + 1, (d >> 32) as u32);
            }
        }
        if let Some(r) = regs.iter().find(|r| r.slot == Slot::Sdst) {
            self.set(r.reg.0, r.offset, u32::from(carry));
        }
    }
}

fn apply_mods(v: u64, ty: Ty, m: Mods, i: usize) -> u64 {
    let sign = match ty {
        Ty::F64 => 1u64 << 63,
        _ => 1u64 << 31,
    };
    let mut v = v;
    if m.abs >> i & 1 == 1 {
        v &= !sign;
    }
    if m.neg >> i & 1 == 1 {
        v ^= sign;
    }
    v
}

fn f32_(v: u64) -> f32 {
    f32::from_bits(v as u32)
}
fn f64_(v: u64) -> f64 {
    f64::from_bits(v)
}
fn b32(f: f32) -> u64 {
    u64::from(f.to_bits())
}
fn b64(f: f64) -> u64 {
    f.to_bits()
}

/// x·2^e, exact while the result is a normal number.
fn ldexp(x: f64, e: i32) -> f64 {
    let mut x = x;
    let mut e = e;
    while e > 0 {
        let k = e.min(1000);
        x *= 2f64.powi(k);
        e -= k;
    }
    while e < 0 {
        let k = (-e).min(1000);
        x *= 2f64.powi(-k);
        e += k;
    }
    x
}

/// One operation: (result bits, carry/compare bit).
fn eval(name: &str, s: [u64; 3], old: Option<u32>, rcp_ulps: i32) -> (u64, bool) {
    let (a, b, c) = (s[0] as u32, s[1] as u32, s[2] as u32);
    let r32 = |v: u32| (u64::from(v), false);
    let cmp = |v: bool| (0, v);
    match name {
        "v_mov_b32" | "s_mov_b32" | "v_readfirstlane_b32" => r32(a),
        "v_add_nc_u32" => r32(a.wrapping_add(b)),
        "v_sub_nc_u32" => r32(a.wrapping_sub(b)),
        "v_mul_u32_u24" => r32((a & 0xff_ffff).wrapping_mul(b & 0xff_ffff)),
        "v_mul_lo_u32" => r32(a.wrapping_mul(b)),
        "v_mul_hi_u32" => r32(((u64::from(a) * u64::from(b)) >> 32) as u32),
        "v_max_i32" => r32((a as i32).max(b as i32) as u32),
        "v_min_i32" => r32((a as i32).min(b as i32) as u32),
        "v_max_u32" => r32(a.max(b)),
        "v_min_u32" => r32(a.min(b)),
        "v_med3_i32" => {
            let mut v = [a as i32, b as i32, c as i32];
            v.sort();
            r32(v[1] as u32)
        }
        "v_and_b32" => r32(a & b),
        "v_or_b32" => r32(a | b),
        "v_xor_b32" => r32(a ^ b),
        "v_not_b32" => r32(!a),
        "v_and_or_b32" => r32((a & b) | c),
        "v_add3_u32" => r32(a.wrapping_add(b).wrapping_add(c)),
        "v_lshlrev_b32" => r32(b << (a & 31)),
        "v_lshrrev_b32" => r32(b >> (a & 31)),
        "v_ashrrev_i32" => r32(((b as i32) >> (a & 31)) as u32),
        "v_bfe_u32" => r32((a >> (b & 31)) & ((1u32 << (c & 31)) - 1)),
        "v_bfe_i32" => {
            let w = c & 31;
            let x = (a >> (b & 31)) << (32 - w).min(31);
            r32(if w == 0 {
                0
            } else {
                ((x as i32) >> (32 - w).min(31)) as u32
            })
        }
        "v_clz_i32_u32" => r32(if a == 0 { u32::MAX } else { a.leading_zeros() }),
        "v_cndmask_b32" => r32(if c & 1 == 1 { b } else { a }),
        "v_cmp_lt_i32" => cmp((a as i32) < (b as i32)),
        "v_cmp_lt_u32" => cmp(a < b),
        "v_cmp_eq_u32" => cmp(a == b),
        "v_cmp_ne_u32" => cmp(a != b),
        "v_cmp_ge_u32" => cmp(a >= b),
        "v_cmp_lt_i64" => cmp((s[0] as i64) < (s[1] as i64)),
        "v_cmp_lt_u64" => cmp(s[0] < s[1]),
        "v_cmp_eq_u64" => cmp(s[0] == s[1]),
        "v_cmp_ne_u64" => cmp(s[0] != s[1]),
        "v_cmp_ge_u64" => cmp(s[0] >= s[1]),
        "v_cmp_lg_f64" => cmp(f64_(s[0]) < f64_(s[1]) || f64_(s[0]) > f64_(s[1])),
        "v_cmp_gt_f64" => cmp(f64_(s[0]) > f64_(s[1])),
        "v_cmp_ge_f64" => cmp(f64_(s[0]) >= f64_(s[1])),
        "v_cmp_lt_f64" => cmp(f64_(s[0]) < f64_(s[1])),
        "v_cmp_u_f32" => cmp(f32_(s[0]).is_nan() || f32_(s[1]).is_nan()),
        "v_add_co_u32" => {
            let t = u64::from(a) + u64::from(b);
            (t & 0xffff_ffff, t >> 32 != 0)
        }
        "v_add_co_ci_u32" => {
            let t = u64::from(a) + u64::from(b) + u64::from(c & 1);
            (t & 0xffff_ffff, t >> 32 != 0)
        }
        "v_sub_co_u32" => (u64::from(a.wrapping_sub(b)), b > a),
        "v_sub_co_ci_u32" => {
            let t = i64::from(a) - i64::from(b) - i64::from(c & 1);
            (t as u64 & 0xffff_ffff, t < 0)
        }
        "v_mad_u64_u32" => {
            let t = u128::from(a) * u128::from(b) + u128::from(s[2]);
            (t as u64, t >> 64 != 0)
        }
        "v_lshlrev_b64" => (s[1] << (a & 63), false),
        "v_lshrrev_b64" => (s[1] >> (a & 63), false),
        "v_ashrrev_i64" => (((s[1] as i64) >> (a & 63)) as u64, false),
        "v_cvt_f32_u32" => (b32(a as f32), false),
        "v_cvt_f32_i32" => (b32(a as i32 as f32), false),
        "v_cvt_u32_f32" => r32(f32_(s[0]) as u32),
        "v_cvt_i32_f32" => r32(f32_(s[0]) as i32 as u32),
        "v_cvt_f64_u32" => (b64(f64::from(a)), false),
        "v_cvt_f64_i32" => (b64(f64::from(a as i32)), false),
        "v_cvt_u32_f64" => r32(f64_(s[0]) as u32),
        "v_cvt_i32_f64" => r32(f64_(s[0]) as i32 as u32),
        "v_cvt_f32_f64" => (b32(f64_(s[0]) as f32), false),
        "v_cvt_f64_f32" => (b64(f64::from(f32_(s[0]))), false),
        "v_cvt_f32_f16" => (b32(half::f16::from_bits(a as u16).to_f32()), false),
        // The upper 16 bits keep what the register held (garbage when fresh).
        "v_cvt_f16_f32" => {
            let h = u32::from(half::f16::from_f32(f32_(s[0])).to_bits());
            r32((old.unwrap_or(0xdead_0000) & 0xffff_0000) | h)
        }
        "v_rcp_iflag_f32" => {
            let r = 1.0 / f32_(s[0]);
            (u64::from(r.to_bits().wrapping_add_signed(rcp_ulps)), false)
        }
        "v_mul_f32" => (b32(f32_(s[0]) * f32_(s[1])), false),
        "v_fma_f32" => (b32(f32_(s[0]).mul_add(f32_(s[1]), f32_(s[2]))), false),
        "v_trunc_f32" => (b32(f32_(s[0]).trunc()), false),
        "v_trunc_f64" => (b64(f64_(s[0]).trunc()), false),
        "v_add_f64" => (b64(f64_(s[0]) + f64_(s[1])), false),
        "v_ldexp_f64" => (b64(ldexp(f64_(s[0]), a_i32(s[1]))), false),
        other => panic!("lane oracle: {other} not modelled"),
    }
}

/// One scalar ALU operation: (result bits, SCC after it). SCC is modelled only where
/// the code under test reads it (carries, compares); elsewhere it becomes unknown.
fn eval_salu(name: &str, s: [u64; 3], scc: Option<bool>) -> (u64, Option<bool>) {
    let (a, b) = (s[0] as u32, s[1] as u32);
    let cin = || u32::from(scc.expect("SCC read while unknown"));
    let keep = |v: u32| (u64::from(v), scc);
    let unknown = |v: u64| (v, None);
    match name {
        "s_add_u32" => {
            let t = u64::from(a) + u64::from(b);
            (t & 0xffff_ffff, Some(t >> 32 != 0))
        }
        "s_addc_u32" => {
            let t = u64::from(a) + u64::from(b) + u64::from(cin());
            (t & 0xffff_ffff, Some(t >> 32 != 0))
        }
        "s_sub_u32" => (u64::from(a.wrapping_sub(b)), Some(b > a)),
        "s_subb_u32" => {
            let t = i64::from(a) - i64::from(b) - i64::from(cin());
            (t as u64 & 0xffff_ffff, Some(t < 0))
        }
        "s_mul_i32" => keep(a.wrapping_mul(b)),
        "s_mul_hi_u32" => keep(((u64::from(a) * u64::from(b)) >> 32) as u32),
        "s_cselect_b32" => keep(if cin() == 1 { a } else { b }),
        "s_cmp_lt_i32" => (0, Some((a as i32) < (b as i32))),
        "s_cmp_lt_u32" => (0, Some(a < b)),
        "s_cmp_eq_u32" => (0, Some(a == b)),
        "s_cmp_lg_u32" => (0, Some(a != b)),
        "s_cmp_eq_u64" => (0, Some(s[0] == s[1])),
        "s_cmp_lg_u64" => (0, Some(s[0] != s[1])),
        "s_max_i32" => unknown(u64::from((a as i32).max(b as i32) as u32)),
        "s_min_i32" => unknown(u64::from((a as i32).min(b as i32) as u32)),
        "s_max_u32" => unknown(u64::from(a.max(b))),
        "s_min_u32" => unknown(u64::from(a.min(b))),
        "s_and_b32" => unknown(u64::from(a & b)),
        "s_or_b32" => unknown(u64::from(a | b)),
        "s_xor_b32" => unknown(u64::from(a ^ b)),
        "s_not_b32" => unknown(u64::from(!a)),
        "s_and_b64" => unknown(s[0] & s[1]),
        "s_or_b64" => unknown(s[0] | s[1]),
        "s_xor_b64" => unknown(s[0] ^ s[1]),
        "s_lshl_b32" => unknown(u64::from(a << (b & 31))),
        "s_lshr_b32" => unknown(u64::from(a >> (b & 31))),
        "s_ashr_i32" => unknown(u64::from(((a as i32) >> (b & 31)) as u32)),
        "s_lshl_b64" => unknown(s[0] << (b & 63)),
        "s_lshr_b64" => unknown(s[0] >> (b & 63)),
        "s_ashr_i64" => unknown(((s[0] as i64) >> (b & 63)) as u64),
        "s_sext_i32_i8" => keep(a as u8 as i8 as i32 as u32),
        "s_sext_i32_i16" => keep(a as u16 as i16 as i32 as u32),
        other => panic!("lane oracle: {other} not modelled"),
    }
}

fn a_i32(v: u64) -> i32 {
    v as u32 as i32
}

// ---- harness: operands in, selected code run, result compared with the IR's meaning ----

use super::{Piece, Sel};
use crate::mir::{Mir, RegClass};
use egpu_ir::kernel::{Expr, KernelBuilder, Launch, ValueId, evaluate_constant};
use egpu_ir::{DType, Scalar, Target};

/// A scalar's registers under the value-representation contract (see `isel`): 8/16-bit
/// integers extended to 32 bits, f16/bf16 bits zero-extended, 64-bit as two dwords, bool
/// as bit 0 of a mask.
pub fn encode(dt: DType, s: Scalar) -> Vec<u32> {
    match (dt, s) {
        (DType::Bool, s) => vec![u32::from(s.to_bits(dt) != 0)],
        (_, Scalar::Int(v)) if dt.bits() <= 32 => {
            vec![egpu_ir::wrap_int(v, dt) as u32]
        }
        _ => {
            let b = s.to_bits(dt);
            if dt.bits() == 64 {
                vec![b as u32, (b >> 32) as u32]
            } else {
                vec![b as u32]
            }
        }
    }
}

/// What the kernel-IR interpreter computes for the expression `build` makes from
/// constants (`evaluate_constant` runs the interpreter's own per-element functions).
pub fn oracle(build: impl FnOnce(&mut KernelBuilder) -> ValueId) -> Option<Scalar> {
    let mut kb = KernelBuilder::new("oracle", Launch::linear(1, 32), 32);
    let id = build(&mut kb);
    let k = kb.kernel();
    if let Some(c) = k.constant(id) {
        return Some(c);
    }
    let v = k.value(id)?;
    match v.expr {
        Expr::Const(s) => Some(s),
        _ => evaluate_constant(k, &v.expr, v.ty),
    }
}

/// A kernel for `Sel::new` (the families under test never look at it).
pub fn dummy_kernel() -> egpu_ir::kernel::Kernel {
    let kb = KernelBuilder::new("isel_int_test", Launch::linear(1, 32), 32);
    kb.kernel().clone()
}

pub fn target() -> &'static Target {
    &Target::GFX1100
}

/// A new operand piece holding `s` (VGPRs, or SGPRs when `sgpr`; bool is always a mask).
pub fn operand(sel: &mut Sel, lane: &mut Lane, dt: DType, s: Scalar, sgpr: bool) -> Piece {
    let words = encode(dt, s);
    let class = if sgpr || dt == DType::Bool {
        RegClass::S
    } else {
        RegClass::V
    };
    let p = sel.new_piece(class, words.len() as u8);
    for (i, w) in words.iter().enumerate() {
        lane.set(p.reg.0, p.offset + i as u8, *w);
    }
    p
}

/// The result piece's words, checked against the expected scalar of `dt`; `what` names
/// the case in the failure message.
pub fn check_result(lane: &Lane, dt: DType, p: Piece, want: Scalar, what: &str) {
    let want_w = encode(dt, want);
    let got: Vec<u32> = (0..want_w.len() as u8)
        .map(|i| lane.get(p.reg.0, p.offset + i))
        .collect();
    let ok = match (dt, want) {
        (DType::Bool, _) => (got[0] & 1) == want_w[0],
        (_, Scalar::Float(f)) if f.is_nan() => is_nan_bits(dt, &got),
        _ => got == want_w,
    };
    assert!(ok, "{what}: got {got:08x?}, want {want_w:08x?} ({want})");
}

fn is_nan_bits(dt: DType, w: &[u32]) -> bool {
    match dt {
        DType::F16 => w[0] >> 16 == 0 && (w[0] & 0x7c00) == 0x7c00 && (w[0] & 0x3ff) != 0,
        DType::BF16 => w[0] >> 16 == 0 && (w[0] & 0x7f80) == 0x7f80 && (w[0] & 0x7f) != 0,
        DType::F32 => f32::from_bits(w[0]).is_nan(),
        _ => f64::from_bits(u64::from(w[0]) | u64::from(w[1]) << 32).is_nan(),
    }
}

/// Every selected instruction with distinct registers in place of the placeholders
/// passes the encoder's operand rules.
pub fn check_encodable(mir: &Mir) {
    for m in &mir.insts {
        let MInst::Inst { inst, regs, .. } = m else {
            continue;
        };
        let mut inst = *inst;
        for r in regs {
            let class = mir.info(r.reg).class;
            // Even numbers: SGPR pairs must start at an even register.
            let n = (r.reg.0 * 2 + u32::from(r.offset)) as u8;
            let reg = match class {
                RegClass::S => Operand::Sgpr(n % 100),
                RegClass::V => Operand::Vgpr(n),
            };
            match (&mut inst, r.slot) {
                (Inst::Valu { vdst, .. }, Slot::Dst) => *vdst = reg,
                (Inst::Valu { sdst, .. }, Slot::Sdst) => *sdst = reg,
                (Inst::Valu { src, .. }, Slot::Src(i)) => src[usize::from(i)] = reg,
                (Inst::Sop1 { sdst, .. } | Inst::Sop2 { sdst, .. }, Slot::Dst) => *sdst = reg,
                (Inst::Sop1 { src0, .. }, Slot::Src(0)) => *src0 = reg,
                (Inst::Sop2 { src0, .. } | Inst::Sopc { src0, .. }, Slot::Src(0)) => *src0 = reg,
                (Inst::Sop2 { src1, .. } | Inst::Sopc { src1, .. }, Slot::Src(1)) => *src1 = reg,
                _ => {}
            }
        }
        if let Err(e) = crate::isa::encode(&inst) {
            panic!("{inst:?} has no encoding: {e}");
        }
    }
}

/// The opcode names selected, in order.
pub fn names(mir: &Mir) -> Vec<&'static str> {
    mir.insts
        .iter()
        .filter_map(|m| match m {
            MInst::Inst { inst, .. } => Some(inst.op().name()),
            _ => None,
        })
        .collect()
}

/// A small deterministic generator (xorshift) for random operands.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// A value of random bit length (so small and large magnitudes both occur).
    pub fn bits(&mut self) -> u64 {
        let n = self.next() % 65;
        let v = self.next();
        if n == 64 { v } else { v & ((1u64 << n) - 1) }
    }
}

/// Integer edge values of `dt` (already in range) plus `extra` random ones.
pub fn int_values(dt: DType, rng: &mut Rng, extra: usize) -> Vec<i128> {
    let (lo, hi) = dt.int_range().unwrap_or((0, 1));
    let mut v: Vec<i128> = vec![
        0,
        1,
        2,
        3,
        7,
        10,
        lo,
        hi,
        lo + 1,
        hi - 1,
        hi / 2,
        hi / 2 + 1,
    ];
    if lo < 0 {
        v.extend([-1, -2, -3, -7, -10]);
    }
    for _ in 0..extra {
        v.push(egpu_ir::wrap_int(i128::from(rng.bits()), dt));
    }
    v.into_iter().map(|x| x.clamp(lo, hi)).collect()
}

pub fn new_sel(kernel: &egpu_ir::kernel::Kernel) -> Sel<'_> {
    Sel::new(kernel, target())
}
