//! Algebraic identities.
//!
//! Exact means: the rewritten graph gives bit-identical results in the reference
//! interpreter for every input. In IEEE arithmetic that rules out several identities that
//! look harmless: `x + 0.0 → x` (−0.0 + 0.0 is +0.0; only `x + (−0.0)` and `x − 0.0` are
//! exact), `x · 0 → 0` (NaN and ±∞ give NaN), `x − x → 0` (the same), `recip(recip x)`
//! (two roundings), reassociation. Those are under fast-math. For integers (which wrap)
//! and bools they are all exact and always on. Reassociation itself is not a rule here
//! but a canonical form (see `reassociate`).

use super::SimplifyError;
use super::analysis::{EG, dtype_attr};
use super::language::{ENode, Value};
use super::rules::{
    Find, Rule, Term, info, is_all_ones, is_const, is_negative_zero, node_rule, pattern_rule,
    zero_like,
};
use egg::Id;
use egpu_ir::{BinaryOp, DType, UnaryOp};

/// The exact identities (some only for the dtypes where they are exact).
pub fn rules() -> Result<Vec<Rule>, SimplifyError> {
    Ok(vec![
        node_rule("mul-one", Find::One(mul_one))?,
        node_rule("div-one", Find::One(div_one))?,
        node_rule("add-zero", Find::One(add_zero))?,
        node_rule("sub-zero", Find::One(sub_zero))?,
        node_rule("mul-zero", Find::One(mul_zero))?,
        node_rule("sub-self", Find::One(sub_self))?,
        pattern_rule("neg-neg", "(neg (neg ?x))", "?x")?,
        pattern_rule("not-not", "(not (not ?x))", "?x")?,
        node_rule("cast-same", Find::One(cast_same))?,
        node_rule("bitcast-same", Find::One(bitcast_same))?,
        pattern_rule("where-same", "(where ?c ?x ?x)", "?x")?,
        node_rule("where-const", Find::One(where_const))?,
        node_rule("idempotent", Find::One(idempotent))?,
        node_rule("self-compare", Find::One(self_compare))?,
        node_rule("int-division-one", Find::One(int_division_one))?,
        node_rule("bit-identities", Find::One(bit_identities))?,
        node_rule("shift-zero", Find::One(shift_zero))?,
    ])
}

/// Identities that change float results, for fast-math only.
pub fn fast_math_rules() -> Result<Vec<Rule>, SimplifyError> {
    Ok(vec![
        pattern_rule("recip-recip", "(recip (recip ?x))", "?x")?,
        node_rule("div-by-const", Find::One(div_by_const))?,
    ])
}

fn same(eg: &EG, a: Id, b: Id) -> bool {
    eg.find(a) == eg.find(b)
}

fn dtype(eg: &EG, id: Id) -> Option<DType> {
    info(eg, id).map(|x| x.dtype)
}

/// x·1 → x and 1·x → x: multiplying by one is exact, NaN payloads included.
fn mul_one(eg: &EG, node: &ENode) -> Option<Term> {
    let ENode::Mul([a, b]) = node else {
        return None;
    };
    if is_const(eg, *b, 1.0) {
        Some(Term::Class(*a))
    } else if is_const(eg, *a, 1.0) {
        Some(Term::Class(*b))
    } else {
        None
    }
}

/// x/1 → x.
fn div_one(eg: &EG, node: &ENode) -> Option<Term> {
    match node {
        ENode::Div([a, b]) if is_const(eg, *b, 1.0) => Some(Term::Class(*a)),
        _ => None,
    }
}

/// Whether adding `id` leaves every value of its dtype unchanged: integer 0, float −0.0
/// (x + (−0.0) is x for every x, −0.0 included); under fast-math also +0.0.
fn is_additive_identity(eg: &EG, id: Id) -> bool {
    match dtype(eg, id) {
        Some(d) if d.is_float() => {
            is_negative_zero(eg, id) || (eg.analysis.fast_math && is_const(eg, id, 0.0))
        }
        Some(_) => is_const(eg, id, 0.0),
        None => false,
    }
}

/// x + 0 → x and 0 + x → x, with the zero that is exact for the dtype.
fn add_zero(eg: &EG, node: &ENode) -> Option<Term> {
    let ENode::Add([a, b]) = node else {
        return None;
    };
    if is_additive_identity(eg, *b) {
        Some(Term::Class(*a))
    } else if is_additive_identity(eg, *a) {
        Some(Term::Class(*b))
    } else {
        None
    }
}

/// x − 0 → x: exact with integer 0 and float +0.0 (x − 0.0 is x, −0.0 included); under
/// fast-math also with −0.0.
fn sub_zero(eg: &EG, node: &ENode) -> Option<Term> {
    let ENode::Sub([a, b]) = node else {
        return None;
    };
    let fast = eg.analysis.fast_math && is_negative_zero(eg, *b);
    (is_const(eg, *b, 0.0) || fast).then_some(Term::Class(*a))
}

/// x·0 → 0 and 0·x → 0: integers always; floats under fast-math (NaN·0 and ∞·0 are NaN).
fn mul_zero(eg: &EG, node: &ENode) -> Option<Term> {
    let ENode::Mul([a, b]) = node else {
        return None;
    };
    let allowed = |z: Id| dtype(eg, z).is_some_and(|d| eg.analysis.reassociates(d));
    let is_zero = |z: Id| is_const(eg, z, 0.0) || is_negative_zero(eg, z);
    [*b, *a]
        .into_iter()
        .find(|&z| allowed(z) && is_zero(z))
        .map(Term::Class)
}

