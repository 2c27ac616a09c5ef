//! f64 `sin` as an inline sequence: Payne–Hanek reduction of |x| by the bits of 2/π for
//! every finite argument (one path, no size cut-off, so no input range is left out), then
//! sin or cos polynomials on [−π/4, π/4] chosen by the quadrant. No `call`, no `.const`
//! table: the 2/π words are immediates picked by `setp`/`selp`.

use super::emitter::Emitter;
use super::sink::RegClass;

/// 2/π as 19 words of 64 bits (1216 bits, from 1600-bit mpmath), after two zero words:
/// the zeros let the window start before the binary point for small arguments.
const TWO_OVER_PI: [&str; 21] = [
    "0x0000000000000000",
    "0x0000000000000000",
    "0xA2F9836E4E441529",
    "0xFC2757D1F534DDC0",
    "0xDB6295993C439041",
    "0xFE5163ABDEBBC561",
    "0xB7246E3A424DD2E0",
    "0x06492EEA09D1921C",
    "0xFE1DEB1CB129A73E",
    "0xE88235F52EBB4484",
    "0xE99C7026B45F7E41",
    "0x3991D639835339F4",
    "0x9C845F8BBDF9283B",
    "0x1FF897FFDE05980F",
    "0xEF2F118B5A0A6D1F",
    "0x6D367ECF27CB09B7",
    "0x4F463F669E5FEA2D",
    "0x7527BAC7EBE5F17B",
    "0x3D0739F78A5292EA",
    "0x6BFB5FB11F8D5D08",
    "0x56033046FC7B6BAB",
];

/// π/2 as hi + lo, each rounded to f64.
const PIO2_HI: &str = "0d3FF921FB54442D18";
const PIO2_LO: &str = "0d3C91A62633145C07";

/// (−1)^k/(2k+1)! for k = 1..=10, rounded to f64: sin r = r + r·z·S(z), z = r².
const SIN_TAIL: [&str; 10] = [
    "0dBFC5555555555555",
    "0d3F81111111111111",
    "0dBF2A01A01A01A01A",
    "0d3EC71DE3A556C734",
    "0dBE5AE64567F544E4",
    "0d3DE6124613A86D09",
    "0dBD6AE7F3E733B81F",
    "0d3CE952C77030AD4A",
    "0dBC62F49B46814157",
    "0d3BD71B8EF6DCF572",
];

/// (−1)^k/(2k)! for k = 2..=11, rounded to f64: cos r = 1 − z/2 + z²·C(z).
const COS_TAIL: [&str; 10] = [
    "0d3FA5555555555555",
    "0dBF56C16C16C16C17",
    "0d3EFA01A01A01A01A",
    "0dBE927E4FB7789F5C",
    "0d3E21EED8EFF8D898",
    "0dBDA93974A8C07C9D",
    "0d3D2AE7F3E733B81F",
    "0dBCA6827863B97D97",
    "0d3C1E542BA4020225",
    "0dBB90CE396DB7F853",
];

/// Below this |x|, sin x rounds to x (x³/6 < 2^-54 of x).
const TINY: &str = "0d3E50000000000000"; // 2^-26

