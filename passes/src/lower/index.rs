//! Symbolic integer index expressions and their simplifier.
//!
//! An [`Ix`] is an affine sum `Σ cᵢ·atomᵢ + c₀` whose atoms are variables ([`Var`], each with
//! a known range `[0, extent)`), and truncating divisions and remainders of sub-expressions
//! by positive constants. Every expression is built through [`Sym`], whose constructors
//! simplify on the way in, so an expression is always in its canonical form: terms sorted by
//! atom, like terms combined, zero terms dropped, and no division or remainder that the
//! ranges can remove.
//!
//! # Rules (all exact for the truncating `idiv`/`mod` the kernel IR uses)
//! Rules that move terms in or out of a division only fire when the operand is provably
//! non-negative, where truncating and floor division agree.
//! - constants fold; `x·1`, `x + 0`, `x div 1` and `x mod 1` disappear;
//! - a variable of extent 1 is the constant 0;
//! - `x div k → 0` and `x mod k → x` when `0 ≤ x < k`; more generally, when all of `x`'s
//!   range lies in one period `[q·k, q·k + k)`, `x div k → q` and `x mod k → x − q·k`;
//! - `(k·a + b) div k → a + b div k` and `(k·a + b) mod k → b mod k` when `b ≥ 0`: each
//!   coefficient is split into its multiple of `k` and its remainder;
//! - `(g·y + s) div k → y div (k/g)` and `(g·y + s) mod k → g·(y mod (k/g)) + s` when
//!   `g` divides `k`, `y ≥ 0` and `0 ≤ s < g` (what makes `(8·i + 4 + lane) mod 256`
//!   contiguous in `lane`);
//! - `(x div a) div b → x div (a·b)` and `(x mod m) mod k → x mod k` when `k` divides `m`;
//! - `m·a·(x div a) + m·(x mod a) → m·x` and `m·a·((x div a) mod b) + m·(x mod a) →
//!   m·(x mod a·b)`, with `x div a` in canonical form (what makes a reshape of a reshape one
//!   flat index).
//!
//! # Size
//! The functions here recurse into divisions and remainders, so their depth follows the
//! nesting of an expression. Lowering keeps that bounded: a movement op whose source index
//! is larger than a fixed number of terms ([`Ix::larger_than`]) has it computed into a
//! kernel value that a new variable stands for (`emit/values.rs`), so no expression grows
//! with the length of a chain of views (a chain of reshapes and permutes would otherwise
//! double it at each step).
//!
//! Arithmetic on coefficients saturates instead of overflowing: graphs hold at most 2^48
//! elements, so real indices stay far from the i128 limits, and a malformed input can only
//! give a wrong (never executed) expression, not a panic. Division by a non-positive constant
//! gives 0: it only arises from an axis of size 0, whose tensor has no element to index.

use std::fmt;
use std::rc::Rc;

/// A variable of index expressions: a lane id, a loop counter, a row number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Var(u32);

impl Var {
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// What an expression is a sum of.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Atom {
    Var(Var),
    /// Truncating division by a positive constant. (Shared: expressions are cloned into
    /// cache keys all the time, and a clone of an `Rc` is a count.)
    Div(Rc<Ix>, i128),
    /// Truncating remainder by a positive constant (the dividend's sign).
    Mod(Rc<Ix>, i128),
}

impl Atom {
    /// The newest variable in the atom.
    pub fn newest_var(&self) -> Option<Var> {
        match self {
            Atom::Var(v) => Some(*v),
            Atom::Div(x, _) | Atom::Mod(x, _) => x.newest_var(),
        }
    }
}

/// `Σ coefficient·atom + constant`, canonical (see the module documentation).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ix {
    terms: Vec<(Atom, i128)>,
    constant: i128,
}

impl Ix {
    pub fn constant(c: i128) -> Ix {
        Ix {
            terms: Vec::new(),
            constant: c,
        }
    }

    pub fn zero() -> Ix {
        Ix::constant(0)
    }

    /// `c·atom` (an atom taken from a canonical expression stays canonical).
    pub fn term(atom: Atom, c: i128) -> Ix {
        let terms = if c == 0 { Vec::new() } else { vec![(atom, c)] };
        Ix { terms, constant: 0 }
    }

    /// The terms, sorted by atom, with non-zero coefficients.
    pub fn terms(&self) -> &[(Atom, i128)] {
        &self.terms
    }

