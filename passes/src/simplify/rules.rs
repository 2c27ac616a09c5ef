//! How rules are written, and the list of them.
//!
//! Purely syntactic rules are egg patterns (`(neg (neg ?x))` → `?x`). Every rule with a
//! condition on dtypes, shapes, attributes or constant values is a [`NodeRule`]: a plain
//! function that looks at one e-node (and the analysis data of the classes around it) and
//! answers the [`Term`]s that equal it. The same function serves egg as the searcher
//! (read-only: it counts matches) and as the applier (it adds the terms and unions them
//! with the matched class), so a rule never adds nodes it then does not use.

use super::SimplifyError;
use super::algebra;
use super::analysis::{EG, GraphAnalysis, ValueInfo, value};
use super::fusion;
use super::language::{Attr, ENode, Move, Source, Value, binary, movement, reduce, unary};
use super::movement as moves;
use egg::{Applier, Id, Language, Pattern, Rewrite, SearchMatches, Searcher, Subst, Symbol, Var};
use egpu_ir::{BinaryOp, DType, ReduceOp, UnaryOp};

pub type Rule = Rewrite<ENode, GraphAnalysis>;

/// A term to add to the e-graph: existing classes at the leaves, new e-nodes above them.
#[derive(Clone, Debug)]
pub enum Term {
    Class(Id),
    /// An e-node whose children are replaced, in order, by the terms' classes.
    Node(ENode, Vec<Term>),
}

/// A placeholder child of an e-node prototype inside a [`Term`].
const HOLE: usize = 0;

impl Term {
    fn hole() -> Id {
        Id::from(HOLE)
    }

    pub fn attr(a: Attr) -> Term {
        Term::Node(ENode::Attr(a), vec![])
    }

    pub fn dims(d: Vec<usize>) -> Term {
        Term::attr(Attr::Dims(d))
    }

    /// `value` (of `dtype`) at every element of `dims`.
    pub fn constant(value: Value, dtype: DType, dims: Vec<usize>) -> Term {
        Term::Node(ENode::Source(Source::Const { value, dtype, dims }), vec![])
    }

    pub fn unary(op: UnaryOp, x: Term) -> Term {
        Term::Node(unary(op, Term::hole()), vec![x])
    }

    pub fn binary(op: BinaryOp, a: Term, b: Term) -> Term {
        Term::Node(binary(op, Term::hole(), Term::hole()), vec![a, b])
    }

    pub fn reduce(op: ReduceOp, x: Term, axes: Vec<usize>) -> Term {
        Term::Node(
            reduce(op, Term::hole(), Term::hole()),
            vec![x, Term::dims(axes)],
        )
    }

    /// `x` viewed by `mv` with the attribute `attr`.
    pub fn movement(mv: Move, x: Term, attr: Term) -> Term {
        let proto = movement(mv, Term::hole(), Term::hole());
        Term::Node(proto, vec![x, attr])
    }

    /// `node` with its first operand replaced by `x` (its other children kept).
    pub fn with_operand(node: &ENode, x: Term) -> Term {
        let mut children: Vec<Term> = node.children().iter().map(|&c| Term::Class(c)).collect();
        if let Some(first) = children.first_mut() {
            *first = x;
        }
        Term::Node(node.clone(), children)
    }

    /// `x` expanded to `dims`, or `x` itself when it has that shape already.
    pub fn expand_to(x: Term, from: &[usize], dims: &[usize]) -> Term {
        if from == dims {
            return x;
        }
        Term::movement(Move::Expand, x, Term::dims(dims.to_vec()))
    }

    /// Adds the term, returning its class.
    fn add(&self, eg: &mut EG) -> Id {
        match self {
            Term::Class(id) => *id,
            Term::Node(proto, children) => {
                let ids: Vec<Id> = children.iter().map(|c| c.add(eg)).collect();
                let mut node = proto.clone();
                for (slot, id) in node.children_mut().iter_mut().zip(ids) {
                    *slot = id;
                }
                eg.add(node)
            }
        }
    }
}

/// What a rule finds at one e-node: one equal term at most, or several.
#[derive(Clone, Copy)]
pub enum Find {
    One(fn(&EG, &ENode) -> Option<Term>),
    Many(fn(&EG, &ENode) -> Vec<Term>),
}

impl Find {
    fn run(self, eg: &EG, node: &ENode) -> Vec<Term> {
        match self {
            Find::One(f) => f(eg, node).into_iter().collect(),
            Find::Many(f) => f(eg, node),
        }
    }
}

/// A rule given as a function of one e-node: searcher and applier at once.
#[derive(Clone, Copy)]
pub struct NodeRule(pub Find);

impl Searcher<ENode, GraphAnalysis> for NodeRule {
    fn search_eclass_with_limit(
        &self,
        egraph: &EG,
        eclass: Id,
        limit: usize,
    ) -> Option<SearchMatches<'_, ENode>> {
        let found: usize = egraph[eclass]
            .nodes
            .iter()
            .map(|n| self.0.run(egraph, n).len())
            .sum();
        let found = found.min(limit);
        (found > 0).then(|| SearchMatches {
            eclass,
            substs: vec![Subst::with_capacity(0); found],
            ast: None,
        })
    }

    fn vars(&self) -> Vec<Var> {
        vec![]
    }
}

