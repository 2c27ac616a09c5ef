//! The PTX ISA's fragment layouts, written from its text (PTX ISA 8.x/9.0, section "Warp-level
//! matrix instructions"), independently of the lowering: which lane holds which element.
//! Quotes are from the ISA; `i` is the element's index in the lane's fragment.

/// "groupID = %laneid >> 2"
fn group_id(lane: usize) -> usize {
    lane >> 2
}

/// "threadID_in_group = %laneid % 4"
fn thread_in_group(lane: usize) -> usize {
    lane % 4
}

/// "Matrix Fragments for mma.m16n8k16 with floating point type", multiplicand A (.f16/.bf16,
/// "four .f16x2 registers … a0, a1, a2, a3, a4, a5, a6, a7"): (row = m, col = k) of `ai`.
///   row = groupID for ai where 0 <= i < 2 || 4 <= i < 6; groupID + 8 otherwise
///   col = (threadID_in_group * 2) + (i & 0x1) for ai where i < 4; … + 8 for ai where i >= 4
pub(crate) fn mma_a(lane: usize, i: usize) -> (usize, usize) {
    let row = if i < 2 || (4..6).contains(&i) {
        group_id(lane)
    } else {
        group_id(lane) + 8
    };
    let col = thread_in_group(lane) * 2 + (i & 1) + if i < 4 { 0 } else { 8 };
    (row, col)
}

/// Multiplicand B ("two .f16x2 registers … b0, b1, b2, b3"): (row = k, col = n) of `bi`.
///   row = (threadID_in_group * 2) + (i & 0x1) for bi where i < 2; … + 8 for bi where i >= 2
///   col = groupID
pub(crate) fn mma_b(lane: usize, i: usize) -> (usize, usize) {
    let row = thread_in_group(lane) * 2 + (i & 1) + if i < 2 { 0 } else { 8 };
    (row, group_id(lane))
}

/// Accumulators C/D (.f32, "four .f32 registers … c0, c1, c2, c3"): (row = m, col = n) of `ci`.
///   row = groupID for ci where i < 2; groupID + 8 for ci where i >= 2
///   col = (threadID_in_group * 2) + (i & 0x1) for ci where i = {0,..,3}
pub(crate) fn mma_c(lane: usize, i: usize) -> (usize, usize) {
    let row = if i < 2 {
        group_id(lane)
    } else {
        group_id(lane) + 8
    };
    (row, thread_in_group(lane) * 2 + (i & 1))
}

/// "ldmatrix" .m8n8 with 16-bit elements: (row, col) within one stored 8×8 matrix of the
/// element `j` (0 = low half, 1 = high half of the lane's 32-bit register). "Each thread in a
/// warp loads fragments of a row, with thread 0 receiving the first fragment in its register
/// r, and so on. A group of four threads loads an entire row of the matrix" (Figure
/// "ldmatrix fragment layout for one 8x8 matrix with 16-bit elements": thread t holds row
/// t / 4, columns 2·(t % 4) and 2·(t % 4) + 1). "Optional qualifier .trans indicates that the
/// matrix is loaded in column-major format": the same distribution over the transposed
/// matrix, so thread t holds stored rows 2·(t % 4) + j of column t / 4.
pub(crate) fn ldmatrix(lane: usize, j: usize, trans: bool) -> (usize, usize) {
    let (row, col) = (lane / 4, 2 * (lane % 4) + j);
    if trans { (col, row) } else { (row, col) }
}

/// "ldmatrix": .x4 takes the row addresses of matrix `m` from threads 8m … 8m + 7 ("Addresses
/// addr0–addr7 correspond to the rows of the first matrix, addresses addr8–addr15 … the
/// second matrix, and so on"); the lane whose address is row `r` of matrix `m`.
pub(crate) fn ldmatrix_address_lane(m: usize, r: usize) -> usize {
    8 * m + r
}

/// IEEE binary16 bits to their exact value.
pub(crate) fn f16_value(bits: u16) -> f64 {
    let sign = if bits & 0x8000 != 0 { -1.0 } else { 1.0 };
    let exp = i32::from((bits >> 10) & 0x1f);
    let mant = f64::from(bits & 0x3ff);
    match exp {
        0 => sign * mant * 2f64.powi(-24),
        31 if mant == 0.0 => sign * f64::INFINITY,
        31 => f64::NAN,
        _ => sign * (1024.0 + mant) * 2f64.powi(exp - 25),
    }
}

/// bfloat16 bits (the top half of an f32) to their exact value.
pub(crate) fn bf16_value(bits: u16) -> f64 {
    f64::from(f32::from_bits(u32::from(bits) << 16))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each layout gives every element of its matrix to exactly one (lane, i): a typo in a
    /// formula above would leave a hole or a duplicate.
    #[test]
    fn layouts_cover_their_matrices_once() {
        // (name, rows, columns, elements per lane, layout)
        type Case = (
            &'static str,
            usize,
            usize,
            usize,
            fn(usize, usize) -> (usize, usize),
        );
        let cases: [Case; 3] = [
            ("A", 16, 16, 8, mma_a),
            ("B", 16, 8, 4, mma_b),
            ("C", 16, 8, 4, mma_c),
        ];
        for (name, rows, cols, per_lane, layout) in cases {
            let mut seen = vec![0u32; rows * cols];
            for lane in 0..32 {
                for i in 0..per_lane {
                    let (r, c) = layout(lane, i);
                    assert!(
                        r < rows && c < cols,
                        "{name}: lane {lane} a{i} at ({r},{c})"
                    );
                    seen[r * cols + c] += 1;
                }
            }
            assert!(seen.iter().all(|&n| n == 1), "{name}: {seen:?}");
        }
    }

    #[test]
    fn half_decoders_match_known_values() {
        // 0x3c00 = 1.0, 0xc000 = -2.0, 0x0001 = 2^-24 (IEEE 754 binary16); 0x3f80 = 1.0 bf16.
        assert_eq!(f16_value(0x3c00), 1.0);
        assert_eq!(f16_value(0xc000), -2.0);
        assert_eq!(f16_value(0x0001), 2f64.powi(-24));
        assert_eq!(f16_value(0x3555), 0.333_251_953_125);
        assert_eq!(bf16_value(0x3f80), 1.0);
        assert_eq!(bf16_value(0xc0a0), -5.0);
    }
}
