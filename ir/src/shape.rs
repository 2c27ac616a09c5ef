//! Tensor shapes.

use std::fmt;
use std::ops::Deref;

/// The most elements one tensor may have: 2^48. Index arithmetic in every backend fits in
/// 64 bits with room to spare, and a typo like `f32[99999999999, 99999999999]` is refused
/// with a message instead of overflowing.
pub const MAX_ELEMENTS: u64 = 1 << 48;

/// The dimensions of a tensor, outermost first (row-major). A scalar has no dimensions.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct Shape(Vec<usize>);

impl Shape {
    /// A shape whose element count is at most [`MAX_ELEMENTS`]; otherwise an error message.
    /// Zero-sized axes do not excuse the others: the product of the non-zero dimensions is
    /// limited too, so every stride and partial product of any shape fits in 64 bits.
    pub fn new(dims: Vec<usize>) -> Result<Shape, String> {
        let mut count: u64 = 1;
        for &d in &dims {
            count = count.saturating_mul((d as u64).max(1));
        }
        if count > MAX_ELEMENTS {
            return Err(format!(
                "shape {} has too many elements (at most 2^48 are allowed)",
                Shape(dims)
            ));
        }
        Ok(Shape(dims))
    }

    /// A scalar's shape, `[]`.
    pub fn scalar() -> Shape {
        Shape(Vec::new())
    }

    pub fn dims(&self) -> &[usize] {
        &self.0
    }

    pub fn rank(&self) -> usize {
        self.0.len()
    }

    /// Number of elements (1 for a scalar).
    pub fn numel(&self) -> usize {
        self.0.iter().product()
    }

    /// Row-major strides in elements.
    pub fn strides(&self) -> Vec<usize> {
        let mut strides = vec![1; self.0.len()];
        for i in (0..self.0.len().saturating_sub(1)).rev() {
            strides[i] = strides[i + 1] * self.0[i + 1];
        }
        strides
    }

    /// The multi-index of flat element `flat` in row-major order.
    pub fn unravel(&self, mut flat: usize) -> Vec<usize> {
        let mut index = vec![0; self.0.len()];
        for (i, &d) in self.0.iter().enumerate().rev() {
            if d > 0 {
                index[i] = flat % d;
                flat /= d;
            }
        }
        index
    }

    /// The flat row-major position of a multi-index.
    pub fn ravel(&self, index: &[usize]) -> usize {
        index
            .iter()
            .zip(&self.0)
            .fold(0, |acc, (&i, &d)| acc * d + i)
    }
}

impl Deref for Shape {
    type Target = [usize];
    fn deref(&self) -> &[usize] {
        &self.0
    }
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[")?;
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{d}")?;
        }
        f.write_str("]")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_element_limit_counts_axes_beside_a_zero_sized_one() {
        assert!(Shape::new(vec![1 << 24, 1 << 24]).is_ok());
        assert!(Shape::new(vec![1 << 24, 1 << 25]).is_err());
        assert!(Shape::new(vec![0, 1 << 30, 1 << 30]).is_err());
        let empty = Shape::new(vec![7, 0, 7]).unwrap();
        assert_eq!((empty.numel(), empty.strides()), (0, vec![0, 7, 1]));
    }
}
