//! f64 `sin` within 1 ULP for every finite argument: the algorithm of codegen-ptx's
//! `emit/f64_sin.rs` (Payne–Hanek reduction by the bits of 2/π, then sin or cos
//! polynomials on [−π/4, π/4] chosen by the quadrant; error budget there) in RDNA3
//! instructions. The 2/π window is picked per lane by a barrel shifter of `v_cndmask_b32`
//! over the table's dwords (a shift by each bit of the word index), the 53×192-bit product
//! is built from `v_mad_u64_u32` with carry chains, and the 128-bit fraction is normalized
//! with 64-bit shifts.

use super::emit::op;
use super::fparts::{k, kd, pick, pick2, v, v2};
use super::{Piece, Sel, Src};
use crate::isa::{FloatConst, Mods, Operand};

const NONE: Mods = Mods {
    neg: 0,
    abs: 0,
    clamp: false,
    omod: 0,
};

fn neg(bits: u8) -> Mods {
    Mods { neg: bits, ..NONE }
}

/// 2/π as big-endian dwords after four zero dwords (the zeros let the window start before
/// the binary point for small arguments): 1216 bits, as in codegen-ptx's `TWO_OVER_PI`.
const TWO_OVER_PI: [u32; 42] = [
    0x0000_0000,
    0x0000_0000,
    0x0000_0000,
    0x0000_0000,
    0xA2F9_836E,
    0x4E44_1529,
    0xFC27_57D1,
    0xF534_DDC0,
    0xDB62_9599,
    0x3C43_9041,
    0xFE51_63AB,
    0xDEBB_C561,
    0xB724_6E3A,
    0x424D_D2E0,
    0x0649_2EEA,
    0x09D1_921C,
    0xFE1D_EB1C,
    0xB129_A73E,
    0xE882_35F5,
    0x2EBB_4484,
    0xE99C_7026,
    0xB45F_7E41,
    0x3991_D639,
    0x8353_39F4,
    0x9C84_5F8B,
    0xBDF9_283B,
    0x1FF8_97FF,
    0xDE05_980F,
    0xEF2F_118B,
    0x5A0A_6D1F,
    0x6D36_7ECF,
    0x27CB_09B7,
    0x4F46_3F66,
    0x9E5F_EA2D,
    0x7527_BAC7,
    0xEBE5_F17B,
    0x3D07_39F7,
    0x8A52_92EA,
    0x6BFB_5FB1,
    0x1F8D_5D08,
    0x5603_3046,
    0xFC7B_6BAB,
];

/// π/2 as hi + lo, each rounded to f64.
const PIO2_HI: u64 = 0x3FF9_21FB_5444_2D18;
const PIO2_LO: u64 = 0x3C91_A626_3314_5C07;

/// (−1)^k/(2k+1)! for k = 1..=10: sin r = r + r·z·S(z), z = r².
const SIN_TAIL: [u64; 10] = [
    0xBFC5_5555_5555_5555,
    0x3F81_1111_1111_1111,
    0xBF2A_01A0_1A01_A01A,
    0x3EC7_1DE3_A556_C734,
    0xBE5A_E645_67F5_44E4,
    0x3DE6_1246_13A8_6D09,
    0xBD6A_E7F3_E733_B81F,
    0x3CE9_52C7_7030_AD4A,
    0xBC62_F49B_4681_4157,
    0x3BD7_1B8E_F6DC_F572,
];

/// (−1)^k/(2k)! for k = 2..=11: cos r = 1 − z/2 + z²·C(z).
const COS_TAIL: [u64; 10] = [
    0x3FA5_5555_5555_5555,
    0xBF56_C16C_16C1_6C17,
    0x3EFA_01A0_1A01_A01A,
    0xBE92_7E4F_B778_9F5C,
    0x3E21_EED8_EFF8_D898,
    0xBDA9_3974_A8C0_7C9D,
    0x3D2A_E7F3_E733_B81F,
    0xBCA6_8278_63B9_7D97,
    0x3C1E_542B_A402_0225,
    0xBB90_CE39_6DB7_F853,
];

