//! The pipeline's passes, listed once: the order they run in, the names `--disable-pass`,
//! dumps and timings use, and which of them can be switched off.

use crate::kernel_opt::KernelPass;
use std::fmt;

/// One pass of the pipeline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Pass {
    Simplify,
    Schedule,
    Optimize,
    Lower,
    Fold,
    StrengthReduce,
    Licm,
    Cse,
    Dce,
}

impl Pass {
    /// Every pass, in the order the pipeline runs them (the kernel-IR passes in
    /// [`KernelPass::ALL`]'s order, after `lower`).
    pub const ALL: [Pass; 9] = [
        Pass::Simplify,
        Pass::Schedule,
        Pass::Optimize,
        Pass::Lower,
        Pass::Fold,
        Pass::StrengthReduce,
        Pass::Licm,
        Pass::Cse,
        Pass::Dce,
    ];

    /// The passes whose wall time the pipeline records, in order; `lower`'s time includes
    /// the kernel-IR passes after it.
    pub const TIMED: [Pass; 4] = [Pass::Simplify, Pass::Schedule, Pass::Optimize, Pass::Lower];

    /// The name `--disable-pass`, error messages and timings use (a kernel-IR pass's is
    /// its [`KernelPass::name`], which its filetests use too).
    pub fn name(self) -> &'static str {
        match self {
            Pass::Simplify => "simplify",
            Pass::Schedule => "schedule",
            Pass::Optimize => "optimize",
            Pass::Lower => "lower",
            Pass::Fold => KernelPass::Fold.name(),
            Pass::StrengthReduce => KernelPass::StrengthReduce.name(),
            Pass::Licm => KernelPass::Licm.name(),
            Pass::Cse => KernelPass::Cse.name(),
            Pass::Dce => KernelPass::Dce.name(),
        }
    }

    pub fn from_name(name: &str) -> Option<Pass> {
        Pass::ALL.into_iter().find(|p| p.name() == name)
    }

    /// Whether the pass may be switched off (the others are needed to produce any kernel at
    /// all): without `simplify` the graph is scheduled as written; without `optimize` every
    /// kernel is lowered with the plain plan (scalar, one element and one row per lane); a
    /// kernel-IR optimization leaves the kernels as the passes before it made them.
    pub fn optional(self) -> bool {
        !matches!(self, Pass::Schedule | Pass::Lower)
    }

    /// The names of the passes that may be switched off, in pipeline order.
    pub fn optional_names() -> Vec<&'static str> {
        let optional = Pass::ALL.into_iter().filter(|p| p.optional());
        optional.map(Pass::name).collect()
    }

    /// The kernel-IR optimization this pass runs, if it is one.
    pub fn kernel_pass(self) -> Option<KernelPass> {
        match self {
            Pass::Fold => Some(KernelPass::Fold),
            Pass::StrengthReduce => Some(KernelPass::StrengthReduce),
            Pass::Licm => Some(KernelPass::Licm),
            Pass::Cse => Some(KernelPass::Cse),
            Pass::Dce => Some(KernelPass::Dce),
            Pass::Simplify | Pass::Schedule | Pass::Optimize | Pass::Lower => None,
        }
    }
}

impl fmt::Display for Pass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernel_ir_passes_run_in_kernel_opts_order() {
        let kernel: Vec<KernelPass> = Pass::ALL
            .into_iter()
            .filter_map(Pass::kernel_pass)
            .collect();
        assert_eq!(kernel, KernelPass::ALL);
        let first = Pass::ALL.iter().position(|p| p.kernel_pass().is_some());
        assert_eq!(first, Some(4), "kernel-IR passes come after lower");
    }

    #[test]
    fn names_are_distinct_and_parse_back() {
        for pass in Pass::ALL {
            assert_eq!(Pass::from_name(pass.name()), Some(pass));
            assert_eq!(pass.to_string(), pass.name());
        }
        assert_eq!(
            Pass::from_name("strength-reduce"),
            Some(Pass::StrengthReduce)
        );
        assert_eq!(Pass::from_name("Fold"), None);
    }

    #[test]
    fn only_schedule_and_lower_are_required() {
        assert_eq!(
            Pass::optional_names(),
            [
                "simplify",
                "optimize",
                "fold",
                "strength-reduce",
                "licm",
                "cse",
                "dce"
            ]
        );
        let timed: Vec<&str> = Pass::TIMED.iter().map(|p| p.name()).collect();
        assert_eq!(timed, ["simplify", "schedule", "optimize", "lower"]);
    }
}
