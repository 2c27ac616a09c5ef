//! What each ALU opcode computes, by mnemonic: one match arm per opcode. The loader looks
//! each instruction's mnemonic up here once, so execution calls a plain function pointer.
//!
//! Scalar ops take their sources zero-extended to 64 bits plus SCC and return the result
//! and the new SCC (`None`: SCC unchanged). Vector ops take one lane's sources (a 16/32-bit
//! operand in the low bits, a 64-bit one whole, after neg/abs modifiers) and the lane's
//! carry/condition bit, and return the result and the lane's output bit (carry out or
//! compare result). Float semantics: IEEE with denormals kept (the descriptors we and
//! clang write ask for that); transcendental ops are computed in f64 and rounded once,
//! far inside the AMD bounds of the precision model (docs/kir.md).

use half::f16;
use std::cmp::Ordering::{Greater, Less};

pub type ScalarFn = fn(u64, u64, bool) -> (u64, Option<bool>);

/// One VALU instruction's operands for all 32 lanes: each lane's sources (after
/// modifiers) and carry/condition bit in, its result and output bit out.
#[derive(Clone, Debug)]
pub struct Lanes {
    pub src: [[u64; 32]; 3],
    pub cin: u32,
    pub exec: u32,
    pub out: [u64; 32],
    pub bits: u32,
}

/// A vector op over the active lanes of [`Lanes`]. Each op is written per lane (below);
/// `lanes!` turns that into a function with the lane loop inside, so the per-lane code
/// is inlined rather than called through a pointer 32 times.
pub type VectorFn = fn(&mut Lanes);

/// The lane loop every vector op runs.
#[inline(always)]
pub fn run_lanes(l: &mut Lanes, f: impl Fn(&[u64; 3], bool) -> (u64, bool)) {
    let mut bits = 0;
    if l.exec == u32::MAX {
        // Every lane: a counted loop the compiler can unroll or vectorize.
        for i in 0..32 {
            let (r, b) = f(
                &[l.src[0][i], l.src[1][i], l.src[2][i]],
                l.cin >> i & 1 == 1,
            );
            l.out[i] = r;
            bits |= u32::from(b) << i;
        }
        l.bits = bits;
        return;
    }
    let mut m = l.exec;
    while m != 0 {
        let i = m.trailing_zeros() as usize;
        m &= m - 1;
        let (r, b) = f(
            &[l.src[0][i], l.src[1][i], l.src[2][i]],
            l.cin >> i & 1 == 1,
        );
        l.out[i] = r;
        bits |= u32::from(b) << i;
    }
    l.bits = bits;
}

macro_rules! lanes {
    ($f:expr) => {{
        fn w(l: &mut Lanes) {
            run_lanes(l, $f)
        }
        Some(w as VectorFn)
    }};
}

fn lo(x: u64) -> u32 {
    x as u32
}
fn f(x: u64) -> f32 {
    f32::from_bits(x as u32)
}
fn h(x: u64) -> f32 {
    f16::from_bits(x as u16).to_f32()
}
fn d(x: u64) -> f64 {
    f64::from_bits(x)
}
fn rf(x: f32) -> u64 {
    u64::from(x.to_bits())
}
fn rd(x: f64) -> u64 {
    x.to_bits()
}
fn nz(r: u64) -> (u64, Option<bool>) {
    (r, Some(r != 0))
}
fn b(x: bool) -> u64 {
    u64::from(x)
}

macro_rules! s2 {
    (|$a:ident, $b:ident| $e:expr) => {
        Some(|x: u64, y: u64, _scc: bool| {
            let ($a, $b) = (lo(x), lo(y));
            $e
        })
    };
}
macro_rules! cmp {
    (|$a:ident, $b:ident| $e:expr) => {
        Some(|x: u64, y: u64, _scc: bool| {
            let ($a, $b) = (x, y);
            (0, Some($e))
        })
    };
}