impl Emitter<'_> {
    /// `dst = sin(x)` within 1 ULP for every finite x; NaN and ±inf give NaN, |x| < 2^-26
    /// (±0 and subnormals included) gives x.
    ///
    /// |x| = M·2^E with M the 53-bit integer mantissa. Bits of 2/π above 2^(2−E) only add
    /// multiples of 4 to |x|·2/π, so a 192-bit window W of 2/π starting there gives
    /// |x|·2/π ≡ M·W·2^-190 (mod 4), the dropped tail under 2^-137. The window's low 192
    /// product bits hold the quadrant (2 bits) and 190 fraction bits; at least ~61 fraction
    /// bits are zero-free for any double (the closest double to a multiple of π/2 is
    /// ~2^-61 away), so the 128 kept bits leave > 60 significant ones.
    pub(crate) fn sin_f64(&mut self, dst: &str, x: &str) {
        let (m, t) = self.sin_split(x);
        let w = self.sin_window(&t);
        let (a, b, n) = self.sin_product(&m, &w);
        let (rh, rl) = self.sin_fraction_to_radians(&a, &b);
        let s = self.sin_poly(&rh, &rl);
        let c = self.cos_poly(&rh, &rl);
        self.sin_finish(dst, x, &n, &s, &c);
    }

    /// |x| as M (u64, implicit bit set) and t = E + 126 (s32): the window starts at bit
    /// t of the zero-padded table, counting from 0 at its top.
    fn sin_split(&mut self, x: &str) -> (String, String) {
        let ax = self.new_temp(RegClass::F64);
        let bits = self.new_temp(RegClass::B64);
        let m = self.new_temp(RegClass::B64);
        let e = self.new_temp(RegClass::B64);
        let t = self.new_temp(RegClass::B32);
        self.ins(format!("abs.f64 {ax}, {x}"));
        self.ins(format!("mov.b64 {bits}, {ax}"));
        self.ins(format!("and.b64 {m}, {bits}, 0x000FFFFFFFFFFFFF"));
        self.ins(format!("or.b64 {m}, {m}, 0x0010000000000000"));
        self.ins(format!("shr.u64 {e}, {bits}, 52"));
        self.ins(format!("cvt.u32.u64 {t}, {e}"));
        // E = biased − 1075, t = E + 126
        self.ins(format!("sub.s32 {t}, {t}, 949"));
        (m, t)
    }

    /// The three 64-bit window words starting at bit t of [`TWO_OVER_PI`].
    fn sin_window(&mut self, t: &str) -> [String; 3] {
        let q = self.new_temp(RegClass::B32);
        let o = self.new_temp(RegClass::B32);
        let ro = self.new_temp(RegClass::B32);
        self.ins(format!("shr.s32 {q}, {t}, 6"));
        self.ins(format!("and.b32 {o}, {t}, 63"));
        self.ins(format!("sub.s32 {ro}, 64, {o}"));
        let words: [String; 4] = std::array::from_fn(|_| self.new_temp(RegClass::B64));
        for w in &words {
            self.ins(format!("mov.b64 {w}, 0"));
        }
        let p = self.new_temp(RegClass::Pred);
        for j in 0..TWO_OVER_PI.len() - 3 {
            self.ins(format!("setp.eq.s32 {p}, {q}, {j}"));
            for (i, w) in words.iter().enumerate() {
                let c = TWO_OVER_PI[j + i];
                self.ins(format!("selp.b64 {w}, {c}, {w}, {p}"));
            }
        }
        // shifts of 64 give 0 (PTX clamps the amount), so o = 0 needs no special case
        let out: [String; 3] = std::array::from_fn(|_| self.new_temp(RegClass::B64));
        let tmp = self.new_temp(RegClass::B64);
        for (i, w) in out.iter().enumerate() {
            self.ins(format!("shl.b64 {w}, {}, {o}", words[i]));
            self.ins(format!("shr.b64 {tmp}, {}, {ro}", words[i + 1]));
            self.ins(format!("or.b64 {w}, {w}, {tmp}"));
        }
        out
    }

    /// M·W mod 2^192 = P2:P1:P0; returns the top 128 fraction bits (A, B) as a signed
    /// fraction in [−½, ½) of a quadrant and the quadrant n (u32, rounded to nearest).
    fn sin_product(&mut self, m: &str, w: &[String; 3]) -> (String, String, String) {
        let p0 = self.new_temp(RegClass::B64);
        let p1 = self.new_temp(RegClass::B64);
        let p2 = self.new_temp(RegClass::B64);
        let lo1 = self.new_temp(RegClass::B64);
        let carry = self.new_temp(RegClass::Pred);
        let c = self.new_temp(RegClass::B64);
        self.ins(format!("mul.lo.u64 {p0}, {m}, {}", w[2]));
        self.ins(format!("mul.hi.u64 {p1}, {m}, {}", w[2]));
        self.ins(format!("mul.lo.u64 {lo1}, {m}, {}", w[1]));
        self.ins(format!("add.u64 {p1}, {p1}, {lo1}"));
        self.ins(format!("setp.lt.u64 {carry}, {p1}, {lo1}"));
        self.ins(format!("selp.b64 {c}, 1, 0, {carry}"));
        self.ins(format!("mul.hi.u64 {p2}, {m}, {}", w[1]));
        self.ins(format!("add.u64 {p2}, {p2}, {c}"));
        self.ins(format!("mad.lo.u64 {p2}, {m}, {}, {p2}", w[0]));
        // integer part mod 4 in bits 190..191; A:B = bits 189..62 as a signed fraction
        let a = self.new_temp(RegClass::B64);
        let b = self.new_temp(RegClass::B64);
        let tmp = self.new_temp(RegClass::B64);
        self.ins(format!("shl.b64 {a}, {p2}, 2"));
        self.ins(format!("shr.b64 {tmp}, {p1}, 62"));
        self.ins(format!("or.b64 {a}, {a}, {tmp}"));
        self.ins(format!("shl.b64 {b}, {p1}, 2"));
        self.ins(format!("shr.b64 {tmp}, {p0}, 62"));
        self.ins(format!("or.b64 {b}, {b}, {tmp}"));
        // n = integer part + 1 when the fraction is ≥ ½ (then A:B is its negative remainder)
        let n = self.new_temp(RegClass::B32);
        let up = self.new_temp(RegClass::B32);
        self.ins(format!("shr.b64 {tmp}, {p2}, 62"));
        self.ins(format!("cvt.u32.u64 {n}, {tmp}"));
        self.ins(format!("shr.b64 {tmp}, {a}, 63"));
        self.ins(format!("cvt.u32.u64 {up}, {tmp}"));
        self.ins(format!("add.u32 {n}, {n}, {up}"));
        (a, b, n)
    }

    /// The signed 128-bit fraction A:B·2^-128 times π/2, as a double-double (rh, rl).
    fn sin_fraction_to_radians(&mut self, a: &str, b: &str) -> (String, String) {
        let neg = self.new_temp(RegClass::Pred);
        let na = self.new_temp(RegClass::B64);
        let nb = self.new_temp(RegClass::B64);
        let bz = self.new_temp(RegClass::Pred);
        let c = self.new_temp(RegClass::B64);
        // |A:B|: two's complement negation across both words
        self.ins(format!("setp.lt.s64 {neg}, {a}, 0"));
        self.ins(format!("neg.s64 {nb}, {b}"));
        self.ins(format!("not.b64 {na}, {a}"));
        self.ins(format!("setp.eq.u64 {bz}, {b}, 0"));
        self.ins(format!("selp.b64 {c}, 1, 0, {bz}"));
        self.ins(format!("add.u64 {na}, {na}, {c}"));
        self.ins(format!("selp.b64 {na}, {na}, {a}, {neg}"));
        self.ins(format!("selp.b64 {nb}, {nb}, {b}, {neg}"));
        // normalize: N = top 64 bits after shifting out the clz leading zeros, N2 the next
        let lz = self.new_temp(RegClass::B32);
        let rlz = self.new_temp(RegClass::B32);
        let top = self.new_temp(RegClass::B64);
        let next = self.new_temp(RegClass::B64);
        let tmp = self.new_temp(RegClass::B64);
        self.ins(format!("clz.b64 {lz}, {na}"));
        self.ins(format!("sub.s32 {rlz}, 64, {lz}"));
        self.ins(format!("shl.b64 {top}, {na}, {lz}"));
        self.ins(format!("shr.b64 {tmp}, {nb}, {rlz}"));
        self.ins(format!("or.b64 {top}, {top}, {tmp}"));
        self.ins(format!("shl.b64 {next}, {nb}, {lz}"));
        // hi = N's top 53 bits (exact); lo = N's low 11 bits + N2·2^-64
        let hi = self.new_temp(RegClass::F64);
        let lo = self.new_temp(RegClass::F64);
        let f = self.new_temp(RegClass::F64);
        self.ins(format!("and.b64 {tmp}, {top}, 0xFFFFFFFFFFFFF800"));
        self.ins(format!("cvt.rn.f64.u64 {hi}, {tmp}"));
        self.ins(format!("and.b64 {tmp}, {top}, 0x7FF"));
        self.ins(format!("cvt.rn.f64.u64 {lo}, {tmp}"));
        self.ins(format!("cvt.rn.f64.u64 {f}, {next}"));
        self.ins(format!("fma.rn.f64 {lo}, {f}, 0d3BF0000000000000, {lo}"));
        // × 2^-(64+lz), exact (≥ 2^-128, normal), and the sign back
        let k = self.new_temp(RegClass::B32);
        self.ins(format!("add.s32 {k}, {lz}, 64"));
        self.ins(format!("neg.s32 {k}, {k}"));
        let s = self.pow2_from_exponent(&k);
        let ns = self.new_temp(RegClass::F64);
        self.ins(format!("neg.f64 {ns}, {s}"));
        self.ins(format!("selp.f64 {s}, {ns}, {s}, {neg}"));
        self.ins(format!("mul.rn.f64 {hi}, {hi}, {s}"));
        self.ins(format!("mul.rn.f64 {lo}, {lo}, {s}"));
        // (hi + lo)·(PIO2_HI + PIO2_LO), the product's rounding error recovered by fma
        let rh = self.new_temp(RegClass::F64);
        let rl = self.new_temp(RegClass::F64);
        self.ins(format!("mul.rn.f64 {rh}, {hi}, {PIO2_HI}"));
        self.ins(format!("neg.f64 {rl}, {rh}"));
        self.ins(format!("fma.rn.f64 {rl}, {hi}, {PIO2_HI}, {rl}"));
        self.ins(format!("fma.rn.f64 {rl}, {hi}, {PIO2_LO}, {rl}"));
        self.ins(format!("fma.rn.f64 {rl}, {lo}, {PIO2_HI}, {rl}"));
        // renormalize (Fast2Sum: |rh| ≥ |rl|)
        let h2 = self.new_temp(RegClass::F64);
        self.ins(format!("add.rn.f64 {h2}, {rh}, {rl}"));
        self.ins(format!("sub.rn.f64 {rh}, {rh}, {h2}"));
        self.ins(format!("add.rn.f64 {rl}, {rl}, {rh}"));
        (h2, rl)
    }

    /// sin(rh + rl) ≈ rh + (rh·z·S(z) + rl·(1 − z/2)), z = rh², |rh| ≤ π/4.
    fn sin_poly(&mut self, rh: &str, rl: &str) -> String {
        let z = self.new_temp(RegClass::F64);
        let t = self.new_temp(RegClass::F64);
        self.ins(format!("mul.rn.f64 {z}, {rh}, {rh}"));
        self.horner(&t, &z, &SIN_TAIL);
        self.ins(format!("mul.rn.f64 {t}, {t}, {z}"));
        self.ins(format!("mul.rn.f64 {t}, {t}, {rh}"));
        let v = self.new_temp(RegClass::F64);
        self.ins(format!("mul.rn.f64 {v}, {z}, 0dBFE0000000000000"));
        self.ins(format!("fma.rn.f64 {v}, {v}, {rl}, {rl}"));
        self.ins(format!("add.rn.f64 {t}, {t}, {v}"));
        let r = self.new_temp(RegClass::F64);
        self.ins(format!("add.rn.f64 {r}, {rh}, {t}"));
        r
    }

    /// cos(rh + rl) ≈ w + ((1 − w − z/2) − ze/2 + z²·C(z) − rl·rh), w = 1 − z/2 and
    /// ze = rh² − z exact (fma).
    fn cos_poly(&mut self, rh: &str, rl: &str) -> String {
        let z = self.new_temp(RegClass::F64);
        let ze = self.new_temp(RegClass::F64);
        let hz = self.new_temp(RegClass::F64);
        let w = self.new_temp(RegClass::F64);
        let e = self.new_temp(RegClass::F64);
        self.ins(format!("mul.rn.f64 {z}, {rh}, {rh}"));
        self.ins(format!("neg.f64 {ze}, {z}"));
        self.ins(format!("fma.rn.f64 {ze}, {rh}, {rh}, {ze}"));
        self.ins(format!("mul.rn.f64 {hz}, {z}, 0d3FE0000000000000"));
        // w = 1 − hz and its exact error (Fast2Sum: 1 ≥ hz)
        self.ins(format!("sub.rn.f64 {w}, 0d3FF0000000000000, {hz}"));
        self.ins(format!("sub.rn.f64 {e}, 0d3FF0000000000000, {w}"));
        self.ins(format!("sub.rn.f64 {e}, {e}, {hz}"));
        let t = self.new_temp(RegClass::F64);
        self.horner(&t, &z, &COS_TAIL);
        self.ins(format!("mul.rn.f64 {t}, {t}, {z}"));
        self.ins(format!("mul.rn.f64 {t}, {t}, {z}"));
        self.ins(format!("fma.rn.f64 {t}, {ze}, 0dBFE0000000000000, {t}"));
        let nrl = self.new_temp(RegClass::F64);
        self.ins(format!("neg.f64 {nrl}, {rl}"));
        self.ins(format!("fma.rn.f64 {t}, {nrl}, {rh}, {t}"));
        self.ins(format!("add.rn.f64 {e}, {e}, {t}"));
        self.ins(format!("add.rn.f64 {w}, {w}, {e}"));
        w
    }

    /// t = Σ coeffs[i]·z^i by Horner.
    fn horner(&mut self, t: &str, z: &str, coeffs: &[&str]) {
        let Some((last, rest)) = coeffs.split_last() else {
            return;
        };
        self.ins(format!("mov.f64 {t}, {last}"));
        for c in rest.iter().rev() {
            self.ins(format!("fma.rn.f64 {t}, {t}, {z}, {c}"));
        }
    }

    /// Quadrant n: 0 → sin, 1 → cos, 2 → −sin, 3 → −cos; then x's sign, the tiny case and
    /// NaN for NaN/±inf (x − x).
    fn sin_finish(&mut self, dst: &str, x: &str, n: &str, s: &str, c: &str) {
        let bit = self.new_temp(RegClass::B32);
        let p = self.new_temp(RegClass::Pred);
        let r = self.new_temp(RegClass::F64);
        let nr = self.new_temp(RegClass::F64);
        self.ins(format!("and.b32 {bit}, {n}, 1"));
        self.ins(format!("setp.ne.u32 {p}, {bit}, 0"));
        self.ins(format!("selp.f64 {r}, {c}, {s}, {p}"));
        self.ins(format!("and.b32 {bit}, {n}, 2"));
        // flip when exactly one of (n & 2) and x < 0 holds
        let q = self.new_temp(RegClass::Pred);
        self.ins(format!("setp.ne.u32 {p}, {bit}, 0"));
        self.ins(format!("setp.lt.f64 {q}, {x}, 0d0000000000000000"));
        self.ins(format!("xor.pred {p}, {p}, {q}"));
        self.ins(format!("neg.f64 {nr}, {r}"));
        self.ins(format!("selp.f64 {r}, {nr}, {r}, {p}"));
        let ax = self.new_temp(RegClass::F64);
        self.ins(format!("abs.f64 {ax}, {x}"));
        self.ins(format!("setp.lt.f64 {p}, {ax}, {TINY}"));
        self.ins(format!("selp.f64 {r}, {x}, {r}, {p}"));
        let d = self.new_temp(RegClass::F64);
        self.ins(format!("sub.rn.f64 {d}, {x}, {x}"));
        self.ins(format!("setp.nan.f64 {p}, {d}, {d}"));
        self.ins(format!("selp.f64 {dst}, {d}, {r}, {p}"));
    }
}