/// Below this |x| (2^-26), sin x rounds to x.
const TINY: f64 = 1.0 / 67_108_864.0;

/// `dst = sin(x)` within 1 ULP for every finite x; NaN and ±inf give NaN, |x| < 2^-26
/// (±0 and subnormals included) gives x.
///
/// |x| = M·2^E, M the 53-bit integer significand. Bits of 2/π above 2^(2−E) only add
/// multiples of 4 to |x|·2/π, so the 192-bit window W of 2/π starting at table bit
/// t = E + 126 gives |x|·2/π ≡ M·W·2^-190 (mod 4), the dropped tail under 2^-137.
pub(super) fn sin(sel: &mut Sel, x: Piece) -> Piece {
    let (m, t) = split(sel, x);
    let w = window(sel, t);
    let p = product(sel, m, &w);
    let (f, n) = fraction(sel, &p);
    let (rh, rl) = to_radians(sel, &f);
    let s = sin_poly(sel, rh, rl);
    let c = cos_poly(sel, rh, rl);
    finish(sel, x, n, s, c)
}

/// |x| as M (2 dwords, implicit bit set) and the table bit t = biased exponent − 949.
fn split(sel: &mut Sel, x: Piece) -> ([Piece; 2], Piece) {
    let (mask, implicit) = (k(sel, 0x000f_ffff), k(sel, 0x0010_0000));
    let mhi = v(sel, "v_and_or_b32", &[x.hi().into(), mask, implicit]);
    let (c20, c11) = (k(sel, 20), k(sel, 11));
    let be = v(sel, "v_bfe_u32", &[x.hi().into(), c20, c11]);
    let bias = k(sel, (-949i32) as u32);
    let t = v(sel, "v_add_nc_u32", &[be.into(), bias]);
    let mlo = sel.to_vgpr(x.into(), 1);
    ([mlo, mhi], t)
}

/// The 6 big-endian window dwords starting at table bit t. Dword j0 + i of the table is
/// picked for i = 0..7 by shifting the table left by j0 dwords, one `v_cndmask` stage per
/// bit of j0 (most significant first, each keeping only the dwords later stages need); the
/// dwords are then shifted by sh bits with `v_alignbit_b32`, where t = 32·(j0 + 1) − sh,
/// sh ∈ [0, 31] (so a whole-dword t needs no special case).
fn window(sel: &mut Sel, t: Piece) -> Vec<Piece> {
    let zero = k(sel, 0);
    let nt = v(sel, "v_sub_nc_u32", &[zero, t.into()]);
    let c31 = k(sel, 31);
    let sh = v(sel, "v_and_b32", &[c31, nt.into()]);
    let m32 = k(sel, (-32i32) as u32);
    let j = v(sel, "v_add3_u32", &[t.into(), sh.into(), m32]);
    let c5 = k(sel, 5);
    let j0 = v(sel, "v_ashrrev_i32", &[c5, j.into()]);
    let mut cur: Vec<Src> = TWO_OVER_PI.iter().map(|d| k(sel, *d)).collect();
    for b in (0..6).rev() {
        let step = 1usize << b;
        let keep = 7 + step - 1;
        let bit = k(sel, 1 << b);
        let set = v(sel, "v_and_b32", &[bit, j0.into()]);
        let mask = sel.vcmp(op("v_cmp_ne_u32"), set.into(), zero);
        let next: Vec<Src> = (0..keep)
            .map(|i| {
                let a = cur.get(i).copied().unwrap_or(zero);
                let s = cur.get(i + step).copied().unwrap_or(zero);
                if a == s {
                    a
                } else {
                    pick(sel, mask, s, a).into()
                }
            })
            .collect();
        cur = next;
    }
    (0..6)
        .map(|i| v(sel, "v_alignbit_b32", &[cur[i], cur[i + 1], sh.into()]))
        .collect()
}

