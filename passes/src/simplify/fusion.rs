//! Rewrites that exist to make fusion cheaper or possible: elementwise ops moved before
//! views (so they run on fewer elements, and chains of views meet and merge), reductions
//! of broadcasts, and constant factors taken out of sums.
//!
//! Matmul-shaped `sum(mul(expand a, expand b))` is deliberately left alone: no rule here
//! matches it (its two expands come from different shapes, and neither operand of its
//! mul is a constant), so the schedule and optimize passes still find it; see
//! [`super::is_matmul_reduce`].

use super::SimplifyError;
use super::analysis::{EG, dims_attr};
use super::language::{ENode, Kind, Move, Value, kind};
use super::rules::{Find, Rule, Term, info, node_rule, nodes};
use egg::Id;
use egpu_ir::{BinaryOp, DType, ReduceOp, round_float, wrap_int};

pub fn rules() -> Result<Vec<Rule>, SimplifyError> {
    Ok(vec![
        node_rule("unary-before-view", Find::Many(unary_before_view))?,
        node_rule("binary-before-view", Find::Many(binary_before_view))?,
        node_rule("where-before-view", Find::Many(where_before_view))?,
        node_rule(
            "const-binary-before-view",
            Find::Many(const_binary_before_view),
        )?,
        node_rule("reduce-of-expand", Find::Many(reduce_of_expand))?,
        node_rule("sum-factor", Find::Many(sum_factor))?,
        node_rule("reduce-reduce", Find::Many(reduce_reduce))?,
    ])
}

/// The views an elementwise op commutes with: each output element is one input element.
/// (Shrink and pad are left out: moving an op before a shrink computes more elements, and
/// pad's fill value would need the op too.)
fn view_of(node: &ENode) -> Option<(Move, Id, Id)> {
    match kind(node) {
        Kind::Move(mv, x, a) if mv != Move::Shrink => Some((mv, x, a)),
        _ => None,
    }
}

/// Whether `op` may run on the elements of a view's source instead of the view's: not for
/// an integer division through expand, which would divide by the elements of an operand
/// that the expand (to a zero-sized shape) never read.
fn may_move(op: BinaryOp, mv: Move) -> bool {
    !(mv == Move::Expand && matches!(op, BinaryOp::Idiv | BinaryOp::Mod))
}

fn dims(eg: &EG, id: Id) -> Option<&[usize]> {
    info(eg, id).map(|x| x.dims.as_slice())
}

/// u(view(x)) → view(u(x)) for unary ops, cast and bitcast: exact (the same op on the same
/// elements), and cheaper through an expand.
fn unary_before_view(eg: &EG, node: &ENode) -> Vec<Term> {
    let x = match kind(node) {
        Kind::Unary(_, x) | Kind::Cast(x, _) | Kind::Bitcast(x, _) => x,
        _ => return vec![],
    };
    nodes(eg, x)
        .iter()
        .filter_map(view_of)
        .map(|(mv, y, a)| {
            let inner = Term::with_operand(node, Term::Class(y));
            Term::movement(mv, inner, Term::Class(a))
        })
        .collect()
}

/// op(view(x, s), view(y, s)) → view(op(x, y), s) when x and y have one shape: exact.
fn binary_before_view(eg: &EG, node: &ENode) -> Vec<Term> {
    let Kind::Binary(op, a, b) = kind(node) else {
        return vec![];
    };
    let mut found = Vec::new();
    for (mv, x, s) in nodes(eg, a).iter().filter_map(view_of) {
        for (mv2, y, s2) in nodes(eg, b).iter().filter_map(view_of) {
            let fits = mv == mv2 && eg.find(s) == eg.find(s2) && may_move(op, mv);
            if fits && dims(eg, x).is_some() && dims(eg, x) == dims(eg, y) {
                let inner = Term::binary(op, Term::Class(x), Term::Class(y));
                found.push(Term::movement(mv, inner, Term::Class(s)));
            }
        }
    }
    found
}

