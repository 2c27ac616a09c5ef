//! Comparing a backend's result with the reference: each element within the bound the
//! reference carries for it ([`super::evaluate_with_bounds`]), for `egpu run --check` and
//! the tests. There is one comparison; the tolerance comes from the computation (the
//! running error bound and the precision model), never from the output dtype alone.

use super::{Reference, Tensor};

/// The element that disagrees most with the reference.
#[derive(Clone, Debug, PartialEq)]
pub struct Mismatch {
    pub index: usize,
    pub got: f64,
    pub expected: f64,
    /// How far from `expected` the element was allowed to be.
    pub allowed: f64,
    /// How many elements are outside their bounds.
    pub count: usize,
}

/// `None` when every element of `got` is within its bound of the reference; otherwise the
/// worst element. NaN is accepted only where the reference is NaN (an all-NaN result where
/// the reference is finite fails), an infinity only where the reference has the same one,
/// unless the element is unbounded. Shapes and dtypes must agree, else element 0 is
/// reported with `count` = all elements.
pub fn compare(expected: &Reference, got: &Tensor) -> Option<Mismatch> {
    let want = &expected.value;
    let (e, g) = (want.to_f64_vec(), got.to_f64_vec());
    if want.dtype != got.dtype || want.shape != got.shape || expected.bound.len() != e.len() {
        let first = |v: &[f64]| v.first().copied().unwrap_or(f64::NAN);
        return Some(Mismatch {
            index: 0,
            got: first(&g),
            expected: first(&e),
            allowed: 0.0,
            count: e.len().max(g.len()),
        });
    }
    let mut worst: Option<(f64, Mismatch)> = None;
    let mut count = 0;
    for (i, ((&x, &y), &allowed)) in e.iter().zip(&g).zip(&expected.bound).enumerate() {
        let Some(badness) = excess(x, y, allowed) else {
            continue;
        };
        count += 1;
        if worst.as_ref().is_none_or(|(b, _)| badness > *b) {
            let m = Mismatch {
                index: i,
                got: y,
                expected: x,
                allowed,
                count: 0,
            };
            worst = Some((badness, m));
        }
    }
    worst.map(|(_, m)| Mismatch { count, ..m })
}

/// How far outside its bound `got` is (infinite for NaN/infinity mismatches), or `None`
/// when it is within.
fn excess(expected: f64, got: f64, allowed: f64) -> Option<f64> {
    if got.is_nan() {
        return (!expected.is_nan()).then_some(f64::INFINITY);
    }
    let unbounded = allowed.is_infinite();
    if expected.is_nan() || expected.is_infinite() || got.is_infinite() {
        let same = expected == got || unbounded;
        return if same { None } else { Some(f64::INFINITY) };
    }
    let diff = (expected - got).abs();
    (diff > allowed).then_some(diff - allowed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DType;

    fn reference(values: &[f64], bound: f64) -> Reference {
        let t = Tensor::from_f64(DType::F32, &[values.len()], values).unwrap();
        Reference::uniform("y", t, |_| bound)
    }

    fn f32s(values: &[f64]) -> Tensor {
        Tensor::from_f64(DType::F32, &[values.len()], values).unwrap()
    }

    #[test]
    fn within_the_bound_is_none() {
        let r = reference(&[1.0, 1000.0], 0.02);
        assert_eq!(compare(&r, &f32s(&[1.01, 1000.01])), None);
    }

    #[test]
    fn reports_the_worst_element_and_the_count() {
        let m = compare(&reference(&[1.0, 2.0, 3.0], 0.05), &f32s(&[1.1, 2.0, 5.0])).unwrap();
        assert_eq!((m.index, m.got, m.expected, m.count), (2, 5.0, 3.0, 2));
        assert_eq!(m.allowed, 0.05);
    }

    #[test]
    fn nan_must_match_nan_and_infinities_must_match() {
        assert_eq!(
            compare(&reference(&[f64::NAN], 0.0), &f32s(&[f64::NAN])),
            None
        );
        assert!(compare(&reference(&[1.0], 0.0), &f32s(&[f64::NAN])).is_some());
        // NaN where the reference is finite fails however loose the bound.
        assert!(compare(&reference(&[1.0], f64::INFINITY), &f32s(&[f64::NAN])).is_some());
        assert!(compare(&reference(&[f64::NAN], 0.0), &f32s(&[1.0])).is_some());
        let inf = reference(&[f64::INFINITY], 1.0);
        assert!(compare(&inf, &f32s(&[f64::NEG_INFINITY])).is_some());
        assert!(compare(&inf, &f32s(&[3.0e38])).is_some());
        assert_eq!(compare(&inf, &f32s(&[f64::INFINITY])), None);
    }

    #[test]
    fn exact_elements_must_match_and_shapes_agree() {
        let ints = |v: &[f64]| Tensor::from_f64(DType::I32, &[v.len()], v).unwrap();
        let r = Reference::uniform("i", ints(&[7.0]), |_| 0.0);
        assert!(compare(&r, &ints(&[8.0])).is_some());
        assert!(compare(&reference(&[1.0, 2.0], 0.1), &f32s(&[1.0])).is_some());
        assert!(compare(&reference(&[0.5], 0.0), &f32s(&[0.5 + 1.0 / 1024.0])).is_some());
    }
}
