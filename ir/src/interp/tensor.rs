//! Dense tensors: a dtype, a shape and the values in row-major order.

use super::EvalError;
use crate::{DType, Scalar, Shape, round_float};

/// The most elements one tensor of the interpreter may have (2^28): an `i128` or `f64` per
/// element makes that 4 GiB, beyond which a test would rather fail than exhaust memory.
pub const ELEMENT_LIMIT: usize = 1 << 28;

/// The values of a tensor in row-major order: ints of every width as `i128`, floats of every
/// width as the `f64` they exactly equal. `PartialEq` is IEEE equality on floats (NaN differs
/// from itself); [`Tensor::same`] compares exactly.
#[derive(Clone, Debug, PartialEq)]
pub enum Data {
    Bool(Vec<bool>),
    Int(Vec<i128>),
    Float(Vec<f64>),
}

/// A tensor value. Built through [`Tensor::new`] (or the other constructors) its data always
/// fits its dtype and shape; the fields are public for reading and matching.
#[derive(Clone, Debug)]
pub struct Tensor {
    pub dtype: DType,
    pub shape: Shape,
    pub data: Data,
}

impl Data {
    /// Number of values.
    pub fn len(&self) -> usize {
        match self {
            Data::Bool(v) => v.len(),
            Data::Int(v) => v.len(),
            Data::Float(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The value at `flat`, if there is one.
    pub fn get(&self, flat: usize) -> Option<Scalar> {
        match self {
            Data::Bool(v) => v.get(flat).map(|&b| Scalar::Bool(b)),
            Data::Int(v) => v.get(flat).map(|&i| Scalar::Int(i)),
            Data::Float(v) => v.get(flat).map(|&f| Scalar::Float(f)),
        }
    }

    /// All values as scalars, in order.
    pub fn scalars(&self) -> Box<dyn Iterator<Item = Scalar> + '_> {
        match self {
            Data::Bool(v) => Box::new(v.iter().map(|&b| Scalar::Bool(b))),
            Data::Int(v) => Box::new(v.iter().map(|&i| Scalar::Int(i))),
            Data::Float(v) => Box::new(v.iter().map(|&f| Scalar::Float(f))),
        }
    }

    /// Each value cast to `dtype` (see [`Scalar::cast`]), stored in the variant `dtype` uses.
    pub(crate) fn cast_from(dtype: DType, values: impl Iterator<Item = Scalar>) -> Data {
        if dtype.is_bool() {
            Data::Bool(values.map(|s| cast_bool(s, dtype)).collect())
        } else if dtype.is_float() {
            Data::Float(values.map(|s| cast_float(s, dtype)).collect())
        } else {
            Data::Int(values.map(|s| cast_int(s, dtype)).collect())
        }
    }

    /// `value` cast to `dtype`, `count` times.
    pub(crate) fn filled(dtype: DType, value: Scalar, count: usize) -> Data {
        Data::cast_from(dtype, std::iter::repeat_n(value, count))
    }

    /// Output element `i` is input element `sources[i]`, or `fill` (cast to `dtype`, the
    /// data's dtype) where that is `None`. `None` as a whole if a source is out of range.
    pub(crate) fn gather(
        &self,
        sources: &[Option<usize>],
        fill: Scalar,
        dtype: DType,
    ) -> Option<Data> {
        fn pick<T: Copy>(v: &[T], sources: &[Option<usize>], fill: T) -> Option<Vec<T>> {
            sources
                .iter()
                .map(|s| s.map_or(Some(fill), |i| v.get(i).copied()))
                .collect()
        }
        Some(match self {
            Data::Bool(v) => Data::Bool(pick(v, sources, cast_bool(fill, dtype))?),
            Data::Int(v) => Data::Int(pick(v, sources, cast_int(fill, dtype))?),
            Data::Float(v) => Data::Float(pick(v, sources, cast_float(fill, dtype))?),
        })
    }

    /// Exact equality: floats by bits, all NaNs equal.
    pub fn same(&self, other: &Data) -> bool {
        match (self, other) {
            (Data::Bool(a), Data::Bool(b)) => a == b,
            (Data::Int(a), Data::Int(b)) => a == b,
            (Data::Float(a), Data::Float(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same_float(*x, *y))
            }
            _ => false,
        }
    }

    /// The variant's name, for messages.
    fn kind(&self) -> &'static str {
        match self {
            Data::Bool(_) => "bool",
            Data::Int(_) => "integer",
            Data::Float(_) => "float",
        }
    }
}

fn same_float(a: f64, b: f64) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

// `Scalar::cast` always answers with the variant of its target dtype; the fallback arms
// below are unreachable and only keep the code free of panics.
fn cast_bool(s: Scalar, dtype: DType) -> bool {
    matches!(s.cast(dtype), Scalar::Bool(true))
}

fn cast_int(s: Scalar, dtype: DType) -> i128 {
    match s.cast(dtype) {
        Scalar::Int(i) => i,
        _ => 0,
    }
}

fn cast_float(s: Scalar, dtype: DType) -> f64 {
    match s.cast(dtype) {
        Scalar::Float(f) => f,
        _ => f64::NAN,
    }
}

impl Tensor {
    /// A tensor, checked: the data has `shape.numel()` values of the variant `dtype` uses,
    /// each a value of `dtype` (ints in range, floats already rounded to it), and at most
    /// [`ELEMENT_LIMIT`] of them.
    pub fn new(dtype: DType, shape: Shape, data: Data) -> Result<Tensor, EvalError> {
        let tensor = Tensor { dtype, shape, data };
        tensor.validate()?;
        Ok(tensor)
    }

