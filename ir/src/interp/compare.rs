//! Comparing a backend's result with the reference: per-dtype tolerances and the worst
//! element, for `egpu run --check` and the tests.

use super::Tensor;
use crate::DType;

/// Absolute and relative tolerance for results of `dtype`. Backends accumulate in the
/// dtype (rounding every step) where the reference rounds once, so floats get room for a
/// few units in the last place over a long reduction; integers must match exactly.
pub fn tolerance(dtype: DType) -> (f64, f64) {
    match dtype {
        DType::F64 => (1e-12, 1e-10),
        DType::F32 => (1e-5, 1e-4),
        DType::F16 => (2e-3, 1e-2),
        DType::BF16 => (2e-2, 4e-2),
        _ => (0.0, 0.0),
    }
}

/// The element that disagrees most with the reference.
#[derive(Clone, Debug, PartialEq)]
pub struct Mismatch {
    pub index: usize,
    pub got: f64,
    pub expected: f64,
    /// How many elements are outside the tolerance.
    pub count: usize,
}

/// `None` when every element of `got` is within tolerance of `expected` (NaN where the
/// reference is NaN, the same infinity where it is infinite); otherwise the worst element.
/// Shapes and dtypes must agree, else element 0 is reported with `count` = all elements.
pub fn compare(expected: &Tensor, got: &Tensor) -> Option<Mismatch> {
    let (e, g) = (expected.to_f64_vec(), got.to_f64_vec());
    if expected.dtype != got.dtype || expected.shape != got.shape {
        let first = |v: &[f64]| v.first().copied().unwrap_or(f64::NAN);
        return Some(Mismatch {
            index: 0,
            got: first(&g),
            expected: first(&e),
            count: e.len().max(g.len()),
        });
    }
    let (atol, rtol) = tolerance(expected.dtype);
    let mut worst: Option<(f64, Mismatch)> = None;
    let mut count = 0;
    for (i, (&x, &y)) in e.iter().zip(&g).enumerate() {
        let Some(badness) = excess(x, y, atol, rtol) else {
            continue;
        };
        count += 1;
        if worst.as_ref().is_none_or(|(b, _)| badness > *b) {
            worst = Some((
                badness,
                Mismatch {
                    index: i,
                    got: y,
                    expected: x,
                    count: 0,
                },
            ));
        }
    }
    worst.map(|(_, m)| Mismatch { count, ..m })
}

/// How far outside the tolerance `got` is (infinite for NaN/infinity mismatches), or
/// `None` when it is within.
fn excess(expected: f64, got: f64, atol: f64, rtol: f64) -> Option<f64> {
    if expected.is_nan() || got.is_nan() || expected.is_infinite() || got.is_infinite() {
        let same = (expected.is_nan() && got.is_nan()) || expected == got;
        return if same { None } else { Some(f64::INFINITY) };
    }
    let diff = (expected - got).abs();
    let allowed = atol + rtol * expected.abs();
    (diff > allowed).then_some(diff - allowed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f32s(values: &[f64]) -> Tensor {
        Tensor::from_f64(DType::F32, &[values.len()], values).unwrap()
    }

    #[test]
    fn within_tolerance_is_none() {
        assert_eq!(
            compare(&f32s(&[1.0, 1000.0]), &f32s(&[1.000001, 1000.01])),
            None
        );
    }

    #[test]
    fn reports_the_worst_element_and_the_count() {
        let m = compare(&f32s(&[1.0, 2.0, 3.0]), &f32s(&[1.1, 2.0, 5.0])).unwrap();
        assert_eq!((m.index, m.got, m.expected, m.count), (2, 5.0, 3.0, 2));
    }

    #[test]
    fn nan_must_match_nan_and_infinities_must_match() {
        assert_eq!(compare(&f32s(&[f64::NAN]), &f32s(&[f64::NAN])), None);
        assert!(compare(&f32s(&[1.0]), &f32s(&[f64::NAN])).is_some());
        assert!(compare(&f32s(&[f64::NAN]), &f32s(&[1.0])).is_some());
        assert!(compare(&f32s(&[f64::INFINITY]), &f32s(&[f64::NEG_INFINITY])).is_some());
    }

    #[test]
    fn integers_must_be_exact_and_shapes_agree() {
        let ints = |v: &[f64]| Tensor::from_f64(DType::I32, &[v.len()], v).unwrap();
        assert!(compare(&ints(&[7.0]), &ints(&[8.0])).is_some());
        assert!(compare(&f32s(&[1.0, 2.0]), &f32s(&[1.0])).is_some());
    }
}