/// M·W mod 2^192 as 6 little-endian dwords. Row 0 (M's low dword): each
/// `v_mad_u64_u32` adds the previous high dword, read as a pair with a zero dword kept
/// after it. Row 1 (M's high dword, < 2^21): the products are added in two carry chains,
/// their low dwords one place up and their high dwords two places up.
fn product(sel: &mut Sel, m: [Piece; 2], w: &[Piece]) -> Vec<Piece> {
    let mad = op("v_mad_u64_u32");
    let le = |b: usize| w[5 - b];
    let zero64 = Src::Const(Operand::Int(0));
    let mut p = Vec::new();
    let mut carry: Src = zero64;
    for b in 0..6 {
        let t = sel.new_v(3);
        sel.copy(t.hi().hi(), k(sel, 0), 1);
        sel.valu_sd(mad, t, None, &[m[0].into(), le(b).into(), carry], NONE);
        p.push(t);
        carry = Src::Reg(t.hi());
    }
    let u: Vec<Piece> = (0..5)
        .map(|b| {
            let d = sel.new_v(2);
            sel.valu_sd(mad, d, None, &[m[1].into(), le(b).into(), zero64], NONE);
            d
        })
        .collect();
    let lows: Vec<Piece> = u.to_vec();
    let p = add_chain(sel, &p, 1, &lows);
    let highs: Vec<Piece> = u[..4].iter().map(|d| d.hi()).collect();
    add_chain(sel, &p, 2, &highs)
}

/// `p + Σ addends[i]·2^(32(from + i))` over the 6 dwords of p (carries out of the top
/// dropped).
fn add_chain(sel: &mut Sel, p: &[Piece], from: usize, addends: &[Piece]) -> Vec<Piece> {
    let mut out: Vec<Piece> = p[..from].to_vec();
    let mut carry: Option<Piece> = None;
    for (i, a) in addends.iter().enumerate() {
        let d = sel.new_v(1);
        let last = from + i == 5;
        let cout = if last { None } else { Some(sel.new_s(1)) };
        let srcs_owned: Vec<Src> = match carry {
            None => vec![p[from + i].into(), (*a).into()],
            Some(c) => vec![p[from + i].into(), (*a).into(), c.into()],
        };
        let name = if carry.is_some() {
            "v_add_co_ci_u32"
        } else {
            "v_add_co_u32"
        };
        sel.valu_sd(op(name), d, cout, &srcs_owned, NONE);
        out.push(d);
        carry = cout;
    }
    out
}

/// The signed 128-bit fraction F (bits 62..190 of the product, little-endian dwords) and
/// the quadrant n (the integer part mod 4, plus one when the fraction is ≥ ½: then F is
/// its negative remainder).
fn fraction(sel: &mut Sel, p: &[Piece]) -> ([Piece; 4], Piece) {
    let c30 = k(sel, 30);
    let f: [Piece; 4] = std::array::from_fn(|i| {
        v(
            sel,
            "v_alignbit_b32",
            &[p[i + 2].into(), p[i + 1].into(), c30],
        )
    });
    let (c31, c30b) = (k(sel, 31), k(sel, 30));
    let int = v(sel, "v_lshrrev_b32", &[c30b, p[5].into()]);
    let up = v(sel, "v_lshrrev_b32", &[c31, f[3].into()]);
    let n = v(sel, "v_add_nc_u32", &[int.into(), up.into()]);
    (f, n)
}