/// where(view(c, s), view(a, s), view(b, s)) → view(where(c, a, b), s): exact.
fn where_before_view(eg: &EG, node: &ENode) -> Vec<Term> {
    let ENode::Where([c, a, b]) = node else {
        return vec![];
    };
    let mut found = Vec::new();
    let views =
        |id: Id| -> Vec<(Move, Id, Id)> { nodes(eg, id).iter().filter_map(view_of).collect() };
    for (mv, x, s) in views(*c) {
        for (mv_a, y, s_a) in views(*a) {
            for (mv_b, z, s_b) in views(*b) {
                let same_view = [mv_a, mv_b].iter().all(|&m| m == mv)
                    && [s_a, s_b].iter().all(|&t| eg.find(t) == eg.find(s));
                if same_view
                    && dims(eg, x).is_some()
                    && [y, z].iter().all(|&t| dims(eg, t) == dims(eg, x))
                {
                    let inner = Term::Node(
                        node.clone(),
                        vec![Term::Class(x), Term::Class(y), Term::Class(z)],
                    );
                    found.push(Term::movement(mv, inner, Term::Class(s)));
                }
            }
        }
    }
    found
}

/// op(view(x, s), c) → view(op(x, c'), s) with c a uniform constant and c' that constant
/// at x's shape (and the same with the constant first): exact, and through an expand the
/// op runs on fewer elements.
fn const_binary_before_view(eg: &EG, node: &ENode) -> Vec<Term> {
    let Kind::Binary(op, a, b) = kind(node) else {
        return vec![];
    };
    let mut found = Vec::new();
    for (viewed, fixed, const_first) in [(a, b, false), (b, a, true)] {
        let Some(c) = info(eg, fixed).filter(|c| c.constant.is_some()) else {
            continue;
        };
        if info(eg, viewed).is_some_and(|v| v.constant.is_some()) {
            continue; // both constant: folding has it
        }
        for (mv, x, s) in nodes(eg, viewed).iter().filter_map(view_of) {
            let (Some(xd), Some(value)) = (dims(eg, x), c.constant) else {
                continue;
            };
            if !may_move(op, mv) {
                continue;
            }
            let small = Term::constant(value, c.dtype, xd.to_vec());
            let (l, r) = if const_first {
                (small, Term::Class(x))
            } else {
                (Term::Class(x), small)
            };
            found.push(Term::movement(mv, Term::binary(op, l, r), Term::Class(s)));
        }
    }
    found
}

/// The expands in class `ex` whose source has size 1 on every axis in `axes`: (source,
/// the source's dims, the number of copies the reduction combines, the expanded dims).
fn expands_along(eg: &EG, ex: Id, axes: &[usize]) -> Vec<(Id, Vec<usize>, usize, Vec<usize>)> {
    let mut found = Vec::new();
    for n in nodes(eg, ex) {
        let ENode::Expand([x, s]) = n else { continue };
        let (Some(xd), Some(sd)) = (dims(eg, *x), dims_attr(eg, *s)) else {
            continue;
        };
        if xd.len() != sd.len() || !axes.iter().all(|&a| xd.get(a) == Some(&1)) {
            continue;
        }
        let copies = axes.iter().filter_map(|&a| sd.get(a)).product();
        found.push((*x, xd.to_vec(), copies, sd.to_vec()));
    }
    found
}

/// `n` as a constant of `dtype` that multiplies exactly like adding n copies does in the
/// interpreter's reduction, if there is one (see [`reduce_of_expand`]).
fn copies_factor(n: usize, dtype: DType, fast_math: bool) -> Option<Value> {
    if dtype.is_int() {
        // Wrapping: n copies add up to x·n mod 2^bits, and n mod 2^bits does the same.
        return Some(Value::Int(wrap_int(n as i128, dtype)));
    }
    let exact = round_float(n as f64, dtype) == n as f64;
    // The interpreter sums in f64 and rounds once; x·n with x of f32 or narrower and
    // n < 2^29 is exact in f64, so mul(x, n), also rounded once, is the same value.
    let same_rounding = dtype != DType::F64 && n < 1 << 29;
    (dtype.is_float() && exact && (same_rounding || fast_math)).then(|| Value::of(n as f64, dtype))
}