impl Applier<ENode, GraphAnalysis> for NodeRule {
    /// Runs the rule again on every matched class and only then adds what it found, so
    /// that what one match adds (egg rebuilds only between iterations) cannot feed the
    /// next match in the same round and compound.
    fn apply_matches(
        &self,
        egraph: &mut EG,
        matches: &[SearchMatches<ENode>],
        _rule_name: Symbol,
    ) -> Vec<Id> {
        let mut planned = Vec::new();
        for m in matches {
            for node in &egraph[m.eclass].nodes {
                for term in self.0.run(egraph, node) {
                    planned.push((m.eclass, term));
                }
            }
        }
        let mut changed = Vec::new();
        for (class, term) in planned {
            let new = term.add(egraph);
            if egraph.union(class, new) {
                changed.push(new);
            }
        }
        changed
    }

    fn apply_one(
        &self,
        _egraph: &mut EG,
        _eclass: Id,
        _subst: &Subst,
        _searcher_ast: Option<&egg::PatternAst<ENode>>,
        _rule_name: Symbol,
    ) -> Vec<Id> {
        // Never called: `apply_matches` handles whole classes.
        vec![]
    }
}

/// A rule from a node function.
pub fn node_rule(name: &str, find: Find) -> Result<Rule, SimplifyError> {
    Rewrite::new(name, NodeRule(find), NodeRule(find)).map_err(|message| SimplifyError::Rule {
        name: name.to_string(),
        message,
    })
}

/// A syntactic rule from two egg patterns.
pub fn pattern_rule(name: &str, from: &str, to: &str) -> Result<Rule, SimplifyError> {
    let bad = |message: String| SimplifyError::Rule {
        name: name.to_string(),
        message,
    };
    let from: Pattern<ENode> = from.parse().map_err(|e| bad(format!("{e}")))?;
    let to: Pattern<ENode> = to.parse().map_err(|e| bad(format!("{e}")))?;
    Rewrite::new(name, from, to).map_err(bad)
}

/// Every rule; the fast-math-only ones when asked for. Rules whose exactness depends on the
/// dtype (or on NaN bits being observable) check the e-graph's [`GraphAnalysis`] flags.
///
/// The rules depend on `fast_math` alone, so each thread builds each set once (parsing
/// the patterns was a twentieth of compiling an example) and hands out copies, which share
/// the searchers and appliers.
pub fn all(fast_math: bool) -> Result<Vec<Rule>, SimplifyError> {
    thread_local! {
        static BUILT: std::cell::RefCell<[Option<Vec<Rule>>; 2]> =
            const { std::cell::RefCell::new([None, None]) };
    }
    let slot = usize::from(fast_math);
    if let Some(rules) = BUILT.with_borrow(|built| built[slot].clone()) {
        return Ok(rules);
    }
    let rules = build(fast_math)?;
    BUILT.with_borrow_mut(|built| built[slot] = Some(rules.clone()));
    Ok(rules)
}

fn build(fast_math: bool) -> Result<Vec<Rule>, SimplifyError> {
    let mut rules = algebra::rules()?;
    rules.extend(moves::rules()?);
    rules.extend(fusion::rules()?);
    if fast_math {
        rules.extend(algebra::fast_math_rules()?);
    }
    Ok(rules)
}

// Small readers shared by the rule families.

/// The value class `id`.
pub fn info(eg: &EG, id: Id) -> Option<&ValueInfo> {
    value(eg, id)
}

/// Whether every element of `id` is `v` (converted to the class's dtype).
pub fn is_const(eg: &EG, id: Id, v: f64) -> bool {
    value(eg, id).is_some_and(|x| x.constant == Some(Value::of(v, x.dtype)))
}

/// Whether every element of `id` is the float -0.0.
pub fn is_negative_zero(eg: &EG, id: Id) -> bool {
    value(eg, id).is_some_and(|x| x.constant == Some(Value::Float((-0.0f64).to_bits())))
}

/// Whether every element of `id` has all bits set (`true` for bool).
pub fn is_all_ones(eg: &EG, id: Id) -> bool {
    let Some(x) = value(eg, id) else {
        return false;
    };
    let ones = match x.dtype {
        DType::Bool => Value::Bool(true),
        d if d.is_signed_int() => Value::Int(-1),
        d => match d.int_range() {
            Some((_, hi)) if d.is_unsigned_int() => Value::Int(hi),
            _ => return false,
        },
    };
    x.constant == Some(ones)
}

/// A constant 0 (false for bool) with the dtype and shape of class `like`.
pub fn zero_like(eg: &EG, like: Id) -> Option<Term> {
    let x = value(eg, like)?;
    Some(Term::constant(
        Value::of(0.0, x.dtype),
        x.dtype,
        x.dims.clone(),
    ))
}

/// The e-nodes of class `id`.
pub fn nodes(eg: &EG, id: Id) -> &[ENode] {
    &eg[id].nodes
}