    pub fn constant_part(&self) -> i128 {
        self.constant
    }

    /// The value, if the expression is a constant.
    pub fn as_constant(&self) -> Option<i128> {
        self.terms.is_empty().then_some(self.constant)
    }

    /// The variable, if the expression is exactly one variable.
    pub fn as_var(&self) -> Option<Var> {
        match self.terms.as_slice() {
            [(Atom::Var(v), 1)] if self.constant == 0 => Some(*v),
            _ => None,
        }
    }

    /// Whether `v` occurs anywhere in the expression (inside divisions too).
    pub fn contains(&self, v: Var) -> bool {
        self.terms.iter().any(|(atom, _)| match atom {
            Atom::Var(w) => *w == v,
            Atom::Div(x, _) | Atom::Mod(x, _) => x.contains(v),
        })
    }

    /// The coefficient of `v` as a top-level term and the rest of the expression, if `v`
    /// occurs nowhere else: `base + c·v` with `v` absent from `base`.
    pub fn split_var(&self, v: Var) -> Option<(i128, Ix)> {
        let mut coefficient = 0;
        let mut rest = Vec::new();
        for (atom, c) in &self.terms {
            match atom {
                Atom::Var(w) if *w == v => coefficient = *c,
                _ => rest.push((atom.clone(), *c)),
            }
        }
        let base = Ix {
            terms: rest,
            constant: self.constant,
        };
        (!base.contains(v)).then_some((coefficient, base))
    }

    /// The newest variable in the expression (variables are numbered in creation order).
    pub fn newest_var(&self) -> Option<Var> {
        self.terms
            .iter()
            .filter_map(|(atom, _)| atom.newest_var())
            .max()
    }

    /// `(head, tail)` with `self = head + tail`: `head` holds the constant and the terms
    /// whose variables are all older than `v`, `tail` the others. Before a loop whose
    /// variable is `v`, `head` is what does not change inside it.
    pub fn split_before(&self, v: Var) -> (Ix, Ix) {
        let (old, new): (Vec<_>, Vec<_>) = self
            .terms
            .iter()
            .cloned()
            .partition(|(atom, _)| atom.newest_var().is_none_or(|w| w < v));
        let head = Ix {
            terms: old,
            constant: self.constant,
        };
        let tail = Ix {
            terms: new,
            constant: 0,
        };
        (head, tail)
    }

    /// Whether the expression has more than `limit` terms, counting those inside divisions
    /// and remainders (a shared sub-expression once per use). Stops counting past the
    /// limit, so it costs at most `limit` steps however large the expression is.
    pub fn larger_than(&self, limit: usize) -> bool {
        let mut count = 0usize;
        let mut pending: Vec<&Ix> = vec![self];
        while let Some(x) = pending.pop() {
            for (atom, _) in &x.terms {
                count += 1;
                if count > limit {
                    return true;
                }
                if let Atom::Div(inner, _) | Atom::Mod(inner, _) = atom {
                    pending.push(inner);
                }
            }
        }
        false
    }

    /// Whether every value of the expression is a multiple of `g` (provable from the
    /// coefficients alone: atoms may take any integer value).
    pub fn divisible_by(&self, g: i128) -> bool {
        g != 0 && self.constant % g == 0 && self.terms.iter().all(|(_, c)| c % g == 0)
    }
}

impl fmt::Display for Ix {
    /// `4·v0 + (v1 div 16) + 3`: for tests and error messages.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts: Vec<String> = Vec::new();
        for (atom, c) in &self.terms {
            let a = match atom {
                Atom::Var(v) => format!("v{}", v.0),
                Atom::Div(x, k) => format!("({} div {k})", grouped(x)),
                Atom::Mod(x, k) => format!("({} mod {k})", grouped(x)),
            };
            parts.push(if *c == 1 { a } else { format!("{c}·{a}") });
        }
        if self.constant != 0 || parts.is_empty() {
            parts.push(self.constant.to_string());
        }
        f.write_str(&parts.join(" + "))
    }
}

/// `x`, parenthesized when it is a sum of several parts.
fn grouped(x: &Ix) -> String {
    let parts = x.terms.len() + usize::from(x.constant != 0);
    if parts > 1 {
        format!("({x})")
    } else {
        x.to_string()
    }
}