/// The scalar operation `name` computes (SOP1, SOP2, SOPC and SOPK; for SOPK the first
/// source is the destination's old value and the second the 16-bit immediate).
pub fn scalar(name: &str) -> Option<ScalarFn> {
    match name {
        "s_add_u32" => s2!(|a, b| {
            let (r, c) = a.overflowing_add(b);
            (u64::from(r), Some(c))
        }),
        "s_sub_u32" => s2!(|a, b| {
            let (r, c) = a.overflowing_sub(b);
            (u64::from(r), Some(c))
        }),
        "s_add_i32" => s2!(|a, b| {
            let (r, o) = (a as i32).overflowing_add(b as i32);
            (u64::from(r as u32), Some(o))
        }),
        "s_sub_i32" => s2!(|a, b| {
            let (r, o) = (a as i32).overflowing_sub(b as i32);
            (u64::from(r as u32), Some(o))
        }),
        "s_addc_u32" => Some(|x, y, scc| {
            let r = x + y + b(scc);
            (r & 0xffff_ffff, Some(r >> 32 != 0))
        }),
        "s_subb_u32" => Some(|x, y, scc| {
            let r = x.wrapping_sub(y).wrapping_sub(b(scc));
            (r & 0xffff_ffff, Some(y + b(scc) > x))
        }),
        "s_min_i32" => s2!(|a, b| {
            let lt = (a as i32) < (b as i32);
            (u64::from(if lt { a } else { b }), Some(lt))
        }),
        "s_min_u32" => s2!(|a, b| (u64::from(a.min(b)), Some(a < b))),
        "s_max_i32" => s2!(|a, b| {
            let gt = (a as i32) > (b as i32);
            (u64::from(if gt { a } else { b }), Some(gt))
        }),
        "s_max_u32" => s2!(|a, b| (u64::from(a.max(b)), Some(a > b))),
        "s_cselect_b32" | "s_cselect_b64" => Some(|x, y, scc| (if scc { x } else { y }, None)),
        "s_and_b32" | "s_and_b64" => Some(|x, y, _| nz(x & y)),
        "s_or_b32" | "s_or_b64" => Some(|x, y, _| nz(x | y)),
        "s_xor_b32" | "s_xor_b64" => Some(|x, y, _| nz(x ^ y)),
        "s_and_not1_b32" => Some(|x, y, _| nz(x & !y & 0xffff_ffff)),
        "s_or_not1_b32" => Some(|x, y, _| nz((x | !y) & 0xffff_ffff)),
        "s_lshl_b32" => s2!(|a, b| nz(u64::from(a << (b & 31)))),
        "s_lshl_b64" => Some(|x, y, _| nz(x << (y & 63))),
        "s_lshr_b32" => s2!(|a, b| nz(u64::from(a >> (b & 31)))),
        "s_lshr_b64" => Some(|x, y, _| nz(x >> (y & 63))),
        "s_ashr_i32" => s2!(|a, b| nz(u64::from(((a as i32) >> (b & 31)) as u32))),
        "s_ashr_i64" => Some(|x, y, _| nz(((x as i64) >> (y & 63)) as u64)),
        "s_mul_i32" => s2!(|a, b| (u64::from(a.wrapping_mul(b)), None)),
        "s_mul_hi_u32" => s2!(|a, b| ((u64::from(a) * u64::from(b)) >> 32, None)),
        "s_mul_hi_i32" => s2!(|a, b| {
            let p = i64::from(a as i32) * i64::from(b as i32);
            (u64::from((p >> 32) as u32), None)
        }),
        "s_bfe_u32" => s2!(|a, b| nz(u64::from(bfe_u(a, b & 31, (b >> 16) & 0x7f)))),
        "s_bfe_i32" => s2!(|a, b| nz(u64::from(bfe_i(a, b & 31, (b >> 16) & 0x7f)))),
        "s_lshl1_add_u32" => Some(|x, y, _| lshl_add(x, y, 1)),
        "s_lshl2_add_u32" => Some(|x, y, _| lshl_add(x, y, 2)),
        "s_lshl3_add_u32" => Some(|x, y, _| lshl_add(x, y, 3)),
        "s_lshl4_add_u32" => Some(|x, y, _| lshl_add(x, y, 4)),
        "s_pack_ll_b32_b16" => s2!(|a, b| (u64::from((a & 0xffff) | (b << 16)), None)),
        "s_mov_b32" | "s_mov_b64" => Some(|x, _, _| (x, None)),
        "s_cmov_b32" => Some(|x, old, scc| (if scc { x } else { old }, None)),
        "s_not_b32" => s2!(|a, _b| nz(u64::from(!a))),
        "s_brev_b32" => s2!(|a, _b| (u64::from(a.reverse_bits()), None)),
        "s_ctz_i32_b32" => s2!(|a, _b| (u64::from(find_bit(a, a.trailing_zeros())), None)),
        "s_clz_i32_u32" => s2!(|a, _b| (u64::from(find_bit(a, a.leading_zeros())), None)),
        "s_bcnt1_i32_b32" => s2!(|a, _b| nz(u64::from(a.count_ones()))),
        "s_sext_i32_i8" => s2!(|a, _b| (u64::from(a as i8 as i32 as u32), None)),
        "s_sext_i32_i16" => s2!(|a, _b| (u64::from(a as i16 as i32 as u32), None)),
        "s_abs_i32" => s2!(|a, _b| nz(u64::from((a as i32).wrapping_abs() as u32))),
        "s_cmp_eq_i32" | "s_cmp_eq_u32" | "s_cmp_eq_u64" => cmp!(|a, b| a == b),
        "s_cmp_lg_i32" | "s_cmp_lg_u32" | "s_cmp_lg_u64" => cmp!(|a, b| a != b),
        "s_cmp_gt_i32" => cmp!(|a, b| (a as i32) > (b as i32)),
        "s_cmp_ge_i32" => cmp!(|a, b| (a as i32) >= (b as i32)),
        "s_cmp_lt_i32" => cmp!(|a, b| (a as i32) < (b as i32)),
        "s_cmp_le_i32" => cmp!(|a, b| (a as i32) <= (b as i32)),
        "s_cmp_gt_u32" => cmp!(|a, b| a > b),
        "s_cmp_ge_u32" => cmp!(|a, b| a >= b),
        "s_cmp_lt_u32" => cmp!(|a, b| a < b),
        "s_cmp_le_u32" => cmp!(|a, b| a <= b),
        "s_bitcmp0_b32" => cmp!(|a, b| (a >> (b & 31)) & 1 == 0),
        "s_bitcmp1_b32" => cmp!(|a, b| (a >> (b & 31)) & 1 == 1),
        // SOPK: (old destination, immediate).
        "s_movk_i32" => Some(|_, k, _| (sext16(k), None)),
        "s_cmovk_i32" => Some(|old, k, scc| (if scc { sext16(k) } else { old }, None)),
        "s_cmpk_eq_u32" => Some(|old, k, _| (old, Some(old == k))),
        "s_cmpk_lg_i32" => Some(|old, k, _| (old, Some(old != sext16(k)))),
        "s_addk_i32" => Some(|old, k, _| {
            let (r, o) = (old as i32).overflowing_add(sext16(k) as i32);
            (u64::from(r as u32), Some(o))
        }),
        "s_mulk_i32" => {
            Some(|old, k, _| (u64::from((old as u32).wrapping_mul(sext16(k) as u32)), None))
        }
        _ => None,
    }
}

fn sext16(k: u64) -> u64 {
    u64::from(k as u16 as i16 as i32 as u32)
}

/// Bit position from the scan, or -1 when no bit is set.
fn find_bit(a: u32, n: u32) -> u32 {
    if a == 0 { u32::MAX } else { n }
}

fn lshl_add(x: u64, y: u64, n: u32) -> (u64, Option<bool>) {
    let r = ((x & 0xffff_ffff) << n) + (y & 0xffff_ffff);
    (r & 0xffff_ffff, Some(r >> 32 != 0))
}

