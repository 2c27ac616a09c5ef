//! f32 fused multiply-add without a library call. The product of two f32 values is exact
//! in f64; adding the third in f64 rounded *to odd*, then rounding that to f32, gives
//! the correctly rounded f32 result, because f64 carries at least two bits more than
//! f32 needs (Boldo and Melquiond, "Emulation of FMA and correctly rounded sums: proved
//! algorithms using rounding to odd", 2008). Baseline x86-64 builds have no FMA
//! instruction, so `f32::mul_add` is a runtime-library call, which made `v_fma_f32` and
//! WMMA's bf16 steps some of the emulator's costliest lane operations.

/// `a * b + c` with one rounding: bit for bit what `a.mul_add(b, c)` returns.
#[inline(always)]
pub fn fma32(a: f32, b: f32, c: f32) -> f32 {
    let r = fma32_or_nan(a, b, c);
    if r.is_nan() {
        // Which NaN comes out is the fused operation's business.
        return a.mul_add(b, c);
    }
    r
}

/// [`fma32`] where the result is a number or an infinity; some NaN where it is a NaN.
/// Free of branches, so a loop over lanes vectorizes.
#[inline(always)]
pub fn fma32_or_nan(a: f32, b: f32, c: f32) -> f32 {
    let (p, c) = (f64::from(a) * f64::from(b), f64::from(c));
    let s = p + c;
    // The exact error of the f64 sum (Knuth's TwoSum; exact as nothing overflows). An
    // exactly zero sum has no error, so its sign stays the f64 sum's (the right one).
    let bb = s - p;
    let err = (p - (s - bb)) + (c - bb);
    let bits = s.to_bits();
    // Round to odd: an inexact sum with an even last bit steps to the odd neighbour on
    // the side of the exact sum. Infinities (and NaNs) stay as they are.
    let inexact_even = err != 0.0 && bits & 1 == 0 && s.is_finite();
    let away = (err > 0.0) == (s > 0.0);
    let step = if away { 1 } else { u64::MAX };
    let odd = if inexact_even {
        bits.wrapping_add(step)
    } else {
        bits
    };
    f64::from_bits(odd) as f32
}

#[cfg(test)]
mod tests {
    use super::fma32;

    /// f32 values from every class: random bits, and sums built to cancel and to land
    /// near rounding ties.
    fn next(s: &mut u64) -> u32 {
        *s ^= *s << 13;
        *s ^= *s >> 7;
        *s ^= *s << 17;
        (*s >> 16) as u32
    }

    #[test]
    fn matches_the_fused_library_operation() {
        let special = [
            0.0f32,
            -0.0,
            1.0,
            -1.0,
            f32::MIN_POSITIVE,
            f32::from_bits(1),
            f32::MAX,
            -f32::MAX,
            f32::INFINITY,
            f32::NEG_INFINITY,
            f32::NAN,
            1.0 + f32::EPSILON,
        ];
        let mut s = 0x9e37_79b9_7f4a_7c15u64;
        for n in 0..2_000_000u32 {
            let r = [next(&mut s), next(&mut s), next(&mut s)];
            let pick = |k: usize| {
                if r[k] >> 28 == 0 {
                    special[(r[k] as usize) % special.len()]
                } else if n % 3 == 0 {
                    // Moderate exponents, where products and addends overlap.
                    f32::from_bits((r[k] & 0x807f_ffff) | ((120 + (r[k] >> 23) % 16) << 23))
                } else {
                    f32::from_bits(r[k])
                }
            };
            let (a, b) = (pick(0), pick(1));
            // Half the time an addend that nearly cancels the product.
            let c = if n % 2 == 0 {
                -(a * b) * (1.0 + f32::from_bits(r[2] & 0x7f) * f32::EPSILON)
            } else {
                pick(2)
            };
            let want = a.mul_add(b, c);
            let got = fma32(a, b, c);
            assert_eq!(got.to_bits(), want.to_bits(), "fma({a:e}, {b:e}, {c:e})");
        }
    }
}
