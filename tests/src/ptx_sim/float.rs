//! Float formats and rounding. A result is first computed as an `f64` `v` plus the sign
//! of what `v` misses of the exact value (`err`: -1, 0 or +1, from an error-free
//! transformation); [`round`] then rounds that exactly to any of f16/bf16/f32/f64 in any
//! IEEE mode. f64 carries more than twice the precision of f32 plus two bits, so +, -, *,
//! /, sqrt of f32 (and narrower) operands computed in f64 round correctly this way.

use super::instr::{Rnd, Ty};
use half::{bf16, f16};

/// A float format of the sim: f16, bf16, f32 or f64.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fmt {
    F16,
    BF16,
    F32,
    F64,
}

impl Fmt {
    pub fn of(ty: Ty) -> Option<Fmt> {
        match ty {
            Ty::F16 | Ty::F16x2 => Some(Fmt::F16),
            Ty::BF16 | Ty::BF16x2 => Some(Fmt::BF16),
            Ty::F32 => Some(Fmt::F32),
            Ty::F64 => Some(Fmt::F64),
            _ => None,
        }
    }

    pub fn bits(self) -> u32 {
        match self {
            Fmt::F16 | Fmt::BF16 => 16,
            Fmt::F32 => 32,
            Fmt::F64 => 64,
        }
    }

    fn sign_bit(self) -> u64 {
        1u64 << (self.bits() - 1)
    }

    /// The canonical NaN the hardware writes (all mantissa bits set, sign clear).
    pub fn nan(self) -> u64 {
        match self {
            Fmt::F16 => 0x7fff,
            Fmt::BF16 => 0x7fff,
            Fmt::F32 => 0x7fff_ffff,
            Fmt::F64 => 0x7fff_ffff_ffff_ffff,
        }
    }

    /// The exact value of `bits`.
    pub fn to_f64(self, bits: u64) -> f64 {
        match self {
            Fmt::F16 => f16::from_bits(bits as u16).to_f64(),
            Fmt::BF16 => bf16::from_bits(bits as u16).to_f64(),
            Fmt::F32 => f64::from(f32::from_bits(bits as u32)),
            Fmt::F64 => f64::from_bits(bits),
        }
    }

    /// `v` rounded to nearest-even.
    fn rne(self, v: f64) -> u64 {
        match self {
            Fmt::F16 => u64::from(f16::from_f64(v).to_bits()),
            Fmt::BF16 => u64::from(bf16::from_f64(v).to_bits()),
            Fmt::F32 => u64::from((v as f32).to_bits()),
            Fmt::F64 => v.to_bits(),
        }
    }

    /// The next representable value above `bits` (toward +inf).
    fn next_up(self, bits: u64) -> u64 {
        let sign = self.sign_bit();
        if bits == sign || bits == 0 {
            return 1;
        }
        if bits & sign == 0 { bits + 1 } else { bits - 1 }
    }

    fn next_down(self, bits: u64) -> u64 {
        let sign = self.sign_bit();
        if bits == sign || bits == 0 {
            return sign | 1;
        }
        if bits & sign == 0 { bits - 1 } else { bits + 1 }
    }

    pub fn is_subnormal(self, bits: u64) -> bool {
        let v = self.to_f64(bits);
        v != 0.0 && v.is_finite() && v.abs() < self.min_normal()
    }

    fn min_normal(self) -> f64 {
        match self {
            Fmt::F16 => 6.103515625e-05,
            Fmt::BF16 | Fmt::F32 => f64::from(f32::MIN_POSITIVE),
            Fmt::F64 => f64::MIN_POSITIVE,
        }
    }

    /// Zero with the sign of `bits` when `bits` is subnormal (`.ftz`).
    pub fn flush(self, bits: u64) -> u64 {
        if self.is_subnormal(bits) {
            bits & self.sign_bit()
        } else {
            bits
        }
    }
}

/// Rounds the exact value `v + err·ε` (ε infinitesimal, `err` its sign) to `fmt` in mode
/// `rnd`. A NaN becomes the canonical NaN.
pub fn round(fmt: Fmt, v: f64, err: i8, rnd: Rnd) -> u64 {
    if v.is_nan() {
        return fmt.nan();
    }
    let r = fmt.rne(v);
    let rv = fmt.to_f64(r);
    if rv == v {
        if err == 0 {
            return r;
        }
        return match rnd {
            Rnd::Rn => r,
            Rnd::Rz if (v > 0.0 && err < 0) || (v < 0.0 && err > 0) => {
                if v > 0.0 {
                    fmt.next_down(r)
                } else {
                    fmt.next_up(r)
                }
            }
            Rnd::Rz => r,
            Rnd::Rm if err < 0 => fmt.next_down(r),
            Rnd::Rp if err > 0 => fmt.next_up(r),
            _ => r,
        };
    }
    let (below, above) = if rv < v {
        (r, fmt.next_up(r))
    } else {
        (fmt.next_down(r), r)
    };
    match rnd {
        Rnd::Rn => {
            // A tie in v that the exact value misses goes the way err says.
            let (b, a) = (fmt.to_f64(below), fmt.to_f64(above));
            if b.is_finite() && a.is_finite() && (b + a) / 2.0 == v && err != 0 {
                if err > 0 { above } else { below }
            } else {
                r
            }
        }
        Rnd::Rz => {
            if v > 0.0 {
                below
            } else {
                above
            }
        }
        Rnd::Rm => below,
        Rnd::Rp => above,
    }
}

/// The sign of `x` as -1, 0, 1.
pub fn sign(x: f64) -> i8 {
    if x > 0.0 {
        1
    } else if x < 0.0 {
        -1
    } else {
        0
    }
}

/// `a + b` as an f64 and the sign of its rounding error (Knuth's two-sum).
pub fn two_sum(a: f64, b: f64) -> (f64, i8) {
    let s = a + b;
    if !s.is_finite() {
        return (s, 0);
    }
    let bb = s - a;
    let e = (a - (s - bb)) + (b - bb);
    (s, sign(e))
}

/// `a * b` as an f64 and the sign of its rounding error (fma gives the exact residual).
pub fn two_prod(a: f64, b: f64) -> (f64, i8) {
    let p = a * b;
    if !p.is_finite() {
        return (p, 0);
    }
    (p, sign(a.mul_add(b, -p)))
}

/// `a / b` as an f64 and the sign of its error: the residual a - q·b, by fma, has the
/// sign of (exact - q)·b.
pub fn div_exact(a: f64, b: f64) -> (f64, i8) {
    let q = a / b;
    if !q.is_finite() || q == 0.0 {
        return (q, 0);
    }
    let r = (-q).mul_add(b, a);
    (q, sign(r) * sign(b))
}

/// sqrt(a) as an f64 and the sign of its error.
pub fn sqrt_exact(a: f64) -> (f64, i8) {
    let s = a.sqrt();
    if !s.is_finite() || s == 0.0 {
        return (s, 0);
    }
    (s, sign((-s).mul_add(s, a)))
}

/// An integer (exact, as i128) as an f64 and the sign of the conversion's error.
pub fn int_to_f64(x: i128) -> (f64, i8) {
    let v = x as f64;
    let back = v as i128;
    (
        v,
        if x > back {
            1
        } else if x < back {
            -1
        } else {
            0
        },
    )
}
