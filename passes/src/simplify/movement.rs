//! Canonical forms of movement ops (views). All exact: a view only selects, repeats or
//! reorders elements, so composing or dropping views never changes a value.

use super::SimplifyError;
use super::analysis::{EG, dims_attr, pairs_attr, permuted};
use super::language::{Attr, ENode, Kind, Move, kind};
use super::rules::{Find, Rule, Term, info, node_rule, nodes, pattern_rule};
use egg::Id;

pub fn rules() -> Result<Vec<Rule>, SimplifyError> {
    Ok(vec![
        pattern_rule(
            "reshape-reshape",
            "(reshape (reshape ?x ?a) ?b)",
            "(reshape ?x ?b)",
        )?,
        pattern_rule(
            "expand-expand",
            "(expand (expand ?x ?a) ?b)",
            "(expand ?x ?b)",
        )?,
        pattern_rule("flip-flip", "(flip (flip ?x ?a) ?a)", "?x")?,
        node_rule("view-identity", Find::One(view_identity))?,
        node_rule("permute-permute", Find::Many(permute_permute))?,
        node_rule("permute-as-reshape", Find::One(permute_as_reshape))?,
        node_rule("shrink-shrink", Find::Many(shrink_shrink))?,
        node_rule("reduce-unit-axes", Find::One(reduce_unit_axes))?,
    ])
}

/// Views that change nothing → x: reshape or expand to x's own shape, the identity
/// permutation, shrink to the full range, pad by nothing, flip of size-1 axes only.
fn view_identity(eg: &EG, node: &ENode) -> Option<Term> {
    let (x, changes) = match kind(node) {
        Kind::Move(mv, x, a) => (x, view_changes(eg, mv, x, a)?),
        Kind::Pad(x, p, _) => (x, pairs_attr(eg, p)?.iter().any(|&p| p != (0, 0))),
        _ => return None,
    };
    (!changes).then_some(Term::Class(x))
}

/// Whether the view `mv(x, a)` moves anything.
fn view_changes(eg: &EG, mv: Move, x: Id, a: Id) -> Option<bool> {
    let dims = &info(eg, x)?.dims;
    Some(match mv {
        Move::Reshape | Move::Expand => dims_attr(eg, a)? != dims.as_slice(),
        Move::Permute => dims_attr(eg, a)?.iter().enumerate().any(|(i, &p)| i != p),
        Move::Flip => dims_attr(eg, a)?
            .iter()
            .any(|&axis| dims.get(axis) != Some(&1)),
        Move::Shrink => {
            let ranges = pairs_attr(eg, a)?;
            ranges.len() != dims.len() || ranges.iter().zip(dims).any(|(&r, &d)| r != (0, d))
        }
    })
}

/// permute(permute(x, p), q) → permute(x, p∘q): output axis j of the outer permute is
/// axis q[j] of the inner one, which is axis p[q[j]] of x.
fn permute_permute(eg: &EG, node: &ENode) -> Vec<Term> {
    let ENode::Permute([inner, q]) = node else {
        return vec![];
    };
    let Some(q) = dims_attr(eg, *q) else {
        return vec![];
    };
    let mut found = Vec::new();
    for n in nodes(eg, *inner) {
        let ENode::Permute([x, p]) = n else { continue };
        let Some(p) = dims_attr(eg, *p) else { continue };
        let composed: Option<Vec<usize>> = q.iter().map(|&j| p.get(j).copied()).collect();
        if let Some(composed) = composed {
            found.push(Term::movement(
                Move::Permute,
                Term::Class(*x),
                Term::dims(composed),
            ));
        }
    }
    found
}

/// A permutation that keeps the order of the axes longer than 1 only moves size-1 axes:
/// it is a reshape, the simpler view (and one that merges with neighbouring reshapes).
fn permute_as_reshape(eg: &EG, node: &ENode) -> Option<Term> {
    let ENode::Permute([x, p]) = node else {
        return None;
    };
    let dims = &info(eg, *x)?.dims;
    let perm = dims_attr(eg, *p)?;
    let long: Vec<usize> = perm
        .iter()
        .copied()
        .filter(|&a| dims.get(a) != Some(&1))
        .collect();
    if !long.windows(2).all(|w| w[0] < w[1]) {
        return None;
    }
    let shape = permuted(dims, perm)?;
    Some(Term::movement(
        Move::Reshape,
        Term::Class(*x),
        Term::dims(shape),
    ))
}

/// shrink(shrink(x, r), s) → shrink(x, t) with t = (r.start + s.start, r.start + s.end).
fn shrink_shrink(eg: &EG, node: &ENode) -> Vec<Term> {
    let ENode::Shrink([inner, s]) = node else {
        return vec![];
    };
    let Some(outer) = pairs_attr(eg, *s) else {
        return vec![];
    };
    let mut found = Vec::new();
    for n in nodes(eg, *inner) {
        let ENode::Shrink([x, r]) = n else { continue };
        let Some(first) = pairs_attr(eg, *r) else {
            continue;
        };
        if first.len() != outer.len() {
            continue;
        }
        let ranges = first
            .iter()
            .zip(outer)
            .map(|(&(start, _), &(s, e))| (start + s, start + e))
            .collect();
        let attr = Term::attr(Attr::Pairs(ranges));
        found.push(Term::movement(Move::Shrink, Term::Class(*x), attr));
    }
    found
}

/// A reduction over axes that all have size 1 combines one element with nothing: x.
fn reduce_unit_axes(eg: &EG, node: &ENode) -> Option<Term> {
    let Kind::Reduce(_, x, axes) = kind(node) else {
        return None;
    };
    let dims = &info(eg, x)?.dims;
    let unit = dims_attr(eg, axes)?
        .iter()
        .all(|&a| dims.get(a) == Some(&1));
    unit.then_some(Term::Class(x))
}