/// The variables' ranges, and the simplifying constructors that need them.
#[derive(Clone, Debug, Default)]
pub struct Sym {
    extents: Vec<i128>,
}

/// Inclusive lower and upper bounds of an expression.
pub type Bounds = (i128, i128);

impl Sym {
    pub fn new() -> Sym {
        Sym::default()
    }

    /// A new variable taking the values `0..extent`.
    pub fn new_var(&mut self, extent: i128) -> Var {
        self.extents.push(extent);
        Var(u32::try_from(self.extents.len() - 1).unwrap_or(u32::MAX))
    }

    /// The variable [`Sym::new_var`] will create next.
    pub fn next_var(&self) -> Var {
        Var(u32::try_from(self.extents.len()).unwrap_or(u32::MAX))
    }

    pub fn extent(&self, v: Var) -> i128 {
        self.extents.get(v.index()).copied().unwrap_or(0)
    }

    /// The variable as an expression (0 when it can only be 0).
    pub fn var(&self, v: Var) -> Ix {
        if self.extent(v) <= 1 {
            return Ix::zero();
        }
        Ix {
            terms: vec![(Atom::Var(v), 1)],
            constant: 0,
        }
    }

    // ----- bounds -----

    /// Inclusive bounds of every value `x` can take.
    pub fn bounds(&self, x: &Ix) -> Bounds {
        let mut lo = x.constant;
        let mut hi = x.constant;
        for (atom, c) in &x.terms {
            let (a, b) = self.atom_bounds(atom);
            let (p, q) = (a.saturating_mul(*c), b.saturating_mul(*c));
            lo = lo.saturating_add(p.min(q));
            hi = hi.saturating_add(p.max(q));
        }
        (lo, hi)
    }

    fn atom_bounds(&self, atom: &Atom) -> Bounds {
        match atom {
            Atom::Var(v) => (0, (self.extent(*v) - 1).max(0)),
            Atom::Div(x, k) => {
                let (lo, hi) = self.bounds(x);
                // Floor of the lower end and truncation of the upper end bound the
                // truncating quotient of every value in between, whatever the signs.
                (lo.div_euclid(*k), hi / k)
            }
            Atom::Mod(x, k) => {
                let (lo, hi) = self.bounds(x);
                if lo >= 0 {
                    if lo / k == hi / k {
                        (lo % k, hi % k)
                    } else {
                        (0, hi.min(k - 1))
                    }
                } else {
                    // The remainder has the dividend's sign and is smaller than both.
                    ((-(k - 1)).max(lo.min(0)), (k - 1).min(hi.max(0)))
                }
            }
        }
    }

    /// The largest magnitude of any value computed while evaluating `x` term by term
    /// (partial sums, products, quotients' operands, constants): what decides whether the
    /// arithmetic fits in i32.
    pub fn magnitude(&self, x: &Ix) -> i128 {
        let mut total = x.constant.saturating_abs();
        let mut inner = 0;
        for (atom, c) in &x.terms {
            let (a, b) = self.atom_bounds(atom);
            let m = a.saturating_abs().max(b.saturating_abs());
            total = total.saturating_add(m.saturating_mul(c.saturating_abs()));
            inner = inner.max(c.saturating_abs());
            if let Atom::Div(e, k) | Atom::Mod(e, k) = atom {
                inner = inner.max(self.magnitude(e)).max(*k);
            }
        }
        total.max(inner)
    }

    // ----- arithmetic -----

    pub fn add(&self, a: &Ix, b: &Ix) -> Ix {
        let constant = a.constant.saturating_add(b.constant);
        // A canonical expression plus a constant is canonical (see `add_const`).
        match (a.terms.is_empty(), b.terms.is_empty()) {
            (_, true) => return self.add_const(a, b.constant),
            (true, false) => return self.add_const(b, a.constant),
            _ => {}
        }
        let mut terms = Vec::with_capacity(a.terms.len() + b.terms.len());
        terms.extend(a.terms.iter().cloned());
        terms.extend(b.terms.iter().cloned());
        self.sum(terms, constant)
    }

    /// `a + c`. The terms of a canonical expression are already sorted, combined and
    /// recombined, and the constant takes no part in any rule of [`Sym::sum`], so they are
    /// kept as they are (the common case of index arithmetic, without a sort).
    pub fn add_const(&self, a: &Ix, c: i128) -> Ix {
        Ix {
            terms: a.terms.clone(),
            constant: a.constant.saturating_add(c),
        }
    }

