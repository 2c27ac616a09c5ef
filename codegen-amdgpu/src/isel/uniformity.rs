//! Uniformity analysis: which kernel-IR values are equal on every lane of a wave (they can
//! live in SGPRs and steer scalar branches). One forward walk: constants, parameters,
//! workgroup ids and values computed only from uniform values under uniform control are
//! uniform; local ids, loads at per-lane indices, subgroup results of a per-lane operand
//! (are uniform!), and accumulators updated under per-lane control are not.

/// Per value (by `ValueId` index), whether it is uniform; per accumulator likewise.
#[derive(Clone, Debug, Default)]
pub struct Uniformity {
    pub values: Vec<bool>,
    pub accs: Vec<bool>,
}
