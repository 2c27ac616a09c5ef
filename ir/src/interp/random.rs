//! Deterministic seeded tensors for tests: the same seed gives the same values on every
//! machine (integer arithmetic and exact float steps only).

use super::{Data, Tensor};
use crate::{DType, Graph, Shape, round_float};
use std::collections::BTreeMap;

/// The splitmix64 generator: tiny, fast and good enough for test data. Public so tests that
/// need reproducible choices use the same generator.
pub struct SplitMix64(pub u64);

impl SplitMix64 {
    /// The next 64 random bits.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// A tensor for every input of `graph`, keyed by input name. Each input's values depend only
/// on `seed` and the input's own name, dtype and shape, so adding or reordering inputs leaves
/// the others unchanged. See [`random_tensor`] for the ranges.
///
/// Allocates every input in full: check shapes against [`super::ELEMENT_LIMIT`] first when
/// they come from untrusted text.
pub fn random_inputs(graph: &Graph, seed: u64) -> BTreeMap<String, Tensor> {
    let mut inputs = BTreeMap::new();
    for &id in graph.inputs() {
        let (name, node) = (graph.input_name(id), graph.node(id));
        inputs.insert(
            name.to_string(),
            random_input(name, node.dtype, &node.shape, seed),
        );
    }
    inputs
}

/// The value [`random_inputs`] gives the input `name` of `dtype` and `shape` for `seed`, for
/// callers that need only some inputs (the others coming from files).
pub fn random_input(name: &str, dtype: DType, shape: &Shape, seed: u64) -> Tensor {
    random_tensor(dtype, shape, seed ^ name_hash(name))
}

/// A tensor of `dtype` and `shape` with values drawn from `seed`: floats uniform in [-1, 1)
/// rounded to the dtype, signed integers uniform in [-16, 16), unsigned in [0, 16), bools
/// true or false with equal chance.
///
/// Allocates the whole tensor: check the shape against [`super::ELEMENT_LIMIT`] first when it
/// comes from untrusted text.
pub fn random_tensor(dtype: DType, shape: &Shape, seed: u64) -> Tensor {
    // Mixing the seed once keeps nearby seeds (0, 1, 2, …) from giving shifted streams.
    let mut rng = SplitMix64(SplitMix64(seed).next());
    let bits = (0..shape.numel()).map(|_| rng.next());
    let data = if dtype.is_bool() {
        Data::Bool(bits.map(|r| r >> 63 == 1).collect())
    } else if dtype.is_float() {
        Data::Float(bits.map(|r| unit_float(r, dtype)).collect())
    } else if dtype.is_signed_int() {
        Data::Int(bits.map(|r| i128::from(r >> 59) - 16).collect())
    } else {
        Data::Int(bits.map(|r| i128::from(r >> 60)).collect())
    };
    Tensor {
        dtype,
        shape: shape.clone(),
        data,
    }
}

/// A float uniform in [-1, 1) from the top 53 bits of `bits`, rounded to `dtype`. Values that
/// round up to 1.0 are replaced by the largest value below it, keeping the range half-open.
fn unit_float(bits: u64, dtype: DType) -> f64 {
    // k / 2^52 - 1 for k < 2^53 is exact in f64: an integer of at most 53 bits times 2^-52.
    let k = (bits >> 11) as f64;
    let value = round_float(k * f64::powi(2.0, -52) - 1.0, dtype);
    if value < 1.0 {
        value
    } else {
        let precision = dtype.float_precision().unwrap_or(53);
        1.0 - f64::powi(2.0, -(precision as i32))
    }
}

/// FNV-1a over the name's bytes: a fixed, portable hash (std's hashers are not guaranteed
/// stable across releases).
fn name_hash(name: &str) -> u64 {
    name.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(dims: &[usize]) -> Shape {
        Shape::new(dims.to_vec()).unwrap_or_default()
    }

    #[test]
    fn same_seed_same_values_other_seed_other_values() {
        let a = random_tensor(DType::F32, &shape(&[64]), 7);
        assert!(a.same(&random_tensor(DType::F32, &shape(&[64]), 7)));
        assert!(!a.same(&random_tensor(DType::F32, &shape(&[64]), 8)));
    }

    #[test]
    fn values_stay_in_range() {
        for dtype in DType::ALL {
            let t = random_tensor(dtype, &shape(&[4096]), 3);
            let (lo, hi) = match dtype {
                d if d.is_float() => (-1.0, 1.0),
                d if d.is_signed_int() => (-16.0, 16.0),
                d if d.is_unsigned_int() => (0.0, 16.0),
                _ => (0.0, 2.0),
            };
            assert!(t.to_f64_vec().iter().all(|&v| lo <= v && v < hi), "{dtype}");
            assert!(t.validate().is_ok(), "{dtype}");
        }
    }

    #[test]
    fn values_near_one_stay_below_it() {
        assert_eq!(unit_float(u64::MAX, DType::F16), 1.0 - f64::powi(2.0, -11));
        assert_eq!(unit_float(0, DType::BF16), -1.0);
    }
}