fn bfe_u(a: u32, off: u32, width: u32) -> u32 {
    if width == 0 {
        return 0;
    }
    let v = (u64::from(a) >> off) & ((1u64 << width.min(32)) - 1);
    v as u32
}

fn bfe_i(a: u32, off: u32, width: u32) -> u32 {
    if width == 0 {
        return 0;
    }
    let w = width.min(32);
    let v = bfe_u(a, off, w);
    let shift = 32 - w;
    (((v << shift) as i32) >> shift) as u32
}

macro_rules! v {
    (|$s:ident, $c:ident| $e:expr) => {
        lanes!(|$s: &[u64; 3], $c: bool| $e)
    };
}
/// 32-bit integer op of up to three sources.
macro_rules! u {
    (|$a:ident, $b:ident, $c:ident| $e:expr) => {
        lanes!(|s: &[u64; 3], _cin: bool| {
            let ($a, $b, $c) = (lo(s[0]), lo(s[1]), lo(s[2]));
            (u64::from($e), false)
        })
    };
}
/// f32 op of up to three sources.
macro_rules! fl {
    (|$a:ident, $b:ident, $c:ident| $e:expr) => {
        lanes!(|s: &[u64; 3], _cin: bool| {
            let ($a, $b, $c) = (f(s[0]), f(s[1]), f(s[2]));
            (rf($e), false)
        })
    };
}
/// f16 op of up to three sources, computed in f64 and rounded once (exact for
/// add/sub/mul: an f64 holds the exact result of f16 operands).
macro_rules! hl {
    (|$a:ident, $b:ident, $c:ident| $e:expr) => {
        lanes!(|s: &[u64; 3], _cin: bool| {
            let ($a, $b, $c) = (d16(s[0]), d16(s[1]), d16(s[2]));
            (rd16($e), false)
        })
    };
}
/// f64 op.
macro_rules! dl {
    (|$a:ident, $b:ident, $c:ident| $e:expr) => {
        lanes!(|s: &[u64; 3], _cin: bool| {
            let ($a, $b, $c) = (d(s[0]), d(s[1]), d(s[2]));
            (rd($e), false)
        })
    };
}
/// Compare: the result is the lane's bit.
macro_rules! vc {
    (|$a:ident, $b:ident| $e:expr, $conv:ident) => {
        lanes!(|s: &[u64; 3], _cin: bool| {
            let ($a, $b) = ($conv(s[0]), $conv(s[1]));
            (0, $e)
        })
    };
}

fn i(x: u64) -> i32 {
    x as u32 as i32
}
fn q(x: u64) -> u64 {
    x
}
fn qi(x: u64) -> i64 {
    x as i64
}

