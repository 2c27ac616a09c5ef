//! f64 `exp2` as an inline sequence of `.rn` f64 arithmetic and integer ops on the exponent
//! bits: PTX has no f64 transcendental instruction, and the precision model
//! (ir/src/precision.rs) allows 1 ULP. No `call`: straight-line code with `selp` for the
//! one special case (NaN), so every lane runs the same instructions.

use super::emitter::Emitter;
use super::sink::RegClass;

/// ln 2 split as hi + lo (hi = ln 2 rounded to f64, lo = ln 2 − hi rounded): `f·ln2` is
/// carried as a double-double so the largest term of 2^f loses nothing.
const LN2_HI: &str = "0d3FE62E42FEFA39EF";
const LN2_LO: &str = "0d3C7ABC9E3B39803F";

/// ln2^k / k! for k = 2..=14, each rounded to f64 (computed at 200 bits with mpmath).
const EXP2_TAIL: [&str; 13] = [
    "0d3FCEBFBDFF82C58F",
    "0d3FAC6B08D704A0C0",
    "0d3F83B2AB6FBA4E77",
    "0d3F55D87FE78A6731",
    "0d3F2430912F86C787",
    "0d3EEFFCBFC588B0C7",
    "0d3EB62C0223A5C824",
    "0d3E7B5253D395E7C4",
    "0d3E3E4CF5158B8ECA",
    "0d3DFE8CAC7351BB25",
    "0d3DBC3BD650FC2986",
    "0d3D7816193166D0F9",
    "0d3D3314964D5878A9",
];

/// |x| is clamped to this before rounding: beyond ±1075 the result is already +0 or +inf,
/// and the clamp keeps n = round(x) inside s32 and each half of n inside the normal
/// exponent range (|n/2| ≤ 550 < 1022).
const EXP2_CLAMP: &str = "0d4091300000000000"; // 1100.0
const EXP2_CLAMP_NEG: &str = "0dC091300000000000"; // -1100.0

