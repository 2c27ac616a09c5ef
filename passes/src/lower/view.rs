//! Movement ops as index maps: given the index of an element of a view (one [`Ix`] per
//! axis of the view), the index of the element it shows in the viewed value, plus the
//! conditions under which it shows one at all (a pad shows its value elsewhere).
//!
//! Composing a chain of views is applying these maps one after another from the consumer
//! back to the value; the simplifier in [`super::index`] keeps the composition minimal, so a
//! reshape of a reshape ends as one flat index and an expanded row statistic as the row.

use super::index::{Ix, Sym};
use egpu_ir::Op;

/// `0 ≤ index < extent`: where a padded axis shows the padded value's element.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct InRange {
    pub index: Ix,
    pub extent: i128,
}

/// The element of the viewed value an element of the view shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Source {
    /// One index per axis of the viewed value.
    pub index: Vec<Ix>,
    /// All must hold for the element to come from the value; otherwise it is the pad
    /// value. Conditions the ranges already prove are left out.
    pub valid: Vec<InRange>,
}

/// The flat row-major position of `index` in a tensor of shape `dims`.
pub fn flatten(sym: &Sym, index: &[Ix], dims: &[usize]) -> Ix {
    let mut flat = Ix::zero();
    for (i, &d) in index.iter().zip(dims) {
        flat = sym.add(&sym.scale(&flat, extent(d)), i);
    }
    flat
}

/// The multi-index of flat position `flat` in a tensor of shape `dims`. The outermost
/// axis's remainder disappears by itself when `flat`'s range is below the element count.
pub fn unravel(sym: &Sym, flat: &Ix, dims: &[usize]) -> Vec<Ix> {
    let mut index = Vec::with_capacity(dims.len());
    let mut stride: i128 = 1;
    for &d in dims.iter().rev() {
        let i = sym.rem(&sym.div(flat, stride), extent(d));
        index.push(i);
        stride = stride.saturating_mul(extent(d));
    }
    index.reverse();
    index
}

pub fn extent(d: usize) -> i128 {
    i128::try_from(d).unwrap_or(i128::MAX)
}

/// The source of element `index` of `op`'s result (shape `to`) in its operand (shape
/// `from`). `Err` for an op that is not a movement op or shapes that do not match it (a
/// valid graph never has those).
pub fn source(
    sym: &Sym,
    op: &Op,
    from: &[usize],
    to: &[usize],
    index: &[Ix],
) -> Result<Source, String> {
    let same_rank = from.len() == to.len() && index.len() == to.len();
    let plain = |index: Vec<Ix>| {
        Ok(Source {
            index,
            valid: Vec::new(),
        })
    };
    match op {
        Op::Reshape { .. } if index.len() == to.len() => plain(reshaped(sym, from, to, index)),
        Op::Permute { perm, .. } if same_rank && perm.len() == to.len() => {
            let mut out = vec![Ix::zero(); from.len()];
            for (i, &p) in perm.iter().enumerate() {
                let slot = out.get_mut(p).ok_or("permute axis out of range")?;
                *slot = index[i].clone();
            }
            plain(out)
        }
        Op::Expand { .. } if same_rank => {
            let at = |(i, &d): (&Ix, &usize)| if d == 1 { Ix::zero() } else { i.clone() };
            plain(index.iter().zip(from).map(at).collect())
        }
        Op::Shrink { ranges, .. } if same_rank && ranges.len() == to.len() => {
            let at = |(i, &(start, _)): (&Ix, &(usize, usize))| sym.add_const(i, extent(start));
            plain(index.iter().zip(ranges).map(at).collect())
        }
        Op::Flip { axes, .. } if same_rank => {
            let mut out = index.to_vec();
            for &a in axes {
                let (Some(slot), Some(&d)) = (out.get_mut(a), from.get(a)) else {
                    return Err("flip axis out of range".into());
                };
                *slot = sym.sub(&Ix::constant(extent(d) - 1), slot);
            }
            plain(out)
        }
        Op::Pad { pads, .. } if same_rank && pads.len() == to.len() => {
            Ok(padded(sym, pads, from, index))
        }
        _ => Err(format!("{} does not map {to:?} to {from:?}", op.name())),
    }
}

/// A reshape maps groups of axes independently: wherever the running element counts of
/// both shapes agree, the axes before and after that point do not mix. Each group's index
/// is flattened and unravelled on its own (a group of one axis on each side is the same
/// index), which gives the same expressions as going through the whole flat index, with
/// far less simplification.
fn reshaped(sym: &Sym, from: &[usize], to: &[usize], index: &[Ix]) -> Vec<Ix> {
    let total: usize = to.iter().product();
    if total == 0 {
        return unravel(sym, &flatten(sym, index, to), from);
    }
    let mut out = Vec::with_capacity(from.len());
    let (mut i, mut j) = (0, 0);
    while i < from.len() || j < to.len() {
        let (start_i, start_j) = (i, j);
        let (mut count_from, mut count_to) = (1usize, 1usize);
        // Take at least one axis from each side that has one left, then more from the
        // side that is behind, until the counts agree (trailing size-1 axes join the
        // last group).
        loop {
            if i < from.len() && (i == start_i || count_from < count_to) {
                count_from *= from[i];
                i += 1;
            } else if j < to.len() && (j == start_j || count_to < count_from) {
                count_to *= to[j];
                j += 1;
            } else {
                break;
            }
        }
        let flat = flatten(sym, &index[start_j..j], &to[start_j..j]);
        out.extend(unravel(sym, &flat, &from[start_i..i]));
    }
    out
}

/// Each padded axis shifts back by its leading pad and is valid inside the operand.
fn padded(sym: &Sym, pads: &[(usize, usize)], from: &[usize], index: &[Ix]) -> Source {
    let mut out = Vec::with_capacity(index.len());
    let mut valid = Vec::new();
    for ((i, &(before, _)), &d) in index.iter().zip(pads).zip(from) {
        let inner = sym.add_const(i, -extent(before));
        let (lo, hi) = sym.bounds(&inner);
        if lo < 0 || hi >= extent(d) {
            valid.push(InRange {
                index: inner.clone(),
                extent: extent(d),
            });
        }
        out.push(inner);
    }
    Source { index: out, valid }
}
