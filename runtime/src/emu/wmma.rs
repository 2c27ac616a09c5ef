//! The arithmetic of a WMMA 16x16x16 step: D = C + A x B, each of the 16 products of a
//! result element added to its accumulator in k order with one rounding to f32 (a fused
//! multiply-add). `vector.rs` does the register layout and the strict checks.
//!
//! Speed: the product of two f16 values has at most 22 significant bits and lies in
//! [2^-48, 2^32), so it is exact in f32, and a plain multiply then add rounds exactly
//! once, like the fused multiply-add. That loop is branch-free over 16 columns, which the
//! compiler vectorizes; a call to `mul_add` per product (a library call on a baseline
//! x86-64 build) was most of the time of the f16 matmul example. bf16 products can
//! overflow or underflow f32, so bf16 keeps the fused chain.

/// A 16x16 matrix of f32, row-major.
pub type Matrix = [[f32; 16]; 16];

/// `acc[i][j] += sum over k of a[i][k] * b[j][k]` (B given by columns), one fused
/// multiply-add per k in order. `exact_products`: every `a[i][k] * b[j][k]` is exact in
/// f32 (both converted from f16), so the fast loop gives the same bits.
pub fn accumulate(a: &Matrix, b: &Matrix, acc: &mut Matrix, exact_products: bool) {
    if !exact_products {
        for (i, row) in acc.iter_mut().enumerate() {
            for (j, x) in row.iter_mut().enumerate() {
                *x = fused(&a[i], &b[j], *x);
            }
        }
        return;
    }
    let start = *acc;
    let mut bt = [[0f32; 16]; 16];
    for (j, col) in b.iter().enumerate() {
        for (k, &y) in col.iter().enumerate() {
            bt[k][j] = y;
        }
    }
    for (row, a_row) in acc.iter_mut().zip(a) {
        for (&x, b_row) in a_row.iter().zip(&bt) {
            for (r, &y) in row.iter_mut().zip(b_row) {
                *r += x * y;
            }
        }
    }
    // Which NaN a sum of NaNs keeps depends on operand order: redo those elements the
    // fused way so even NaN payloads match it.
    for (i, row) in acc.iter_mut().enumerate() {
        for (j, x) in row.iter_mut().enumerate() {
            if x.is_nan() {
                *x = fused(&a[i], &b[j], start[i][j]);
            }
        }
    }
}

/// One element: `c` plus the 16 products in k order, each step fused.
fn fused(a: &[f32; 16], b: &[f32; 16], c: f32) -> f32 {
    a.iter()
        .zip(b)
        .fold(c, |acc, (&x, &y)| super::fma::fma32(x, y, acc))
}

#[cfg(test)]
mod tests {
    use super::*;
    use half::f16;

    /// A deterministic stream of f16 values covering normals, subnormals, zeros of both
    /// signs, the largest finite values and infinities.
    fn halves(seed: u32) -> Matrix {
        let mut m = [[0f32; 16]; 16];
        let mut s = seed;
        for x in m.iter_mut().flatten() {
            s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let bits = match s >> 28 {
                0 => (s >> 8) as u16 & 0x83ff,            // subnormal or zero
                1 => 0x7bff | ((s >> 8) as u16 & 0x8000), // largest finite
                2 if s & 0x100 == 0 => 0x7c00,            // infinity
                _ => (s >> 8) as u16 & 0xbfff,            // normal, moderate exponent
            };
            *x = f16::from_bits(bits).to_f32();
        }
        m
    }

    #[test]
    fn fast_loop_matches_the_fused_chain_bit_for_bit() {
        for seed in 0..200 {
            let (a, b) = (halves(seed), halves(seed + 1000));
            let mut c = halves(seed + 2000);
            c[3][5] = f32::NAN;
            c[7][1] = -0.0;
            let mut fast = c;
            accumulate(&a, &b, &mut fast, true);
            // The oracle: the definition, one `mul_add` per product.
            for i in 0..16 {
                for j in 0..16 {
                    let mut want = c[i][j];
                    for k in 0..16 {
                        want = a[i][k].mul_add(b[j][k], want);
                    }
                    assert_eq!(
                        fast[i][j].to_bits(),
                        want.to_bits(),
                        "seed {seed} ({i}, {j})"
                    );
                }
            }
        }
    }
}