impl Emitter<'_> {
    /// `dst = 2^x` within 1 ULP.
    ///
    /// x = n + f with n = round(x) (`cvt.rni`) and |f| ≤ ½, f exact (Sterbenz). Then
    /// 2^f = 1 + f·ln2 + f²·P(f), P the Taylor tail Σ_{k≥2} ln2^k/k!·f^(k−2) cut after
    /// k = 14: the first term dropped is ≤ 0.35^15/15! < 2^-66, under 2^-13 ULP.
    /// Error budget, in ULPs of the result (≥ ½·2^-0.5, so an ULP ≥ 2^-53):
    /// - f·ln2 = sh + sl exactly up to f·LN2_LO's rounding and ln2's own error: < 2^-105;
    /// - u = f·(f·P): |u| ≤ 0.065, relative error ≤ ~4·2^-53, so < 0.14 ULP;
    /// - a = 1 + sh with its rounding error e recovered exactly (Fast2Sum, |sh| < 1);
    /// - the tail e + sl + u rounded twice at ≤ 2^-4 magnitude: < 0.02 ULP;
    /// - the final a + tail: ½ ULP. Total < 0.67 ULP before scaling.
    ///
    /// Scaling by 2^n goes in two exact-factor steps 2^(n>>1) then 2^(n−(n>>1)): the first
    /// product stays normal (exact), the second rounds once, so subnormal results and
    /// overflow to +inf come out of the hardware rounding (1024 → inf, −1075 → 0 or the
    /// least subnormal as round-to-even decides). ±inf clamp to ±1100 → +inf / +0; integers
    /// give f = 0, 2^f = 1 exactly, so 2^n is exact. NaN is passed through by `selp`.
    pub(crate) fn exp2_f64(&mut self, dst: &str, x: &str) {
        let xc = self.new_temp(RegClass::F64);
        let n = self.new_temp(RegClass::F64);
        let f = self.new_temp(RegClass::F64);
        self.ins(format!("min.f64 {xc}, {x}, {EXP2_CLAMP}"));
        self.ins(format!("max.f64 {xc}, {xc}, {EXP2_CLAMP_NEG}"));
        self.ins(format!("cvt.rni.f64.f64 {n}, {xc}"));
        self.ins(format!("sub.rn.f64 {f}, {xc}, {n}"));
        let p = self.exp2_reduced(&f);
        let r = self.scale_by_pow2(&p, &n);
        let nan = self.new_temp(RegClass::Pred);
        self.ins(format!("setp.nan.f64 {nan}, {x}, {x}"));
        self.ins(format!("selp.f64 {dst}, {x}, {r}, {nan}"));
    }

    /// 2^f for |f| ≤ ½ (see [`Self::exp2_f64`] for the error budget).
    fn exp2_reduced(&mut self, f: &str) -> String {
        let t = self.new_temp(RegClass::F64);
        let last = EXP2_TAIL.len() - 1;
        self.ins(format!("mov.f64 {t}, {}", EXP2_TAIL[last]));
        for c in EXP2_TAIL[..last].iter().rev() {
            self.ins(format!("fma.rn.f64 {t}, {t}, {f}, {c}"));
        }
        // u = f·(f·P): the f² factor keeps the tail small, so its rounding barely counts
        let u = self.new_temp(RegClass::F64);
        self.ins(format!("mul.rn.f64 {u}, {t}, {f}"));
        self.ins(format!("mul.rn.f64 {u}, {u}, {f}"));
        // f·ln2 = sh + sl: the fma recovers mul's rounding error exactly
        let sh = self.new_temp(RegClass::F64);
        let sl = self.new_temp(RegClass::F64);
        self.ins(format!("mul.rn.f64 {sh}, {f}, {LN2_HI}"));
        self.ins(format!("neg.f64 {sl}, {sh}"));
        self.ins(format!("fma.rn.f64 {sl}, {f}, {LN2_HI}, {sl}"));
        self.ins(format!("fma.rn.f64 {sl}, {f}, {LN2_LO}, {sl}"));
        // a = 1 + sh and e = (1 − a) + sh, its exact rounding error (Fast2Sum: 1 ≥ |sh|)
        let a = self.new_temp(RegClass::F64);
        let e = self.new_temp(RegClass::F64);
        self.ins(format!("add.rn.f64 {a}, {sh}, 0d3FF0000000000000"));
        self.ins(format!("sub.rn.f64 {e}, 0d3FF0000000000000, {a}"));
        self.ins(format!("add.rn.f64 {e}, {e}, {sh}"));
        self.ins(format!("add.rn.f64 {e}, {e}, {sl}"));
        self.ins(format!("add.rn.f64 {e}, {e}, {u}"));
        self.ins(format!("add.rn.f64 {a}, {a}, {e}"));
        a
    }

    /// p·2^n for an integral f64 n with |n| ≤ 1100, as p·2^(n>>1)·2^(n−(n>>1)): both
    /// factors are normal powers of two built in the exponent field, the first product is
    /// exact and the second rounds once.
    fn scale_by_pow2(&mut self, p: &str, n: &str) -> String {
        let k = self.new_temp(RegClass::B32);
        let k1 = self.new_temp(RegClass::B32);
        let k2 = self.new_temp(RegClass::B32);
        self.ins(format!("cvt.rzi.s32.f64 {k}, {n}"));
        self.ins(format!("shr.s32 {k1}, {k}, 1"));
        self.ins(format!("sub.s32 {k2}, {k}, {k1}"));
        let r = self.new_temp(RegClass::F64);
        let s1 = self.pow2_from_exponent(&k1);
        self.ins(format!("mul.rn.f64 {r}, {p}, {s1}"));
        let s2 = self.pow2_from_exponent(&k2);
        self.ins(format!("mul.rn.f64 {r}, {r}, {s2}"));
        r
    }

    /// 2^k for an s32 k in the normal range [−1022, 1023]: biased exponent in bits 52..63.
    fn pow2_from_exponent(&mut self, k: &str) -> String {
        let hi = self.new_temp(RegClass::B32);
        let lo = self.new_temp(RegClass::B32);
        let s = self.new_temp(RegClass::F64);
        self.ins(format!("add.s32 {hi}, {k}, 1023"));
        self.ins(format!("shl.b32 {hi}, {hi}, 20"));
        self.ins(format!("mov.b32 {lo}, 0"));
        self.ins(format!("mov.b64 {s}, {{{lo}, {hi}}}"));
        s
    }
}