    /// A tensor of `dims` whose elements are `values` converted with `Scalar::cast` (rounded
    /// for floats; truncated and saturated for ints; `!= 0` for bool).
    pub fn from_f64(dtype: DType, dims: &[usize], values: &[f64]) -> Result<Tensor, EvalError> {
        let shape =
            Shape::new(dims.to_vec()).map_err(|message| EvalError::BadTensor { message })?;
        let data = Data::cast_from(dtype, values.iter().map(|&v| Scalar::Float(v)));
        Tensor::new(dtype, shape, data)
    }

    /// A tensor of `values`, each of which must already be a value of `dtype` in the
    /// matching variant (`Bool` for bool, `Int` for integers, `Float` for floats).
    pub fn from_scalars(
        dtype: DType,
        shape: Shape,
        values: Vec<Scalar>,
    ) -> Result<Tensor, EvalError> {
        let wrong = values.iter().position(|s| !variant_fits(*s, dtype));
        if let Some(i) = wrong {
            let message = format!("element {i} ({}) is not a {dtype} scalar", values[i]);
            return Err(EvalError::BadTensor { message });
        }
        // Taken as they are (no cast), so that `new` refuses values outside the dtype.
        let data = match dtype {
            d if d.is_bool() => Data::Bool(
                values
                    .iter()
                    .map(|s| matches!(s, Scalar::Bool(true)))
                    .collect(),
            ),
            d if d.is_float() => Data::Float(values.iter().map(|s| s.to_f64()).collect()),
            _ => Data::Int(
                values
                    .iter()
                    .map(|s| if let Scalar::Int(i) = s { *i } else { 0 })
                    .collect(),
            ),
        };
        Tensor::new(dtype, shape, data)
    }

    pub fn numel(&self) -> usize {
        self.shape.numel()
    }

    /// The element at row-major position `flat`.
    ///
    /// # Panics
    /// If `flat >= self.numel()`, like slice indexing.
    pub fn get(&self, flat: usize) -> Scalar {
        match &self.data {
            Data::Bool(v) => Scalar::Bool(v[flat]),
            Data::Int(v) => Scalar::Int(v[flat]),
            Data::Float(v) => Scalar::Float(v[flat]),
        }
    }

    /// Every element as an f64 (integers above 2^53 lose precision; bools are 0 or 1).
    pub fn to_f64_vec(&self) -> Vec<f64> {
        self.data.scalars().map(Scalar::to_f64).collect()
    }

    /// Every element, in row-major order.
    pub fn scalars(&self) -> impl Iterator<Item = Scalar> + '_ {
        self.data.scalars()
    }

    /// Exact equality by value: same dtype, shape and elements, floats compared by bits
    /// with all NaNs equal (so 0.0 and -0.0 differ).
    pub fn same(&self, other: &Tensor) -> bool {
        self.dtype == other.dtype && self.shape == other.shape && self.data.same(&other.data)
    }

    /// Checks what [`Tensor::new`] promises: size, length, variant and representable values.
    pub(crate) fn validate(&self) -> Result<(), EvalError> {
        let what = || format!("a {}{} tensor", self.dtype, self.shape);
        check_size(&what(), self.numel())?;
        let bad = |message: String| Err(EvalError::BadTensor { message });
        if self.data.len() != self.numel() {
            return bad(format!(
                "{} needs {} values, got {}",
                what(),
                self.numel(),
                self.data.len()
            ));
        }
        if !variant_fits_dtype(&self.data, self.dtype) {
            return bad(format!("{} cannot hold {} data", what(), self.data.kind()));
        }
        match self.data.scalars().position(|s| !value_fits(s, self.dtype)) {
            Some(i) => bad(format!(
                "element {i} of {} is not a value of {}",
                what(),
                self.dtype
            )),
            None => Ok(()),
        }
    }
}