/// The fraction F·2^-128 times π/2 as a double-double (rh, rl): |F| normalized so its top
/// 64 bits are N (53 of them converted exactly, the next 11 plus the following 64 as a
/// small tail), scaled by 2^-(64+lz) (exact, normal), the sign put back, then multiplied by
/// π/2 in double-double and renormalized.
fn to_radians(sel: &mut Sel, f: &[Piece; 4]) -> (Piece, Piece) {
    // |F| = (F ^ s) − s with s = F's sign spread over a dword
    let c31 = k(sel, 31);
    let s = v(sel, "v_ashrrev_i32", &[c31, f[3].into()]);
    let x: Vec<Piece> = f
        .iter()
        .map(|d| v(sel, "v_xor_b32", &[(*d).into(), s.into()]))
        .collect();
    let a = sub_chain(sel, &x, s);
    // lz = leading zeros of the top 64 bits (|F| ≥ 2^-61·2^128: never all zero)
    let c3 = v(sel, "v_clz_i32_u32", &[a[3].into()]);
    let c2 = v(sel, "v_clz_i32_u32", &[a[2].into()]);
    let c32 = k(sel, 32);
    let c2 = v(sel, "v_add_nc_u32", &[c32, c2.into()]);
    let zero = k(sel, 0);
    let top_zero = sel.vcmp(op("v_cmp_eq_u32"), a[3].into(), zero);
    let lz = pick(sel, top_zero, c2.into(), c3.into());
    let hi64 = pair(sel, a[2], a[3]);
    let lo64 = pair(sel, a[0], a[1]);
    let none = Mods::default();
    // top = A << lz | (B >> 1) >> (63 − lz); next = B << lz
    let top = v2(sel, "v_lshlrev_b64", &[lz.into(), hi64.into()], none);
    let one = k(sel, 1);
    let b1 = v2(sel, "v_lshrrev_b64", &[one, lo64.into()], none);
    let c63 = k(sel, 63);
    let rs = v(sel, "v_sub_nc_u32", &[c63, lz.into()]);
    let b2 = v2(sel, "v_lshrrev_b64", &[rs.into(), b1.into()], none);
    let top = or64(sel, top, b2);
    let next = v2(sel, "v_lshlrev_b64", &[lz.into(), lo64.into()], none);
    let (hi, lo) = top_to_f64(sel, top, next);
    // × 2^-(64+lz), and F's sign
    let m64 = k(sel, (-64i32) as u32);
    let e = v(sel, "v_sub_nc_u32", &[m64, lz.into()]);
    let hi = v2(sel, "v_ldexp_f64", &[hi.into(), e.into()], none);
    let lo = v2(sel, "v_ldexp_f64", &[lo.into(), e.into()], none);
    let sign = k(sel, 0x8000_0000);
    let sbit = v(sel, "v_and_b32", &[sign, f[3].into()]);
    let hi = flip_sign(sel, hi, sbit);
    let lo = flip_sign(sel, lo, sbit);
    times_pio2(sel, hi, lo)
}

/// x − s over 4 dwords, s (0 or −1) spread to all of them.
fn sub_chain(sel: &mut Sel, x: &[Piece], s: Piece) -> Vec<Piece> {
    let mut out = Vec::new();
    let mut carry: Option<Piece> = None;
    for (i, d) in x.iter().enumerate() {
        let r = sel.new_v(1);
        let cout = if i == 3 { None } else { Some(sel.new_s(1)) };
        match carry {
            None => sel.valu_sd(op("v_sub_co_u32"), r, cout, &[(*d).into(), s.into()], NONE),
            Some(c) => sel.valu_sd(
                op("v_sub_co_ci_u32"),
                r,
                cout,
                &[(*d).into(), s.into(), c.into()],
                NONE,
            ),
        }
        out.push(r);
        carry = cout;
    }
    out
}

/// Two dwords as a new VGPR pair (lo first).
fn pair(sel: &mut Sel, lo: Piece, hi: Piece) -> Piece {
    let d = sel.new_v(2);
    sel.copy(d, lo.into(), 1);
    sel.copy(d.hi(), hi.into(), 1);
    d
}

fn or64(sel: &mut Sel, a: Piece, b: Piece) -> Piece {
    let d = sel.new_v(2);
    sel.valu(op("v_or_b32"), d, &[a.into(), b.into()]);
    sel.valu(op("v_or_b32"), d.hi(), &[a.hi().into(), b.hi().into()]);
    d
}