/// x − x → 0: integers always; floats under fast-math (∞ − ∞ is NaN).
fn sub_self(eg: &EG, node: &ENode) -> Option<Term> {
    match node {
        ENode::Sub([a, b]) if same(eg, *a, *b) => {
            let d = dtype(eg, *a)?;
            if eg.analysis.reassociates(d) {
                zero_like(eg, *a)
            } else {
                None
            }
        }
        _ => None,
    }
}

/// cast(x) to x's own dtype → x.
fn cast_same(eg: &EG, node: &ENode) -> Option<Term> {
    match node {
        ENode::Cast([x, t]) if dtype_attr(eg, *t) == dtype(eg, *x) => Some(Term::Class(*x)),
        _ => None,
    }
}

/// bitcast(x) to x's own dtype → x: exact for integers; for floats a NaN's bits might be
/// normalised on the way, so only where NaN bits are not observed.
fn bitcast_same(eg: &EG, node: &ENode) -> Option<Term> {
    let ENode::Bitcast([x, t]) = node else {
        return None;
    };
    let d = dtype(eg, *x)?;
    (dtype_attr(eg, *t) == Some(d) && eg.analysis.ignores_nan_bits(d)).then_some(Term::Class(*x))
}

/// where(true, a, b) → a; where(false, a, b) → b.
fn where_const(eg: &EG, node: &ENode) -> Option<Term> {
    let ENode::Where([c, a, b]) = node else {
        return None;
    };
    match info(eg, *c)?.constant? {
        Value::Bool(true) => Some(Term::Class(*a)),
        Value::Bool(false) => Some(Term::Class(*b)),
        _ => None,
    }
}

/// and(x, x), or(x, x) → x; max(x, x), min(x, x) → x. The interpreter's float max of two
/// NaNs is the canonical NaN, not x's NaN, so for floats only where NaN bits are not
/// observed.
fn idempotent(eg: &EG, node: &ENode) -> Option<Term> {
    match node {
        ENode::And([a, b]) | ENode::Or([a, b]) if same(eg, *a, *b) => Some(Term::Class(*a)),
        ENode::Max([a, b]) | ENode::Min([a, b]) if same(eg, *a, *b) => {
            let d = dtype(eg, *a)?;
            eg.analysis.ignores_nan_bits(d).then_some(Term::Class(*a))
        }
        _ => None,
    }
}

/// xor(x, x) → 0; cmplt(x, x) → false (NaN < NaN is false too); cmpeq(x, x) → true and
/// cmpne(x, x) → false for everything but floats (NaN ≠ NaN).
fn self_compare(eg: &EG, node: &ENode) -> Option<Term> {
    let (op, a, b) = match node {
        ENode::Xor([a, b]) => (BinaryOp::Xor, a, b),
        ENode::CmpLt([a, b]) => (BinaryOp::CmpLt, a, b),
        ENode::CmpEq([a, b]) => (BinaryOp::CmpEq, a, b),
        ENode::CmpNe([a, b]) => (BinaryOp::CmpNe, a, b),
        _ => return None,
    };
    if !same(eg, *a, *b) {
        return None;
    }
    let x = info(eg, *a)?;
    let answer = match op {
        BinaryOp::Xor => return zero_like(eg, *a),
        BinaryOp::CmpLt => false,
        _ if x.dtype.is_float() => return None,
        BinaryOp::CmpEq => true,
        _ => false,
    };
    Some(Term::constant(
        Value::Bool(answer),
        DType::Bool,
        x.dims.clone(),
    ))
}

/// idiv(x, 1) → x; mod(x, 1) → 0.
fn int_division_one(eg: &EG, node: &ENode) -> Option<Term> {
    match node {
        ENode::Idiv([a, b]) if is_const(eg, *b, 1.0) => Some(Term::Class(*a)),
        ENode::Mod([a, b]) if is_const(eg, *b, 1.0) => zero_like(eg, *a),
        _ => None,
    }
}

/// and(x, all-ones) → x, and(x, 0) → 0, or(x, 0) → x, or(x, all-ones) → all-ones,
/// xor(x, 0) → x, in either operand order (bool: true is all-ones, false is 0).
fn bit_identities(eg: &EG, node: &ENode) -> Option<Term> {
    let zero = |id: Id| is_const(eg, id, 0.0);
    let ones = |id: Id| is_all_ones(eg, id);
    let (a, b) = match node {
        ENode::And([a, b]) | ENode::Or([a, b]) | ENode::Xor([a, b]) => (*a, *b),
        _ => return None,
    };
    for (x, k) in [(a, b), (b, a)] {
        let answer = match node {
            ENode::And(_) if ones(k) => x,
            ENode::And(_) if zero(k) => k,
            ENode::Or(_) if zero(k) => x,
            ENode::Or(_) if ones(k) => k,
            ENode::Xor(_) if zero(k) => x,
            _ => continue,
        };
        return Some(Term::Class(answer));
    }
    None
}

/// shl(x, 0) → x, shr(x, 0) → x.
fn shift_zero(eg: &EG, node: &ENode) -> Option<Term> {
    match node {
        ENode::Shl([a, b]) | ENode::Shr([a, b]) if is_const(eg, *b, 0.0) => Some(Term::Class(*a)),
        _ => None,
    }
}

/// x / c → x · (1/c) for a constant c (the reciprocal folds): fast-math, it rounds twice.
fn div_by_const(eg: &EG, node: &ENode) -> Option<Term> {
    let ENode::Div([x, c]) = node else {
        return None;
    };
    info(eg, *c)?.constant?;
    let inverse = Term::unary(UnaryOp::Recip, Term::Class(*c));
    Some(Term::binary(BinaryOp::Mul, Term::Class(*x), inverse))
}