/// The vector operation `name` computes, per lane.
pub fn vector(name: &str) -> Option<VectorFn> {
    match name {
        "v_mov_b32" => u!(|a, _b, _c| a),
        "v_cvt_f32_i32" => v!(|s, _c| (rf(i(s[0]) as f32), false)),
        "v_cvt_f32_u32" => v!(|s, _c| (rf(lo(s[0]) as f32), false)),
        "v_cvt_u32_f32" => v!(|s, _c| (u64::from(f(s[0]) as u32), false)),
        "v_cvt_i32_f32" => v!(|s, _c| (u64::from(f(s[0]) as i32 as u32), false)),
        "v_cvt_f16_f32" => v!(|s, _c| (u64::from(f16::from_f32(f(s[0])).to_bits()), false)),
        "v_cvt_f32_f16" => v!(|s, _c| (rf(h(s[0])), false)),
        "v_cvt_f64_f32" => v!(|s, _c| (rd(f64::from(f(s[0]))), false)),
        "v_cvt_f32_f64" => v!(|s, _c| (rf(d(s[0]) as f32), false)),
        "v_cvt_f64_i32" => v!(|s, _c| (rd(f64::from(i(s[0]))), false)),
        "v_cvt_i32_f64" => v!(|s, _c| (u64::from(d(s[0]) as i32 as u32), false)),
        "v_cvt_f64_u32" => v!(|s, _c| (rd(f64::from(lo(s[0]))), false)),
        "v_cvt_u32_f64" => v!(|s, _c| (u64::from(d(s[0]) as u32), false)),
        "v_cvt_f32_ubyte0" => v!(|s, _c| (rf((s[0] & 0xff) as f32), false)),
        "v_cvt_f16_u16" => v!(|s, _c| (rd16(f64::from(s[0] as u16)), false)),
        "v_cvt_f16_i16" => v!(|s, _c| (rd16(f64::from(s[0] as u16 as i16)), false)),
        "v_cvt_u16_f16" => v!(|s, _c| (u64::from(h(s[0]) as u16), false)),
        "v_cvt_i16_f16" => v!(|s, _c| (u64::from(h(s[0]) as i16 as u16), false)),
        "v_fract_f32" => fl!(|a, _b, _c| fract(a)),
        "v_trunc_f32" => fl!(|a, _b, _c| a.trunc()),
        "v_ceil_f32" => fl!(|a, _b, _c| a.ceil()),
        "v_rndne_f32" => fl!(|a, _b, _c| a.round_ties_even()),
        "v_floor_f32" => fl!(|a, _b, _c| a.floor()),
        "v_exp_f32" => fl!(|a, _b, _c| f64::from(a).exp2() as f32),
        "v_log_f32" => fl!(|a, _b, _c| f64::from(a).log2() as f32),
        "v_rcp_f32" | "v_rcp_iflag_f32" => fl!(|a, _b, _c| (1.0 / f64::from(a)) as f32),
        "v_rsq_f32" => fl!(|a, _b, _c| (1.0 / f64::from(a).sqrt()) as f32),
        "v_sqrt_f32" => fl!(|a, _b, _c| f64::from(a).sqrt() as f32),
        "v_sin_f32" => fl!(|a, _b, _c| turns(f64::from(a)).sin() as f32),
        "v_cos_f32" => fl!(|a, _b, _c| turns(f64::from(a)).cos() as f32),
        "v_not_b32" => u!(|a, _b, _c| !a),
        "v_bfrev_b32" => u!(|a, _b, _c| a.reverse_bits()),
        "v_clz_i32_u32" => u!(|a, _b, _c| find_bit(a, a.leading_zeros())),
        "v_ctz_i32_b32" => u!(|a, _b, _c| find_bit(a, a.trailing_zeros())),
        "v_rcp_f64" => dl!(|a, _b, _c| 1.0 / a),
        "v_trunc_f64" => dl!(|a, _b, _c| a.trunc()),
        "v_rsq_f64" => dl!(|a, _b, _c| 1.0 / a.sqrt()),
        "v_sqrt_f64" => dl!(|a, _b, _c| a.sqrt()),
        "v_exp_f16" => hl!(|a, _b, _c| a.exp2()),
        "v_log_f16" => hl!(|a, _b, _c| a.log2()),
        "v_rcp_f16" => hl!(|a, _b, _c| 1.0 / a),
        "v_sqrt_f16" => hl!(|a, _b, _c| a.sqrt()),
        "v_rsq_f16" => hl!(|a, _b, _c| 1.0 / a.sqrt()),
        "v_sin_f16" => hl!(|a, _b, _c| turns(a).sin()),
        "v_cos_f16" => hl!(|a, _b, _c| turns(a).cos()),
        "v_floor_f16" => hl!(|a, _b, _c| a.floor()),
        // VOP2. v_cndmask: the lane's condition bit picks src1.
        "v_cndmask_b32" => v!(|s, c| (if c { s[1] } else { s[0] } & 0xffff_ffff, false)),
        "v_add_f32" => fl!(|a, b, _c| a + b),
        "v_sub_f32" => fl!(|a, b, _c| a - b),
        "v_subrev_f32" => fl!(|a, b, _c| b - a),
        "v_mul_f32" => fl!(|a, b, _c| a * b),
        "v_min_f32" => fl!(|a, b, _c| ieee_min(a, b)),
        "v_max_f32" => fl!(|a, b, _c| ieee_max(a, b)),
        "v_mul_i32_i24" => u!(|a, b, _c| (sext24(a).wrapping_mul(sext24(b))) as u32),
        "v_mul_u32_u24" => u!(|a, b, _c| (a & 0xff_ffff).wrapping_mul(b & 0xff_ffff)),
        "v_min_i32" => u!(|a, b, _c| (a as i32).min(b as i32) as u32),
        "v_max_i32" => u!(|a, b, _c| (a as i32).max(b as i32) as u32),
        "v_min_u32" => u!(|a, b, _c| a.min(b)),
        "v_max_u32" => u!(|a, b, _c| a.max(b)),
        "v_lshrrev_b32" => u!(|a, b, _c| b >> (a & 31)),
        "v_ashrrev_i32" => u!(|a, b, _c| ((b as i32) >> (a & 31)) as u32),
        "v_lshlrev_b32" => u!(|a, b, _c| b << (a & 31)),
        "v_and_b32" => u!(|a, b, _c| a & b),
        "v_or_b32" => u!(|a, b, _c| a | b),
        "v_xor_b32" => u!(|a, b, _c| a ^ b),
        "v_xnor_b32" => u!(|a, b, _c| !(a ^ b)),
        "v_add_nc_u32" => u!(|a, b, _c| a.wrapping_add(b)),
        "v_sub_nc_u32" => u!(|a, b, _c| a.wrapping_sub(b)),
        "v_subrev_nc_u32" => u!(|a, b, _c| b.wrapping_sub(a)),
        "v_add_co_ci_u32" => v!(|s, c| carry(s[0] + s[1] + b(c))),
        "v_sub_co_ci_u32" => v!(|s, c| borrow(s[0], s[1] + b(c))),
        "v_subrev_co_ci_u32" => v!(|s, c| borrow(s[1], s[0] + b(c))),
        // v_fmac: the loader passes the destination as the third source.
        "v_fmac_f32" => fl!(|a, b, c| super::fma::fma32(a, b, c)),
        "v_add_f16" => hl!(|a, b, _c| a + b),
        "v_sub_f16" => hl!(|a, b, _c| a - b),
        "v_mul_f16" => hl!(|a, b, _c| a * b),
        "v_fmac_f16" | "v_fma_f16" => {
            v!(|s, _c| (rd16(d16(s[0]).mul_add(d16(s[1]), d16(s[2]))), false))
        }
        "v_max_f16" => hl!(|a, b, _c| ieee_max(a, b)),
        "v_min_f16" => hl!(|a, b, _c| ieee_min(a, b)),
        "v_ldexp_f16" => v!(|s, _c| (rd16(ldexp(d16(s[0]), i32::from(s[1] as u16 as i16))), false)),
        "v_cvt_pk_rtz_f16_f32" => v!(|s, _c| {
            let (x, y) = (rtz_f16(f(s[0])), rtz_f16(f(s[1])));
            (u64::from(x) | (u64::from(y) << 16), false)
        }),
        // VOPC.
        "v_cmp_lt_f32" => vc!(|a, b| a < b, f),
        "v_cmp_eq_f32" => vc!(|a, b| a == b, f),
        "v_cmp_le_f32" => vc!(|a, b| a <= b, f),
        "v_cmp_gt_f32" => vc!(|a, b| a > b, f),
        "v_cmp_lg_f32" => vc!(|a, b| matches!(a.partial_cmp(&b), Some(Less | Greater)), f),
        "v_cmp_ge_f32" => vc!(|a, b| a >= b, f),
        "v_cmp_o_f32" => vc!(|a, b| !a.is_nan() && !b.is_nan(), f),
        "v_cmp_u_f32" => vc!(|a, b| a.is_nan() || b.is_nan(), f),
        "v_cmp_neq_f32" => vc!(|a, b| a != b, f),
        "v_cmp_nlt_f32" => vc!(|a, b| a.partial_cmp(&b) != Some(Less), f),
        "v_cmp_ngt_f32" => vc!(|a, b| a.partial_cmp(&b) != Some(Greater), f),
        "v_cmp_lt_i32" => vc!(|a, b| a < b, i),
        "v_cmp_eq_i32" | "v_cmp_eq_u32" => vc!(|a, b| a == b, lo),
        "v_cmp_le_i32" => vc!(|a, b| a <= b, i),
        "v_cmp_gt_i32" => vc!(|a, b| a > b, i),
        "v_cmp_ne_i32" | "v_cmp_ne_u32" => vc!(|a, b| a != b, lo),
        "v_cmp_ge_i32" => vc!(|a, b| a >= b, i),
        "v_cmp_lt_u32" => vc!(|a, b| a < b, lo),
        "v_cmp_le_u32" => vc!(|a, b| a <= b, lo),
        "v_cmp_gt_u32" => vc!(|a, b| a > b, lo),
        "v_cmp_ge_u32" => vc!(|a, b| a >= b, lo),
        "v_cmp_lt_f16" => vc!(|a, b| a < b, h),
        "v_cmp_eq_f16" => vc!(|a, b| a == b, h),
        "v_cmp_lt_f64" => vc!(|a, b| a < b, d),
        "v_cmp_eq_f64" => vc!(|a, b| a == b, d),
        "v_cmp_lt_i64" => vc!(|a, b| a < b, qi),
        "v_cmp_eq_u64" => vc!(|a, b| a == b, q),
        // INT: the 64-bit unsigned and f64 compares the integer/conversion isel adds.
        "v_cmp_lt_u64" => vc!(|a, b| a < b, q),
        "v_cmp_ne_u64" => vc!(|a, b| a != b, q),
        "v_cmp_ge_u64" => vc!(|a, b| a >= b, q),
        "v_cmp_gt_f64" => vc!(|a, b| a > b, d),
        "v_cmp_ge_f64" => vc!(|a, b| a >= b, d),
        "v_cmp_lg_f64" => vc!(|a, b| a != b && !a.is_nan() && !b.is_nan(), d),
        "v_cmp_class_f32" => v!(|s, _c| (0, lo(s[1]) >> class_bit(f(s[0])) & 1 == 1)),
        // VOP3.
        "v_fma_f32" => fl!(|a, b, c| super::fma::fma32(a, b, c)),
        "v_fma_f64" => dl!(|a, b, c| a.mul_add(b, c)),
        "v_add_f64" => dl!(|a, b, _c| a + b),
        "v_mul_f64" => dl!(|a, b, _c| a * b),
        "v_min_f64" => dl!(|a, b, _c| ieee_min(a, b)),
        "v_max_f64" => dl!(|a, b, _c| ieee_max(a, b)),
        "v_ldexp_f64" => v!(|s, _c| (rd(ldexp(d(s[0]), i(s[1]))), false)),
        "v_mul_hi_u32" => u!(|a, b, _c| ((u64::from(a) * u64::from(b)) >> 32) as u32),
        "v_mul_hi_i32" => u!(|a, b, _c| ((i64::from(a as i32) * i64::from(b as i32)) >> 32) as u32),
        "v_mul_lo_u32" => u!(|a, b, _c| a.wrapping_mul(b)),
        "v_mad_u32_u24" => {
            u!(|a, b, c| (a & 0xff_ffff).wrapping_mul(b & 0xff_ffff).wrapping_add(c))
        }
        "v_mad_i32_i24" => u!(|a, b, c| (sext24(a).wrapping_mul(sext24(b)) as u32).wrapping_add(c)),
        "v_bfe_u32" => u!(|a, b, c| bfe_u(a, b & 31, c & 31)),
        "v_bfe_i32" => u!(|a, b, c| bfe_i(a, b & 31, c & 31)),
        "v_bfi_b32" => u!(|a, b, c| (a & b) | (!a & c)),
        "v_alignbit_b32" => {
            u!(|a, b, c| (((u64::from(a) << 32) | u64::from(b)) >> (c & 31)) as u32)
        }
        "v_lshlrev_b64" => v!(|s, _c| (s[1] << (s[0] & 63), false)),
        "v_lshrrev_b64" => v!(|s, _c| (s[1] >> (s[0] & 63), false)),
        "v_ashrrev_i64" => v!(|s, _c| (((s[1] as i64) >> (s[0] & 63)) as u64, false)),
        "v_add3_u32" => u!(|a, b, c| a.wrapping_add(b).wrapping_add(c)),
        "v_lshl_add_u32" => u!(|a, b, c| (a << (b & 31)).wrapping_add(c)),
        "v_add_lshl_u32" => u!(|a, b, c| a.wrapping_add(b) << (c & 31)),
        "v_and_or_b32" => u!(|a, b, c| (a & b) | c),
        "v_or3_b32" => u!(|a, b, c| a | b | c),
        "v_lshl_or_b32" => u!(|a, b, c| (a << (b & 31)) | c),
        "v_xad_u32" => u!(|a, b, c| (a ^ b).wrapping_add(c)),
        "v_max3_f32" => fl!(|a, b, c| ieee_max(ieee_max(a, b), c)),
        "v_min3_f32" => fl!(|a, b, c| ieee_min(ieee_min(a, b), c)),
        "v_med3_f32" => fl!(|a, b, c| med3(a, b, c)),
        "v_med3_i32" => u!(|a, b, c| med3_int(a as i32, b as i32, c as i32) as u32),
        "v_med3_u32" => u!(|a, b, c| med3_int(a, b, c)),
        "v_max3_i32" => u!(|a, b, c| (a as i32).max(b as i32).max(c as i32) as u32),
        "v_min3_i32" => u!(|a, b, c| (a as i32).min(b as i32).min(c as i32) as u32),
        "v_max3_u32" => u!(|a, b, c| a.max(b).max(c)),
        "v_min3_u32" => u!(|a, b, c| a.min(b).min(c)),
        "v_div_fixup_f32" => fl!(|a, b, c| div_fixup(a, b, c)),
        // v_div_fmas: the loader passes VCC as the lane bit.
        "v_div_fmas_f32" => lanes!(div_fmas32),
        "v_ldexp_f32" => v!(|s, _c| (rf(ldexp(f64::from(f(s[0])), i(s[1])) as f32), false)),
        "v_perm_b32" => u!(|a, b, c| perm(a, b, c)),
        "v_cvt_pk_u16_u32" => u!(|a, b, _c| a.min(0xffff) | (b.min(0xffff) << 16)),
        "v_pack_b32_f16" => u!(|a, b, _c| (a & 0xffff) | (b << 16)),
        "v_add_co_u32" => v!(|s, _c| carry(s[0] + s[1])),
        "v_sub_co_u32" => v!(|s, _c| borrow(s[0], s[1])),
        "v_subrev_co_u32" => v!(|s, _c| borrow(s[1], s[0])),
        "v_mad_u64_u32" => v!(|s, _c| {
            let r = u128::from(s[0]) * u128::from(s[1]) + u128::from(s[2]);
            (r as u64, r >> 64 != 0)
        }),
        "v_mad_i64_i32" => v!(|s, _c| {
            let p = i128::from(i(s[0])) * i128::from(i(s[1])) + i128::from(s[2] as i64);
            (p as u64, p != i128::from(p as i64))
        }),
        // FLOAT (isel-float): f16/f64 rounding, compares, f64 division and frexp
        "v_trunc_f16" => hl!(|a, _b, _c| a.trunc()),
        "v_rndne_f64" => dl!(|a, _b, _c| a.round_ties_even()),
        "v_frexp_mant_f64" => dl!(|a, _b, _c| frexp64(a).0),
        "v_frexp_exp_i32_f64" => v!(|s, _c| (u64::from(frexp64(d(s[0])).1 as u32), false)),
        "v_cmp_u_f16" => vc!(|a, b| a.is_nan() || b.is_nan(), h),
        "v_cmp_neq_f16" => vc!(|a, b| a != b, h),
        "v_cmp_u_f64" => vc!(|a, b| a.is_nan() || b.is_nan(), d),
        "v_cmp_neq_f64" => vc!(|a, b| a != b, d),
        "v_cmp_class_f64" => v!(|s, _c| (0, lo(s[1]) >> class_bit64(d(s[0])) & 1 == 1)),
        "v_div_fixup_f64" => dl!(|a, b, c| div_fixup64(a, b, c)),
        "v_div_fmas_f64" => lanes!(div_fmas64),
        _ => None,
    }
}

