//! Kernel-IR optimizations, run by the pipeline after `lower` on every kernel, each a
//! function `&Kernel -> Kernel` that rebuilds the kernel through
//! [`egpu_ir::kernel::KernelBuilder`] (so the builder's checks apply; the pipeline runs the
//! verifier after each [`Step`] in debug builds, after all of them in release builds),
//! deterministic, iterative and near-linear:
//! - [`fold`]: constant folding with the interpreter's element semantics;
//! - [`strength`]: division and remainder by constants into shifts and `mulhi`;
//! - [`licm`]: loop-invariant code motion;
//! - [`cse`]: common subexpression elimination (loads only between effects);
//! - [`dce`]: dead code elimination.
//!
//! Each can be switched off by its [`KernelPass::name`] (`--disable-pass`). The pipeline runs
//! them as [`Step`]s: LICM and CSE, when both run, share one rebuild.

// The passes return the builder's own error, `KernelError`, unboxed like the builder does.
#![allow(clippy::result_large_err)]

mod cse;
mod dce;
mod dense;
mod fold;
mod licm;
mod range;
mod rebuild;
mod strength;
mod tree;

#[cfg(test)]
mod tests;

use egpu_ir::kernel::{Kernel, KernelError, Stmt};

/// The kernel-IR passes, in the order the pipeline runs them: folding first (it makes
/// constants the others use), strength reduction next (its constants and products are
/// then shared by CSE), LICM before CSE (lowering emits loops as they are, so a value a
/// loop recomputes from outer values moves out first and then merges with the same value
/// already computed before the loop), DCE last (it removes what the others left unused).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KernelPass {
    Fold,
    StrengthReduce,
    Licm,
    Cse,
    Dce,
}

impl KernelPass {
    pub const ALL: [KernelPass; 5] = [
        KernelPass::Fold,
        KernelPass::StrengthReduce,
        KernelPass::Licm,
        KernelPass::Cse,
        KernelPass::Dce,
    ];

    /// The name `--disable-pass` and the filetests use.
    pub fn name(self) -> &'static str {
        match self {
            KernelPass::Fold => "fold",
            KernelPass::StrengthReduce => "strength-reduce",
            KernelPass::Cse => "cse",
            KernelPass::Licm => "licm",
            KernelPass::Dce => "dce",
        }
    }

    pub fn from_name(name: &str) -> Option<KernelPass> {
        KernelPass::ALL.into_iter().find(|p| p.name() == name)
    }

    /// The kernel the pass makes of `kernel`.
    pub fn run(self, kernel: &Kernel) -> Result<Kernel, KernelError> {
        Ok(self.apply(kernel)?.unwrap_or_else(|| kernel.clone()))
    }

    /// The rewritten kernel, or `None` when the pass has nothing to change: a linear scan
    /// first tells whether there is anything to do, so an unchanged kernel is neither
    /// rebuilt nor verified again.
    pub fn apply(self, kernel: &Kernel) -> Result<Option<Kernel>, KernelError> {
        match self {
            KernelPass::Fold => fold::fold(kernel),
            KernelPass::StrengthReduce => strength::strength_reduce(kernel),
            KernelPass::Cse => cse::cse(kernel),
            KernelPass::Licm => licm::licm(kernel),
            KernelPass::Dce => dce::dce(kernel),
        }
    }
}

/// One step of the pipeline: an enabled pass, or LICM and CSE together when both are
/// enabled. LICM only moves statements, and CSE of the moved statements needs no kernel of
/// its own in between (see [`cse::cse_over`]), so the pair costs one rebuild instead of two,
/// with the same result as running them one after the other.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    One(KernelPass),
    LicmCse,
}

impl Step {
    /// The enabled passes in [`KernelPass::ALL`] order, as steps.
    pub fn plan(enabled: impl Fn(KernelPass) -> bool) -> Vec<Step> {
        let mut steps: Vec<Step> = Vec::new();
        for pass in KernelPass::ALL.into_iter().filter(|&p| enabled(p)) {
            if pass == KernelPass::Cse && steps.last() == Some(&Step::One(KernelPass::Licm)) {
                steps.pop();
                steps.push(Step::LicmCse);
            } else {
                steps.push(Step::One(pass));
            }
        }
        steps
    }

    /// The name errors and per-pass verification use.
    pub fn name(self) -> &'static str {
        match self {
            Step::One(pass) => pass.name(),
            Step::LicmCse => "licm+cse",
        }
    }

    /// The rewritten kernel, or `None` when the step changes nothing.
    pub fn apply(self, kernel: &Kernel) -> Result<Option<Kernel>, KernelError> {
        match self {
            Step::One(pass) => pass.apply(kernel),
            Step::LicmCse => match licm::hoisting(kernel) {
                Some(hoisting) => cse::cse_over(kernel, &hoisting).map(Some),
                None => cse::cse(kernel),
            },
        }
    }

    /// Each pass's name and statement count before and after it, given the step's
    /// (`-v` reports them pass by pass; LICM keeps the count).
    pub fn counts(self, before: usize, after: usize) -> Vec<(&'static str, usize, usize)> {
        match self {
            Step::One(pass) => vec![(pass.name(), before, after)],
            Step::LicmCse => vec![("licm", before, before), ("cse", before, after)],
        }
    }
}

/// Statements in a kernel, nested ones included: what `-v` reports a pass removed.
pub fn statement_count(kernel: &Kernel) -> usize {
    count_in(&[kernel.body()])
}

/// Statements inside `stmt` (in a loop's body or an if's branches), nested ones included.
fn nested_count(stmt: &Stmt) -> usize {
    match stmt {
        Stmt::Loop(l) => count_in(&[&l.body]),
        Stmt::If {
            then_body,
            else_body,
            ..
        } => count_in(&[then_body, else_body]),
        _ => 0,
    }
}

/// Statements in `blocks`, nested ones included.
fn count_in(blocks: &[&[Stmt]]) -> usize {
    // Block by block (the pipeline counts every kernel after every pass that changed it).
    let mut count = 0;
    let mut blocks = blocks.to_vec();
    while let Some(block) = blocks.pop() {
        count += block.len();
        for stmt in block {
            match stmt {
                Stmt::Loop(l) => blocks.push(&l.body),
                Stmt::If {
                    then_body,
                    else_body,
                    ..
                } => blocks.extend([&then_body[..], &else_body[..]]),
                _ => {}
            }
        }
    }
    count
}