    pub fn sub(&self, a: &Ix, b: &Ix) -> Ix {
        self.add(a, &self.scale(b, -1))
    }

    /// `c·a`.
    pub fn scale(&self, a: &Ix, c: i128) -> Ix {
        if c == 0 {
            return Ix::zero();
        }
        if let Some(scaled) = scaled_exactly(a, c) {
            return scaled;
        }
        let terms = a
            .terms
            .iter()
            .map(|(atom, k)| (atom.clone(), k.saturating_mul(c)))
            .collect();
        self.sum(terms, a.constant.saturating_mul(c))
    }

    /// The canonical sum of `terms` and `constant`: sorted, like terms combined, zero terms
    /// dropped, and the digits of a number put back together (see [`Sym::recombine`]).
    fn sum(&self, terms: Vec<(Atom, i128)>, constant: i128) -> Ix {
        let mut terms = merge(terms);
        let mut constant = constant;
        // Each step replaces two terms by the terms of one expression; the bound only
        // guards against a cycle the rules do not have.
        for _ in 0..64 {
            let Some((i, j, replacement)) = self.recombine(&terms) else {
                break;
            };
            let (first, second) = (i.min(j), i.max(j));
            terms.remove(second);
            terms.remove(first);
            terms.extend(replacement.terms.iter().cloned());
            constant = constant.saturating_add(replacement.constant);
            terms = merge(terms);
        }
        Ix { terms, constant }
    }

    /// Finds `m·(x mod a)` with a partner and what the two are together (exact for
    /// truncating division, whatever the signs):
    /// - `m·a·(x div a)`: together `m·x`;
    /// - `m·a·((x div a) mod b)`: together `m·(x mod a·b)`.
    ///
    /// `x div a` is compared in its canonical form, so `(r div 16) div 16` is found as
    /// `r div 256`: a row-major index split into digits and flattened again is the index.
    fn recombine(&self, terms: &[(Atom, i128)]) -> Option<(usize, usize, Ix)> {
        for (i, (atom, m)) in terms.iter().enumerate() {
            let Atom::Mod(x, a) = atom else { continue };
            let want = m.saturating_mul(*a);
            // The quotient costs a simplification: only for a term that could pair.
            let partner = |(j, (_, c)): &(usize, &(Atom, i128))| *c == want && *j != i;
            if !terms.iter().enumerate().any(|t| partner(&t)) {
                continue;
            }
            let quotient = self.div(x, *a);
            for (j, (other, c)) in terms.iter().enumerate() {
                if *c != want || j == i {
                    continue;
                }
                if Ix::term(other.clone(), 1) == quotient {
                    return Some((i, j, self.scale(x, *m)));
                }
                if let Atom::Mod(y, b) = other
                    && **y == quotient
                {
                    let joined = self.rem(x, a.saturating_mul(*b));
                    return Some((i, j, self.scale(&joined, *m)));
                }
            }
        }
        None
    }

    /// `x div k` (truncating), simplified.
    pub fn div(&self, x: &Ix, k: i128) -> Ix {
        if k <= 0 {
            return Ix::zero();
        }
        if k == 1 {
            return x.clone();
        }
        if let Some(c) = x.as_constant() {
            return Ix::constant(c / k);
        }
        let (lo, hi) = self.bounds(x);
        if lo >= 0 {
            if lo / k == hi / k {
                return Ix::constant(lo / k);
            }
            if let Some(simpler) = self.div_nonnegative(x, k) {
                return simpler;
            }
        }
        self.atom(Atom::Div(Rc::new(x.clone()), k))
    }

    /// The rules for a non-negative dividend that change its form.
    fn div_nonnegative(&self, x: &Ix, k: i128) -> Option<Ix> {
        if let Some((quotient, rest)) = self.split_multiples(x, k) {
            return Some(self.add(&quotient, &self.div(&rest, k)));
        }
        if let Some((g, y, _)) = self.gcd_split(x, k) {
            return Some(self.div(&y, k / g));
        }
        // (y div a) div k = y div (a·k) for y ≥ 0.
        if let [(Atom::Div(y, a), 1)] = x.terms.as_slice()
            && x.constant == 0
            && self.bounds(y).0 >= 0
        {
            return Some(self.div(y, a.saturating_mul(k)));
        }
        None
    }