/// x = m·2^e with |m| in [½, 1), denormals included; ±0, ±inf and NaN give (x, 0).
fn frexp64(x: f64) -> (f64, i32) {
    if x == 0.0 || !x.is_finite() {
        return (x, 0);
    }
    let (y, adj) = if x.is_subnormal() {
        (x * 2f64.powi(64), -64)
    } else {
        (x, 0)
    };
    let bits = y.to_bits();
    let e = ((bits >> 52) & 0x7ff) as i32 - 1022;
    let m = f64::from_bits((bits & !(0x7ff << 52)) | (1022 << 52));
    (m, e + adj)
}

/// The v_cmp_class bit of an f64 (see [`class_bit`]).
fn class_bit64(x: f64) -> u32 {
    let neg = x.is_sign_negative();
    let pick = |n: u32, p: u32| if neg { n } else { p };
    match x.classify() {
        std::num::FpCategory::Nan => u32::from(x.to_bits() & (1 << 51) != 0),
        std::num::FpCategory::Infinite => pick(2, 9),
        std::num::FpCategory::Normal => pick(3, 8),
        std::num::FpCategory::Subnormal => pick(4, 7),
        std::num::FpCategory::Zero => pick(5, 6),
    }
}

/// v_div_fixup_f64, as [`div_fixup`] for f32.
fn div_fixup64(q: f64, den: f64, num: f64) -> f64 {
    let neg = den.is_sign_negative() != num.is_sign_negative();
    let signed = |x: f64| if neg { -x } else { x };
    if num.is_nan() {
        num
    } else if den.is_nan() {
        den
    } else if (den == 0.0 && num == 0.0) || (den.is_infinite() && num.is_infinite()) {
        f64::NAN
    } else if den == 0.0 || num.is_infinite() {
        signed(f64::INFINITY)
    } else if den.is_infinite() || num == 0.0 || biased64(num) - biased64(den) < -1075 {
        // x/inf, 0/y, and the ISA's underflow clause (biased exponents)
        signed(0.0)
    } else if biased64(q) == 2047 {
        signed(f64::INFINITY)
    } else {
        signed(q.abs())
    }
}