/// Refuses more than [`ELEMENT_LIMIT`] elements.
pub(crate) fn check_size(what: &str, elements: usize) -> Result<(), EvalError> {
    if elements > ELEMENT_LIMIT {
        return Err(EvalError::TooLarge {
            what: what.to_string(),
            elements,
            limit: ELEMENT_LIMIT,
        });
    }
    Ok(())
}

fn variant_fits_dtype(data: &Data, dtype: DType) -> bool {
    match data {
        Data::Bool(_) => dtype.is_bool(),
        Data::Int(_) => dtype.is_int(),
        Data::Float(_) => dtype.is_float(),
    }
}

fn variant_fits(s: Scalar, dtype: DType) -> bool {
    match s {
        Scalar::Bool(_) => dtype.is_bool(),
        Scalar::Int(_) => dtype.is_int(),
        Scalar::Float(_) => dtype.is_float(),
    }
}

/// Whether `s` is exactly a value of `dtype`: ints in range, floats unchanged by rounding
/// (any NaN counts).
fn value_fits(s: Scalar, dtype: DType) -> bool {
    match s {
        Scalar::Bool(_) => true,
        Scalar::Int(i) => dtype.int_range().is_some_and(|(lo, hi)| lo <= i && i <= hi),
        Scalar::Float(f) => f.is_nan() || round_float(f, dtype).to_bits() == f.to_bits(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(dims: &[usize]) -> Shape {
        Shape::new(dims.to_vec()).unwrap_or_default()
    }

    #[test]
    fn new_checks_length_variant_and_values() {
        assert!(Tensor::new(DType::I8, shape(&[2]), Data::Int(vec![1, 2])).is_ok());
        assert!(Tensor::new(DType::I8, shape(&[3]), Data::Int(vec![1, 2])).is_err());
        assert!(Tensor::new(DType::I8, shape(&[1]), Data::Float(vec![1.0])).is_err());
        assert!(Tensor::new(DType::I8, shape(&[1]), Data::Int(vec![128])).is_err());
        assert!(Tensor::new(DType::U8, shape(&[1]), Data::Int(vec![-1])).is_err());
        assert!(Tensor::new(DType::F16, shape(&[1]), Data::Float(vec![0.1])).is_err());
        assert!(Tensor::new(DType::F16, shape(&[1]), Data::Float(vec![f64::NAN])).is_ok());
    }

    #[test]
    fn new_refuses_too_many_elements() {
        let err = Tensor::new(DType::Bool, shape(&[1 << 29]), Data::Bool(vec![]));
        assert!(matches!(err, Err(EvalError::TooLarge { .. })));
    }

    #[test]
    fn from_f64_rounds_and_from_scalars_checks_variants() {
        let t = Tensor::from_f64(DType::I8, &[3], &[1.9, -300.0, f64::NAN]);
        assert_eq!(t.map(|t| t.data).ok(), Some(Data::Int(vec![1, -128, 0])));
        let bad = Tensor::from_scalars(DType::F32, shape(&[1]), vec![Scalar::Int(1)]);
        assert!(matches!(bad, Err(EvalError::BadTensor { .. })));
        let wide = Tensor::from_scalars(DType::I8, shape(&[1]), vec![Scalar::Int(200)]);
        assert!(matches!(wide, Err(EvalError::BadTensor { .. })));
    }

    #[test]
    fn same_compares_floats_by_bits() {
        let a = Data::Float(vec![f64::NAN, 0.0]);
        assert!(a.same(&Data::Float(vec![-f64::NAN, 0.0])));
        assert!(!a.same(&Data::Float(vec![f64::NAN, -0.0])));
    }

    #[test]
    fn gather_fills_and_refuses_out_of_range() {
        let d = Data::Int(vec![10, 20]);
        let g = d.gather(&[Some(1), None, Some(0)], Scalar::Int(7), DType::U64);
        assert_eq!(g, Some(Data::Int(vec![20, 7, 10])));
        assert_eq!(d.gather(&[Some(2)], Scalar::Int(0), DType::U64), None);
    }
}