    /// `x mod k` (truncating), simplified.
    pub fn rem(&self, x: &Ix, k: i128) -> Ix {
        if k <= 1 {
            return Ix::zero();
        }
        if let Some(c) = x.as_constant() {
            return Ix::constant(c % k);
        }
        let (lo, hi) = self.bounds(x);
        if lo >= 0 {
            if lo / k == hi / k {
                return self.add_const(x, -(lo / k).saturating_mul(k));
            }
            if let Some(simpler) = self.rem_nonnegative(x, k) {
                return simpler;
            }
        }
        self.atom(Atom::Mod(Rc::new(x.clone()), k))
    }

    fn rem_nonnegative(&self, x: &Ix, k: i128) -> Option<Ix> {
        if let Some((_, rest)) = self.split_multiples(x, k) {
            return Some(self.rem(&rest, k));
        }
        if let Some((g, y, s)) = self.gcd_split(x, k) {
            return Some(self.add(&self.scale(&self.rem(&y, k / g), g), &s));
        }
        // (y mod m) mod k = y mod k when k divides m.
        if let [(Atom::Mod(y, m), 1)] = x.terms.as_slice()
            && x.constant == 0
            && m % k == 0
        {
            return Some(self.rem(y, k));
        }
        None
    }

    /// `x = k·quotient + rest` with every coefficient of `rest` in `[0, k)`, if some
    /// coefficient was at least `k` (or negative) and `rest` is still non-negative.
    fn split_multiples(&self, x: &Ix, k: i128) -> Option<(Ix, Ix)> {
        let small = |c: i128| (0..k).contains(&c);
        if small(x.constant) && x.terms.iter().all(|(_, c)| small(*c)) {
            return None;
        }
        let mut quotient = Vec::new();
        let mut rest = Vec::new();
        for (atom, c) in &x.terms {
            let (q, r) = (c.div_euclid(k), c.rem_euclid(k));
            if q != 0 {
                quotient.push((atom.clone(), q));
            }
            if r != 0 {
                rest.push((atom.clone(), r));
            }
        }
        let (q0, r0) = (x.constant.div_euclid(k), x.constant.rem_euclid(k));
        if quotient.is_empty() && q0 == 0 {
            return None;
        }
        let rest = self.sum(rest, r0);
        if self.bounds(&rest).0 < 0 {
            return None;
        }
        Some((self.sum(quotient, q0), rest))
    }

    /// `x = g·y + s` with `g` a divisor of `k` greater than 1, `y ≥ 0` and `0 ≤ s < g`: then
    /// `x div k = y div (k/g)` and `x mod k = g·(y mod (k/g)) + s`. Tries the largest `g`
    /// first among the common divisors of `k` and each coefficient.
    fn gcd_split(&self, x: &Ix, k: i128) -> Option<(i128, Ix, Ix)> {
        let mut candidates: Vec<i128> = x
            .terms
            .iter()
            .map(|(_, c)| gcd(k, *c))
            .chain([gcd(k, x.constant)])
            .filter(|&g| g > 1 && g < k)
            .collect();
        candidates.sort_unstable_by(|a, b| b.cmp(a));
        candidates.dedup();
        for g in candidates {
            let mut y = Vec::new();
            let mut s = Vec::new();
            for (atom, c) in &x.terms {
                if c % g == 0 {
                    y.push((atom.clone(), c / g));
                } else {
                    s.push((atom.clone(), *c));
                }
            }
            let y = self.sum(y, x.constant.div_euclid(g));
            let s = self.sum(s, x.constant.rem_euclid(g));
            let (slo, shi) = self.bounds(&s);
            if slo >= 0 && shi < g && self.bounds(&y).0 >= 0 && !y.terms.is_empty() {
                return Some((g, y, s));
            }
        }
        None
    }

    fn atom(&self, atom: Atom) -> Ix {
        Ix {
            terms: vec![(atom, 1)],
            constant: 0,
        }
    }

    /// `x` with `v` replaced by `value`, simplified again.
    pub fn substitute(&self, x: &Ix, v: Var, value: &Ix) -> Ix {
        let mut out = Ix::constant(x.constant);
        for (atom, c) in &x.terms {
            let replaced = match atom {
                Atom::Var(w) if *w == v => value.clone(),
                Atom::Var(w) => self.var(*w),
                Atom::Div(e, k) => self.div(&self.substitute(e, v, value), *k),
                Atom::Mod(e, k) => self.rem(&self.substitute(e, v, value), *k),
            };
            out = self.add(&out, &self.scale(&replaced, *c));
        }
        out
    }
}