/// v_div_fmas_f64: the FMA, scaled back by 2^±128 where v_div_scale_f64 scaled only one
/// operand (as [`div_fmas32`]).
fn div_fmas64(s: &[u64; 3], vcc: bool) -> (u64, bool) {
    let r = d(s[0]).mul_add(d(s[1]), d(s[2]));
    if !vcc {
        return (rd(r), false);
    }
    let up = ((s[2] >> 52) & 0x7ff) > 1023;
    (rd(ldexp(r, if up { 128 } else { -128 })), false)
}

fn d16(x: u64) -> f64 {
    f64::from(h(x))
}
fn rd16(x: f64) -> u64 {
    u64::from(f16::from_f64(x).to_bits())
}

fn carry(r: u64) -> (u64, bool) {
    (r & 0xffff_ffff, r >> 32 != 0)
}

fn borrow(a: u64, b: u64) -> (u64, bool) {
    (a.wrapping_sub(b) & 0xffff_ffff, b > a)
}

fn sext24(a: u32) -> i32 {
    ((a << 8) as i32) >> 8
}

/// An angle given in turns (the hardware's sin/cos input), reduced to [0, 1) exactly
/// before it becomes radians.
fn turns(x: f64) -> f64 {
    (x - x.floor()) * std::f64::consts::TAU
}

