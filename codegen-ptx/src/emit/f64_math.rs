//! f64 `exp2` and `log2` as inline sequences of `.rn` f64 arithmetic and integer ops on the
//! exponent bits: PTX has no f64 transcendental instruction, and the precision model
//! (ir/src/precision.rs) allows 1 ULP. No `call`: straight-line code with `selp` for the
//! special cases, so every lane runs the same instructions.

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
    /// - the tail e + sl + u, three roundings at ≤ 2^-4 magnitude: < 0.02 ULP;
    /// - the final a + tail: ½ ULP. Total < 0.67 ULP before scaling.
    ///
    /// Scaling by 2^n goes in two exact-factor steps 2^(n>>1) then 2^(n−(n>>1)): the first
    /// product stays normal (exact), the second rounds once (a subnormal result is thus
    /// rounded twice, which costs at most ½ ULP of the subnormal on top), so subnormals and
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
    pub(super) fn pow2_from_exponent(&mut self, k: &str) -> String {
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

/// 1/ln 2 split as hi + lo, each rounded to f64: the conversion ln → log2 is carried in
/// double-double so it adds no rounding of its own.
const INV_LN2_HI: &str = "0d3FF71547652B82FE";
const INV_LN2_LO: &str = "0d3C7777D0FFDA0D24";

/// 2/(2k+1) for k = 1..=10, rounded to f64: ln(1+f) = 2·atanh(s), s = f/(2+f), and
/// 2·atanh(s) = 2s + s·Σ_{k≥1} 2/(2k+1)·s^(2k).
const ATANH_TAIL: [&str; 10] = [
    "0d3FE5555555555555",
    "0d3FD999999999999A",
    "0d3FD2492492492492",
    "0d3FCC71C71C71C71C",
    "0d3FC745D1745D1746",
    "0d3FC3B13B13B13B14",
    "0d3FC1111111111111",
    "0d3FBE1E1E1E1E1E1E",
    "0d3FBAF286BCA1AF28",
    "0d3FB8618618618618",
];

/// 2^54, to lift a subnormal into the normal range before reading its exponent.
const TWO_54: &str = "0d4350000000000000";
/// The high word of √2 (0x3FF6A09E667F3BCD): mantissas at or above it are halved, so the
/// reduced m lies in [0.7071067, 1.4142136).
const SQRT2_HI_WORD: &str = "0x3FF6A09E";

impl Emitter<'_> {
    /// `dst = log2(x)` within 1 ULP; exact (e) for x = 2^e.
    ///
    /// x = 2^e·m with m ∈ [√½, √2), f = m − 1 exact (Sterbenz), |f| ≤ 0.4143. With
    /// s = f/(2+f), 2s = f − f²/2 + s·f²/2, so ln(1+f) = f − c, c = h − s·(h + R),
    /// h = f²/2, R = Σ_{k=1..10} 2/(2k+1)·s^(2k) (s² ≤ 0.0295: the first term dropped is
    /// < 2^-60 of the result). Error, in ULPs of log2(m):
    /// - c ≤ 0.2·|f|, computed as h rounded and one `fma`: ≤ 1 ULP of c, < 0.3 ULP here;
    /// - s (two roundings) only enters s·(h + R) ~ f³/12: negligible;
    /// - f − c as the exact pair H + Lo (Fast2Sum, |f| ≥ |c|), times 1/ln2 as
    ///   double-double: the product's error is recovered by `fma`, the rest < 2^-100;
    /// - e + P as an exact pair (Fast2Sum, |e| ≥ 1 > |P| or e = 0), the tails summed and
    ///   one final rounding: ½ ULP. Total < 0.85 ULP for e = 0, less for e ≠ 0.
    ///
    /// Specials by `selp`: NaN → NaN, x < 0 → NaN, ±0 → −inf, +inf → +inf.
    pub(crate) fn log2_f64(&mut self, dst: &str, x: &str) {
        let (m, e) = self.log2_split(x);
        let (h, lo) = self.ln_reduced(&m);
        let r = self.log2_combine(&h, &lo, &e);
        let p = self.new_temp(RegClass::Pred);
        self.ins(format!("setp.eq.f64 {p}, {x}, 0d7FF0000000000000"));
        self.ins(format!("selp.f64 {r}, {x}, {r}, {p}"));
        self.ins(format!("setp.eq.f64 {p}, {x}, 0d0000000000000000"));
        self.ins(format!("selp.f64 {r}, 0dFFF0000000000000, {r}, {p}"));
        self.ins(format!("setp.lt.f64 {p}, {x}, 0d0000000000000000"));
        self.ins(format!("selp.f64 {r}, 0d7FF8000000000000, {r}, {p}"));
        self.ins(format!("setp.nan.f64 {p}, {x}, {x}"));
        self.ins(format!("selp.f64 {dst}, {x}, {r}, {p}"));
    }

    /// x > 0 finite as m (f64, in [√½, √2)) and e (f64, integral) with x = 2^e·m.
    fn log2_split(&mut self, x: &str) -> (String, String) {
        let xs = self.new_temp(RegClass::F64);
        let sub = self.new_temp(RegClass::Pred);
        let bias = self.new_temp(RegClass::B32);
        // subnormals (and 0, handled later) are scaled by 2^54, exactly
        self.ins(format!("setp.lt.f64 {sub}, {x}, 0d0010000000000000"));
        self.ins(format!("mul.rn.f64 {xs}, {x}, {TWO_54}"));
        self.ins(format!("selp.f64 {xs}, {xs}, {x}, {sub}"));
        self.ins(format!("selp.s32 {bias}, 1077, 1023, {sub}"));
        let lo = self.new_temp(RegClass::B32);
        let hi = self.new_temp(RegClass::B32);
        let ei = self.new_temp(RegClass::B32);
        let big = self.new_temp(RegClass::Pred);
        self.ins(format!("mov.b64 {{{lo}, {hi}}}, {xs}"));
        self.ins(format!("shr.u32 {ei}, {hi}, 20"));
        self.ins(format!("sub.s32 {ei}, {ei}, {bias}"));
        self.ins(format!("and.b32 {hi}, {hi}, 0x000FFFFF"));
        self.ins(format!("or.b32 {hi}, {hi}, 0x3FF00000"));
        // m ≥ √2: halve it (exponent field − 1) and count one more in e
        self.ins(format!("setp.ge.u32 {big}, {hi}, {SQRT2_HI_WORD}"));
        let step = self.new_temp(RegClass::B32);
        self.ins(format!("selp.b32 {step}, 1, 0, {big}"));
        self.ins(format!("add.s32 {ei}, {ei}, {step}"));
        self.ins(format!("shl.b32 {step}, {step}, 20"));
        self.ins(format!("sub.s32 {hi}, {hi}, {step}"));
        let m = self.new_temp(RegClass::F64);
        let e = self.new_temp(RegClass::F64);
        self.ins(format!("mov.b64 {m}, {{{lo}, {hi}}}"));
        self.ins(format!("cvt.rn.f64.s32 {e}, {ei}"));
        (m, e)
    }

    /// ln(m) for m ∈ [√½, √2) as an unevaluated pair H + Lo (see [`Self::log2_f64`]).
    fn ln_reduced(&mut self, m: &str) -> (String, String) {
        let f = self.new_temp(RegClass::F64);
        let s = self.new_temp(RegClass::F64);
        let z = self.new_temp(RegClass::F64);
        self.ins(format!("sub.rn.f64 {f}, {m}, 0d3FF0000000000000"));
        self.ins(format!("add.rn.f64 {s}, {f}, 0d4000000000000000"));
        self.ins(format!("div.rn.f64 {s}, {f}, {s}"));
        self.ins(format!("mul.rn.f64 {z}, {s}, {s}"));
        let t = self.new_temp(RegClass::F64);
        let last = ATANH_TAIL.len() - 1;
        self.ins(format!("mov.f64 {t}, {}", ATANH_TAIL[last]));
        for c in ATANH_TAIL[..last].iter().rev() {
            self.ins(format!("fma.rn.f64 {t}, {t}, {z}, {c}"));
        }
        // R = z·t; h = f²/2; c = h − s·(h + R), one rounding after h
        let h = self.new_temp(RegClass::F64);
        let c = self.new_temp(RegClass::F64);
        self.ins(format!("mul.rn.f64 {t}, {t}, {z}"));
        self.ins(format!("mul.rn.f64 {h}, {f}, {f}"));
        self.ins(format!("mul.rn.f64 {h}, {h}, 0d3FE0000000000000"));
        self.ins(format!("add.rn.f64 {t}, {t}, {h}"));
        self.ins(format!("neg.f64 {c}, {s}"));
        self.ins(format!("fma.rn.f64 {c}, {c}, {t}, {h}"));
        // H = f − c and Lo = (f − H) − c, exactly f − c in two parts (|f| ≥ |c|)
        let hh = self.new_temp(RegClass::F64);
        let lo = self.new_temp(RegClass::F64);
        self.ins(format!("sub.rn.f64 {hh}, {f}, {c}"));
        self.ins(format!("sub.rn.f64 {lo}, {f}, {hh}"));
        self.ins(format!("sub.rn.f64 {lo}, {lo}, {c}"));
        (hh, lo)
    }

    /// e + (H + Lo)/ln2, rounded once at the end (see [`Self::log2_f64`]).
    fn log2_combine(&mut self, hh: &str, lo: &str, e: &str) -> String {
        let p = self.new_temp(RegClass::F64);
        let tail = self.new_temp(RegClass::F64);
        self.ins(format!("mul.rn.f64 {p}, {hh}, {INV_LN2_HI}"));
        self.ins(format!("neg.f64 {tail}, {p}"));
        self.ins(format!("fma.rn.f64 {tail}, {hh}, {INV_LN2_HI}, {tail}"));
        self.ins(format!("fma.rn.f64 {tail}, {hh}, {INV_LN2_LO}, {tail}"));
        self.ins(format!("fma.rn.f64 {tail}, {lo}, {INV_LN2_HI}, {tail}"));
        // S = e + P and its exact error (e − S) + P: |e| ≥ 1 > |P| unless e = 0
        let sum = self.new_temp(RegClass::F64);
        let err = self.new_temp(RegClass::F64);
        self.ins(format!("add.rn.f64 {sum}, {e}, {p}"));
        self.ins(format!("sub.rn.f64 {err}, {e}, {sum}"));
        self.ins(format!("add.rn.f64 {err}, {err}, {p}"));
        self.ins(format!("add.rn.f64 {err}, {err}, {tail}"));
        self.ins(format!("add.rn.f64 {sum}, {sum}, {err}"));
        sum
    }
}