/// Sorts terms by atom, adds the coefficients of equal atoms, drops zeros (in place).
fn merge(mut terms: Vec<(Atom, i128)>) -> Vec<(Atom, i128)> {
    terms.sort_by(|a, b| a.0.cmp(&b.0));
    // `dedup_by` hands the later term first: its coefficient joins the earlier one's.
    terms.dedup_by(|(atom, c), (kept, total)| {
        let same = atom == kept;
        if same {
            *total = total.saturating_add(*c);
        }
        same
    });
    terms.retain(|(_, c)| *c != 0);
    terms
}

/// `c·a` for a canonical `a` and `c ≠ 0`, when no coefficient product overflows: then the
/// order of the terms is the same, no coefficient becomes 0, and every pairing condition of
/// [`Sym::recombine`] (`c_j = c_i·k`) holds after scaling exactly when it held before, so
/// the result is canonical as it stands. `None` where a product would saturate (the
/// general path decides then).
fn scaled_exactly(a: &Ix, c: i128) -> Option<Ix> {
    let mut terms = Vec::with_capacity(a.terms.len());
    for (atom, k) in &a.terms {
        let scaled = k.checked_mul(c)?;
        if let Atom::Mod(_, m) = atom {
            scaled.checked_mul(*m)?;
        }
        terms.push((atom.clone(), scaled));
    }
    Some(Ix {
        terms,
        constant: a.constant.checked_mul(c)?,
    })
}

/// The greatest common divisor of `|a|` and `|b|` (`gcd(k, 0) = k`).
pub fn gcd(a: i128, b: i128) -> i128 {
    let (mut a, mut b) = (a.saturating_abs(), b.saturating_abs());
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Canonical expressions of every shape the rules make: variables with coefficients,
    /// quotients and remainders (nested too), recombinable digits, constants.
    fn expressions(sym: &mut Sym) -> Vec<Ix> {
        let (a, b, c) = (sym.new_var(64), sym.new_var(256), sym.new_var(3));
        let (a, b, c) = (sym.var(a), sym.var(b), sym.var(c));
        let flat = sym.add(&sym.scale(&a, 256), &b);
        let mut xs = vec![
            Ix::zero(),
            Ix::constant(-7),
            a.clone(),
            sym.scale(&b, -3),
            flat.clone(),
            sym.div(&flat, 16),
            sym.rem(&flat, 16),
            sym.rem(&sym.div(&flat, 16), 16),
            sym.add(&sym.scale(&sym.div(&flat, 16), 16), &c),
            sym.add_const(&sym.rem(&sym.sub(&c, &b), 5), 9),
            sym.scale(&sym.add(&sym.div(&a, 3), &sym.rem(&b, 7)), 1 << 40),
        ];
        xs.push(sym.add(&xs[6], &xs[7]));
        xs
    }

    #[test]
    fn the_shortcuts_of_add_and_scale_give_the_general_sum() {
        let mut sym = Sym::new();
        let xs = expressions(&mut sym);
        let general_scale = |x: &Ix, c: i128| {
            let terms = x
                .terms
                .iter()
                .map(|(a, k)| (a.clone(), k.saturating_mul(c)));
            sym.sum(terms.collect(), x.constant.saturating_mul(c))
        };
        // Near the saturation limits the shortcut hands over to the general path.
        let big = i128::MAX / 3;
        for x in &xs {
            for c in [
                0,
                1,
                -1,
                2,
                16,
                -256,
                1 << 20,
                big,
                -big,
                i128::MAX,
                i128::MIN,
            ] {
                let added = sym.sum(x.terms.clone(), x.constant.saturating_add(c));
                assert_eq!(sym.add_const(x, c), added, "{x} + {c}");
                assert_eq!(sym.scale(x, c), general_scale(x, c), "{c}·({x})");
            }
            for y in &xs {
                let mut terms = x.terms.clone();
                terms.extend(y.terms.iter().cloned());
                let sum = sym.sum(terms, x.constant.saturating_add(y.constant));
                assert_eq!(sym.add(x, y), sum, "({x}) + ({y})");
            }
        }
    }
}