fn fract(a: f32) -> f32 {
    if a.is_infinite() {
        return f32::NAN;
    }
    (a - a.floor()).min(f32::from_bits(0x3f7f_ffff))
}

/// x * 2^n with one rounding; `n` is clamped where the result saturates anyway.
fn ldexp(x: f64, n: i32) -> f64 {
    let n = n.clamp(-2200, 2200);
    let (half, rest) = (n / 2, n - n / 2);
    x * 2f64.powi(half) * 2f64.powi(rest)
}

pub(super) trait Ieee: Copy + PartialOrd {
    fn nan(self) -> bool;
}
impl Ieee for f32 {
    fn nan(self) -> bool {
        self.is_nan()
    }
}
impl Ieee for f64 {
    fn nan(self) -> bool {
        self.is_nan()
    }
}

/// IEEE-mode min/max: a NaN operand yields the other; -0 is below +0.
pub(super) fn ieee_min<T: Ieee + Into<f64>>(a: T, b: T) -> T {
    if a.nan() {
        return b;
    }
    if b.nan() {
        return a;
    }
    let (x, y): (f64, f64) = (a.into(), b.into());
    if x < y || (x == y && x.is_sign_negative()) {
        a
    } else {
        b
    }
}

pub(super) fn ieee_max<T: Ieee + Into<f64>>(a: T, b: T) -> T {
    if a.nan() {
        return b;
    }
    if b.nan() {
        return a;
    }
    let (x, y): (f64, f64) = (a.into(), b.into());
    if x > y || (x == y && y.is_sign_negative()) {
        a
    } else {
        b
    }
}

fn med3(a: f32, b: f32, c: f32) -> f32 {
    if a.is_nan() || b.is_nan() || c.is_nan() {
        return ieee_min(ieee_min(a, b), c);
    }
    let max = ieee_max(ieee_max(a, b), c);
    if max == a {
        ieee_max(b, c)
    } else if max == b {
        ieee_max(a, c)
    } else {
        ieee_max(a, b)
    }
}

/// v_cmp_class bit: 0 sNaN, 1 qNaN, 2 -inf, 3 -normal, 4 -denormal, 5 -0, 6 +0,
/// 7 +denormal, 8 +normal, 9 +inf.
fn class_bit(x: impl Classify) -> u32 {
    let (category, neg, quiet) = x.parts();
    match category {
        std::num::FpCategory::Nan => u32::from(quiet),
        std::num::FpCategory::Infinite => {
            if neg {
                2
            } else {
                9
            }
        }
        std::num::FpCategory::Normal => {
            if neg {
                3
            } else {
                8
            }
        }
        std::num::FpCategory::Subnormal => {
            if neg {
                4
            } else {
                7
            }
        }
        std::num::FpCategory::Zero => {
            if neg {
                5
            } else {
                6
            }
        }
    }
}

/// A float's category, sign and quiet-NaN bit, in its own width.
trait Classify {
    fn parts(self) -> (std::num::FpCategory, bool, bool);
}
impl Classify for f32 {
    fn parts(self) -> (std::num::FpCategory, bool, bool) {
        (
            self.classify(),
            self.is_sign_negative(),
            self.to_bits() & (1 << 22) != 0,
        )
    }
}
impl Classify for f64 {
    fn parts(self) -> (std::num::FpCategory, bool, bool) {
        (
            self.classify(),
            self.is_sign_negative(),
            self.to_bits() & (1 << 51) != 0,
        )
    }
}

/// v_div_fixup_f32 (quotient, denominator, numerator): special cases of a division, else
/// the quotient with the sign of the division.
pub(super) fn div_fixup(q: f32, den: f32, num: f32) -> f32 {
    let neg = den.is_sign_negative() != num.is_sign_negative();
    let signed = |x: f32| if neg { -x } else { x };
    if num.is_nan() {
        num
    } else if den.is_nan() {
        den
    } else if (den == 0.0 && num == 0.0) || (den.is_infinite() && num.is_infinite()) {
        f32::NAN
    } else if den == 0.0 || num.is_infinite() {
        signed(f32::INFINITY)
    } else if den.is_infinite() || num == 0.0 || biased32(num) - biased32(den) < -150 {
        // x/inf, 0/y, and the ISA's underflow clause (biased exponents)
        signed(0.0)
    } else if biased32(q) == 255 {
        // overflow: the scaled quotient ran out of range on the way (inf or NaN); the
        // ISA text names S1 here, which is unreachable after the clauses above — S0 is
        // meant (compiler-generated division of finite operands never gives NaN on
        // hardware)
        signed(f32::INFINITY)
    } else {
        signed(q.abs())
    }
}

fn med3_int<T: Ord + Copy>(a: T, b: T, c: T) -> T {
    a.max(b).min(a.min(b).max(c))
}

fn biased32(x: f32) -> i32 {
    ((x.to_bits() >> 23) & 0xff) as i32
}

fn biased64(x: f64) -> i32 {
    ((x.to_bits() >> 52) & 0x7ff) as i32
}

fn perm(s0: u32, s1: u32, sel: u32) -> u32 {
    let bytes = (u64::from(s0) << 32) | u64::from(s1);
    let byte = |k: u32| -> u32 {
        match k {
            0..=7 => ((bytes >> (8 * k)) & 0xff) as u32,
            8..=11 => {
                let msb = (bytes >> (8 * (2 * (k - 8) + 1) + 7)) & 1;
                if msb == 1 { 0xff } else { 0 }
            }
            12 => 0,
            _ => 0xff,
        }
    };
    (0..4).fold(0, |acc, n| acc | byte((sel >> (8 * n)) & 0xff) << (8 * n))
}

/// f32 → f16 rounding toward zero.
fn rtz_f16(x: f32) -> u16 {
    let r = f16::from_f32(x);
    if x.is_nan() || r.to_f32().abs() <= x.abs() {
        return r.to_bits();
    }
    // Rounded away from zero: step one unit back toward zero (inf becomes max finite).
    r.to_bits() - 1
}