/// An f64 with its sign bit xored with `sbit` (0 or 0x80000000).
fn flip_sign(sel: &mut Sel, x: Piece, sbit: Piece) -> Piece {
    let d = sel.new_v(2);
    sel.copy(d, x.into(), 1);
    sel.valu(op("v_xor_b32"), d.hi(), &[x.hi().into(), sbit.into()]);
    d
}

/// u32 pair `(lo, hi)` → f64 `hi·2^32 + lo`, rounded once.
fn u64_to_f64(sel: &mut Sel, lo: Src, hi: Src) -> Piece {
    let none = Mods::default();
    let h = v2(sel, "v_cvt_f64_u32", &[hi], none);
    let l = v2(sel, "v_cvt_f64_u32", &[lo], none);
    let two32 = kd(sel, 4_294_967_296.0);
    v2(sel, "v_fma_f64", &[h.into(), two32, l.into()], none)
}

/// hi = N's top 53 bits (exact), lo = N's low 11 bits + next·2^-64.
fn top_to_f64(sel: &mut Sel, top: Piece, next: Piece) -> (Piece, Piece) {
    let keep = k(sel, 0xFFFF_F800);
    let tl = v(sel, "v_and_b32", &[keep, top.into()]);
    let hi = u64_to_f64(sel, tl.into(), top.hi().into());
    let low11 = k(sel, 0x7ff);
    let t11 = v(sel, "v_and_b32", &[low11, top.into()]);
    let t11 = v2(sel, "v_cvt_f64_u32", &[t11.into()], Mods::default());
    let nf = u64_to_f64(sel, next.into(), next.hi().into());
    let two_m64 = kd(sel, 2f64.powi(-64));
    let lo = v2(sel, "v_fma_f64", &[nf.into(), two_m64, t11.into()], NONE);
    (hi, lo)
}

/// (hi + lo)·(PIO2_HI + PIO2_LO), the product's rounding error recovered by fma, then
/// renormalized (Fast2Sum: |rh| ≥ |rl|).
fn times_pio2(sel: &mut Sel, hi: Piece, lo: Piece) -> (Piece, Piece) {
    let ph = kd(sel, f64::from_bits(PIO2_HI));
    let rh = v2(sel, "v_mul_f64", &[hi.into(), ph], NONE);
    let rl = v2(sel, "v_fma_f64", &[hi.into(), ph, rh.into()], neg(4));
    let pl = kd(sel, f64::from_bits(PIO2_LO));
    let rl = v2(sel, "v_fma_f64", &[hi.into(), pl, rl.into()], NONE);
    let rl = v2(sel, "v_fma_f64", &[lo.into(), ph, rl.into()], NONE);
    let h2 = v2(sel, "v_add_f64", &[rh.into(), rl.into()], NONE);
    let d = v2(sel, "v_add_f64", &[rh.into(), h2.into()], neg(2));
    let l2 = v2(sel, "v_add_f64", &[rl.into(), d.into()], NONE);
    (h2, l2)
}

/// Σ coeffs[i]·z^i by Horner.
fn horner(sel: &mut Sel, z: Piece, coeffs: &[u64]) -> Piece {
    let Some((last, rest)) = coeffs.split_last() else {
        return z;
    };
    let c = kd(sel, f64::from_bits(*last));
    let mut t = sel.to_vgpr(c, 2);
    for c in rest.iter().rev() {
        let cs = kd(sel, f64::from_bits(*c));
        t = v2(sel, "v_fma_f64", &[t.into(), z.into(), cs], NONE);
    }
    t
}