/// Reductions over axes an expand created from size 1:
/// - sum → x·n (n copies): exact for integers and for f16/bf16/f32 (see
///   [`copies_factor`]), fast-math for f64;
/// - max, min → x: exact for integers; for floats exact but for NaN bits (the
///   interpreter's max of two NaNs is the canonical NaN).
fn reduce_of_expand(eg: &EG, node: &ENode) -> Vec<Term> {
    let Kind::Reduce(op, ex, axes) = kind(node) else {
        return vec![];
    };
    let (Some(axes), Some(x_info)) = (dims_attr(eg, axes), info(eg, ex)) else {
        return vec![];
    };
    let dtype = x_info.dtype;
    let mut found = Vec::new();
    for (x, xd, n, mut out) in expands_along(eg, ex, axes) {
        for &a in axes {
            if let Some(d) = out.get_mut(a) {
                *d = 1;
            }
        }
        let value = match op {
            _ if n == 0 => continue, // an empty reduction is the identity, not x
            ReduceOp::Sum => match copies_factor(n, dtype, eg.analysis.fast_math) {
                Some(k) => {
                    let k = Term::constant(k, dtype, xd.clone());
                    Term::binary(BinaryOp::Mul, Term::Class(x), k)
                }
                None => continue,
            },
            ReduceOp::Max | ReduceOp::Min if eg.analysis.ignores_nan_bits(dtype) => Term::Class(x),
            _ => continue,
        };
        found.push(Term::expand_to(value, &xd, &out));
    }
    found
}

/// sum(x·c) → sum(x)·c for a uniform constant c: exact for integers, fast-math for floats
/// (the products would be rounded before the sum, the sum before the product).
fn sum_factor(eg: &EG, node: &ENode) -> Vec<Term> {
    let ENode::Sum([m, axes_id]) = node else {
        return vec![];
    };
    let (Some(axes), Some(m_info)) = (dims_attr(eg, *axes_id), info(eg, *m)) else {
        return vec![];
    };
    if !eg.analysis.reassociates(m_info.dtype) {
        return vec![];
    }
    let mut out = m_info.dims.clone();
    for &a in axes {
        if let Some(d) = out.get_mut(a) {
            *d = 1;
        }
    }
    let mut found = Vec::new();
    for n in nodes(eg, *m) {
        let ENode::Mul([a, b]) = n else { continue };
        for (x, c) in [(*a, *b), (*b, *a)] {
            let Some(value) = info(eg, c).and_then(|c| c.constant) else {
                continue;
            };
            let sum = Term::reduce(ReduceOp::Sum, Term::Class(x), axes.to_vec());
            let factor = Term::constant(value, m_info.dtype, out.clone());
            found.push(Term::binary(BinaryOp::Mul, sum, factor));
        }
    }
    found
}

/// r(r(x, A), B) → r(x, A ∪ B) for one reduction op: exact for integers; float max and
/// min but for NaN bits; float sum and prod under fast-math (two roundings become one).
fn reduce_reduce(eg: &EG, node: &ENode) -> Vec<Term> {
    let Kind::Reduce(op, inner, outer_axes) = kind(node) else {
        return vec![];
    };
    let (Some(outer_axes), Some(dtype)) =
        (dims_attr(eg, outer_axes), info(eg, inner).map(|i| i.dtype))
    else {
        return vec![];
    };
    let allowed = match op {
        ReduceOp::Max | ReduceOp::Min => eg.analysis.ignores_nan_bits(dtype),
        ReduceOp::Sum | ReduceOp::Prod => eg.analysis.reassociates(dtype),
    };
    if !allowed {
        return vec![];
    }
    let mut found = Vec::new();
    for n in nodes(eg, inner) {
        let Kind::Reduce(op2, x, inner_axes) = kind(n) else {
            continue;
        };
        let Some(inner_axes) = dims_attr(eg, inner_axes) else {
            continue;
        };
        if op2 != op {
            continue;
        }
        let mut axes: Vec<usize> = inner_axes.iter().chain(outer_axes).copied().collect();
        axes.sort_unstable();
        axes.dedup();
        found.push(Term::reduce(op, Term::Class(x), axes));
    }
    found
}