/// v_div_scale (S0 the value to scale, S1 the denominator, S2 the numerator): D and the
/// lane's VCC bit. Operands whose quotient or reciprocal would leave the normal range are
/// scaled by 2^±64 (2^±128 for f64): both alike (VCC clear) or only one of them (VCC set,
/// and v_div_fmas scales the quotient back). `None` never happens today; kept for
/// operand classes not modelled.
pub fn div_scale(s0: f64, s1: f64, s2: f64, wide: bool) -> Option<(f64, bool)> {
    let (gap, tiny, k) = if wide { (768, 53, 128) } else { (96, 23, 64) };
    let round = |x: f64| if wide { x } else { f64::from(x as f32) };
    let exp = |x: f64| -> i32 {
        if wide {
            ((x.to_bits() >> 52) & 0x7ff) as i32
        } else {
            (((x as f32).to_bits() >> 23) & 0xff) as i32
        }
    };
    let denormal = |x: f64| x != 0.0 && exp(x) == 0;
    if !(s0.is_finite() && s1.is_finite() && s2.is_finite()) {
        return Some((s0, false));
    }
    if s1 == 0.0 || s2 == 0.0 {
        return Some((f64::NAN, false));
    }
    let only = |cond: bool, n: i32| Some((if cond { ldexp(s0, n) } else { s0 }, true));
    let (e1, e2) = (exp(s1), exp(s2));
    if e2 - e1 >= gap {
        return only(s0 == s1, k);
    }
    if denormal(s1) {
        return Some((ldexp(s0, k), false));
    }
    // The divisions only where their results can be denormal (they are slow and this
    // runs per lane of every division): with normal S1 and S2, |1/S1| > 2^(bias-e1-1)
    // and |S2/S1| > 2^(e2-e1-1), both at least the smallest normal 2^(1-bias) when
    // e1 <= 2*bias-2 and e2-e1 >= 2-bias; one more on each bound for margin.
    let bias = if wide { 1023 } else { 127 };
    let rcp_den = e1 > 2 * bias - 3 && denormal(round(1.0 / s1));
    let quot_den = (e2 == 0 || e2 - e1 < 3 - bias) && denormal(round(s2 / s1));
    if rcp_den && quot_den {
        only(s0 == s1, -k)
    } else if rcp_den {
        Some((ldexp(s0, -k), false))
    } else if quot_den {
        only(s0 == s2, k)
    } else if e2 <= tiny {
        Some((ldexp(s0, k), false))
    } else {
        Some((s0, false))
    }
}

/// Whether `div_scale(s0, s1, s2, false)` of these f32 bits is `(s0, false)` for the
/// plain reason: every operand finite, S1 and S2 normal, the quotient's and the
/// reciprocal's exponents (bounded from the operands', as in `div_scale`) normal, and S2
/// not tiny. Decided on the bits alone, without converting or dividing.
#[inline]
pub fn div_scale32_plain(s0: u32, s1: u32, s2: u32) -> bool {
    let e = |x: u32| ((x >> 23) & 0xff) as i32;
    let (e0, e1, e2) = (e(s0), e(s1), e(s2));
    e0 != 255
        && (1..=251).contains(&e1)
        && (24..=254).contains(&e2)
        && (-124..96).contains(&(e2 - e1))
}

/// v_div_fmas_f32: the FMA, scaled back by 2^±64 where v_div_scale scaled only one
/// operand (the lane's VCC bit): up when the quotient estimate S2 is large (the
/// denominator was scaled up), down when it is small.
pub(super) fn div_fmas32(s: &[u64; 3], vcc: bool) -> (u64, bool) {
    let (a, b, c) = (f64::from(f(s[0])), f64::from(f(s[1])), f64::from(f(s[2])));
    let r = a.mul_add(b, c);
    if !vcc {
        return (rf(f(s[0]).mul_add(f(s[1]), f(s[2]))), false);
    }
    let up = ((s[2] >> 23) & 0xff) > 127;
    (rf(ldexp(r, if up { 64 } else { -64 }) as f32), false)
}

/// VOP3P packed ops: the operation on one 16-bit half of each source.
pub type HalfFn = fn(u16, u16, u16) -> u16;

/// The per-half operation of a packed op (`v_pk_*`).
pub fn packed(name: &str) -> Option<HalfFn> {
    fn hf(x: u16) -> f32 {
        f16::from_bits(x).to_f32()
    }
    fn r(x: f32) -> u16 {
        f16::from_f32(x).to_bits()
    }
    Some(match name {
        "v_pk_add_f16" => |a, b, _| rd16(f64::from(hf(a)) + f64::from(hf(b))) as u16,
        "v_pk_mul_f16" => |a, b, _| rd16(f64::from(hf(a)) * f64::from(hf(b))) as u16,
        "v_pk_fma_f16" => {
            |a, b, c| rd16(f64::from(hf(a)).mul_add(f64::from(hf(b)), f64::from(hf(c)))) as u16
        }
        "v_pk_max_f16" => |a, b, _| r(ieee_max(hf(a), hf(b))),
        "v_pk_min_f16" => |a, b, _| r(ieee_min(hf(a), hf(b))),
        "v_pk_add_u16" => |a, b, _| a.wrapping_add(b),
        "v_pk_mul_lo_u16" => |a, b, _| a.wrapping_mul(b),
        _ => return None,
    })
}

/// Whether the op runs on the transcendental unit (the GFX11 TRANS-use hazard).
pub fn is_trans(name: &str) -> bool {
    [
        "v_exp_", "v_log_", "v_rcp_", "v_rsq_", "v_sqrt_", "v_sin_", "v_cos_",
    ]
    .iter()
    .any(|p| name.starts_with(p))
}

#[cfg(test)]
#[path = "alu_tests.rs"]
mod tests;