/// sin(rh + rl) ≈ rh + (rh·z·S(z) + rl·(1 − z/2)), z = rh².
fn sin_poly(sel: &mut Sel, rh: Piece, rl: Piece) -> Piece {
    let z = v2(sel, "v_mul_f64", &[rh.into(), rh.into()], NONE);
    let t = horner(sel, z, &SIN_TAIL);
    let t = v2(sel, "v_mul_f64", &[t.into(), z.into()], NONE);
    let t = v2(sel, "v_mul_f64", &[t.into(), rh.into()], NONE);
    let mhalf = Src::Const(Operand::Float(FloatConst::NegHalf));
    let w = v2(sel, "v_mul_f64", &[z.into(), mhalf], NONE);
    let w = v2(sel, "v_fma_f64", &[w.into(), rl.into(), rl.into()], NONE);
    let t = v2(sel, "v_add_f64", &[t.into(), w.into()], NONE);
    v2(sel, "v_add_f64", &[rh.into(), t.into()], NONE)
}

/// cos(rh + rl) ≈ w + ((1 − w − z/2) − ze/2 + z²·C(z) − rl·rh), w = 1 − z/2 and
/// ze = rh² − z exact (fma).
fn cos_poly(sel: &mut Sel, rh: Piece, rl: Piece) -> Piece {
    let z = v2(sel, "v_mul_f64", &[rh.into(), rh.into()], NONE);
    let ze = v2(sel, "v_fma_f64", &[rh.into(), rh.into(), z.into()], neg(4));
    let half = Src::Const(Operand::Float(FloatConst::Half));
    let one = Src::Const(Operand::Float(FloatConst::One));
    let hz = v2(sel, "v_mul_f64", &[z.into(), half], NONE);
    let w = v2(sel, "v_add_f64", &[one, hz.into()], neg(2));
    let e = v2(sel, "v_add_f64", &[one, w.into()], neg(2));
    let e = v2(sel, "v_add_f64", &[e.into(), hz.into()], neg(2));
    let t = horner(sel, z, &COS_TAIL);
    let t = v2(sel, "v_mul_f64", &[t.into(), z.into()], NONE);
    let t = v2(sel, "v_mul_f64", &[t.into(), z.into()], NONE);
    let mhalf = Src::Const(Operand::Float(FloatConst::NegHalf));
    let t = v2(sel, "v_fma_f64", &[ze.into(), mhalf, t.into()], NONE);
    let t = v2(sel, "v_fma_f64", &[rl.into(), rh.into(), t.into()], neg(1));
    let e = v2(sel, "v_add_f64", &[e.into(), t.into()], NONE);
    v2(sel, "v_add_f64", &[w.into(), e.into()], NONE)
}

/// Quadrant n: 0 → sin, 1 → cos, 2 → −sin, 3 → −cos; then x's sign, the tiny case, and NaN
/// for NaN/±inf (x − x).
fn finish(sel: &mut Sel, x: Piece, n: Piece, s: Piece, c: Piece) -> Piece {
    let (one, zero) = (k(sel, 1), k(sel, 0));
    let odd = v(sel, "v_and_b32", &[one, n.into()]);
    let odd = sel.vcmp(op("v_cmp_ne_u32"), odd.into(), zero);
    let r = pick2(sel, odd, c.into(), s.into());
    // flip when exactly one of (n & 2) and x's sign bit is set: bit 1 of n ^ (hi >> 30)
    let (c30, c2) = (k(sel, 30), k(sel, 2));
    let xs = v(sel, "v_lshrrev_b32", &[c30, x.hi().into()]);
    let f = v(sel, "v_xor_b32", &[n.into(), xs.into()]);
    let f = v(sel, "v_and_b32", &[c2, f.into()]);
    let c30b = k(sel, 30);
    let sbit = v(sel, "v_lshlrev_b32", &[c30b, f.into()]);
    let r = flip_sign(sel, r, sbit);
    let lim = kd(sel, TINY);
    let abs = Mods {
        abs: 1,
        ..Mods::default()
    };
    let tiny = sel.vcmp_mods(op("v_cmp_lt_f64"), x.into(), lim, abs);
    let r = pick2(sel, tiny, x.into(), r.into());
    let d = v2(sel, "v_add_f64", &[x.into(), x.into()], neg(2));
    let nan = sel.vcmp(op("v_cmp_u_f64"), d.into(), d.into());
    pick2(sel, nan, d.into(), r.into())
}
