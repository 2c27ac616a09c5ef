//! The ordered pass pipeline ([`Pass`]): every stage can be printed, dumped to a folder, and a
//! pass switched off by name to bisect a wrong result.

mod pass;

pub use pass::Pass;

use crate::kernel_opt::{KernelPass, Step, statement_count};
use crate::lower::{LowerError, lower, program};
use crate::optimize::choose_plans;
use crate::plan::KernelPlan;
use crate::schedule::{Schedule, ScheduleError, schedule};
use crate::simplify::{SimplifyError, SimplifyOptions, SimplifyReport, simplify};
use egpu_ir::kernel::{Kernel, Program, verify};
use egpu_ir::{Graph, Target};
use std::fmt;
use std::time::{Duration, Instant};

/// The stages whose result can be printed, in pipeline order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// The graph as parsed or built.
    Graph,
    /// After e-graph simplification.
    Simplified,
    /// Fusion groups (kernels) and their buffers.
    Schedule,
    /// The lowered, target-optimized kernels and their launches.
    Kernels,
}

impl Stage {
    pub const ALL: [Stage; 4] = [
        Stage::Graph,
        Stage::Simplified,
        Stage::Schedule,
        Stage::Kernels,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Stage::Graph => "graph",
            Stage::Simplified => "simplified",
            Stage::Schedule => "schedule",
            Stage::Kernels => "kernels",
        }
    }

    pub fn from_name(name: &str) -> Option<Stage> {
        Stage::ALL.into_iter().find(|s| s.name() == name)
    }
}

/// How to compile.
#[derive(Clone, Debug)]
pub struct PipelineOptions {
    pub target: Target,
    /// Names of [`Pass::optional`] passes to skip.
    pub disabled: Vec<String>,
    pub simplify: SimplifyOptions,
}

/// A pass failed; says which, once: the passes' own errors name no pass, each variant here
/// adds its pass's name as the message's one prefix.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error("unknown pass '{0}' (passes that can be disabled: {list})", list = Pass::optional_names().join(", "))]
    UnknownPass(String),
    #[error("simplify: {0}")]
    Simplify(#[from] SimplifyError),
    #[error("schedule: {0}")]
    Schedule(#[from] ScheduleError),
    #[error("lower: {0}")]
    Lower(#[from] LowerError),
    /// A kernel-IR optimization failed to rebuild a kernel: a bug in that pass.
    #[error("{pass}: {error}")]
    KernelPass { pass: &'static str, error: String },
    /// A pass produced a kernel the verifier refuses: a bug in that pass.
    #[error("{pass} produced an invalid kernel: {errors}")]
    Verify { pass: &'static str, errors: String },
}

/// Runs the verifier (with the target's limits) on the kernels `pass` produced; a broken rule
/// is the pass's bug and is reported as such.
pub fn verify_kernels(
    pass: &'static str,
    kernels: &[Kernel],
    target: &Target,
) -> Result<(), PipelineError> {
    for kernel in kernels {
        if let Err(errors) = verify(kernel, Some(target)) {
            let errors: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
            let errors = errors.join("; ");
            return Err(PipelineError::Verify { pass, errors });
        }
    }
    Ok(())
}

/// Every stage's result.
#[derive(Clone, Debug)]
pub struct Compiled {
    pub target: Target,
    pub graph: Graph,
    pub simplified: Graph,
    /// `None` when simplify was disabled.
    pub simplify_report: Option<SimplifyReport>,
    pub schedule: Schedule,
    /// One plan per kernel (the plain plan everywhere when optimize is disabled).
    pub plans: Vec<KernelPlan>,
    /// The kernels, bound to buffers, in launch order.
    pub program: Program,
    /// What each kernel-IR optimization that ran did: its name and the statements (all
    /// kernels together) before and after it.
    pub kernel_passes: Vec<(&'static str, usize, usize)>,
    /// Wall time of each pass of [`Pass::TIMED`], in that order.
    pub times: [Duration; Pass::TIMED.len()],
}

/// Times the passes one after another.
struct PassTimes {
    last: Instant,
    times: [Duration; Pass::TIMED.len()],
}

impl PassTimes {
    fn start() -> PassTimes {
        PassTimes {
            last: Instant::now(),
            times: [Duration::ZERO; Pass::TIMED.len()],
        }
    }

    /// Ends `pass`'s interval (one of [`Pass::TIMED`]) and starts the next.
    fn lap(&mut self, pass: Pass) {
        let now = Instant::now();
        if let Some(i) = Pass::TIMED.iter().position(|&p| p == pass) {
            self.times[i] = now - self.last;
        }
        self.last = now;
    }
}

/// Runs the pipeline on `graph`.
pub fn compile(graph: &Graph, options: &PipelineOptions) -> Result<Compiled, PipelineError> {
    let disabled = disabled_passes(&options.disabled)?;
    let enabled = |pass: Pass| !disabled.contains(&pass);
    let mut clock = PassTimes::start();
    let (simplified, simplify_report) = if enabled(Pass::Simplify) {
        let (g, report) = simplify(graph, &options.simplify)?;
        (g, Some(report))
    } else {
        (graph.clone(), None)
    };
    clock.lap(Pass::Simplify);
    let schedule = schedule(&simplified)?;
    clock.lap(Pass::Schedule);
    let plans = if enabled(Pass::Optimize) {
        choose_plans(&simplified, &schedule, &options.target)
    } else {
        let plain = KernelPlan {
            subgroup_size: options.target.subgroup_size,
            ..KernelPlan::default()
        };
        vec![plain; schedule.kernels.len()]
    };
    clock.lap(Pass::Optimize);
    let kernels = lower(&simplified, &schedule, &plans)?;
    let mut program = program(&simplified, &schedule, kernels);
    verify_kernels(Pass::Lower.name(), &program.kernels, &options.target)?;
    let mut kernel_passes = Vec::new();
    let mut statements: usize = program.kernels.iter().map(statement_count).sum();
    let mut rewritten = false;
    // A kernel-IR pass runs when its `Pass` is enabled; `Step` may run two as one rebuild.
    let kernel_pass_on = |k: KernelPass| {
        let pass = Pass::ALL.into_iter().find(|p| p.kernel_pass() == Some(k));
        pass.is_some_and(enabled)
    };
    for step in Step::plan(kernel_pass_on) {
        let before = statements;
        let (after, changed) =
            run_kernel_pass(step, &mut program.kernels, &options.target, before)?;
        statements = after;
        rewritten |= changed;
        kernel_passes.extend(step.counts(before, statements));
    }
    if rewritten && !VERIFY_EACH_KERNEL_PASS {
        verify_kernels("kernel-opt", &program.kernels, &options.target)?;
    }
    clock.lap(Pass::Lower);
    Ok(Compiled {
        times: clock.times,
        target: options.target,
        graph: graph.clone(),
        simplified,
        simplify_report,
        schedule,
        plans,
        program,
        kernel_passes,
    })
}

/// The passes `names` switches off; a name that is no optional pass is an error.
fn disabled_passes(names: &[String]) -> Result<Vec<Pass>, PipelineError> {
    let pass = |name: &String| {
        Pass::from_name(name)
            .filter(|p| p.optional())
            .ok_or_else(|| PipelineError::UnknownPass(name.clone()))
    };
    names.iter().map(pass).collect()
}

/// Whether the verifier runs after each kernel-IR pass on the kernels it changed (debug
/// builds, so tests name the pass that broke a kernel) or once after all of them (release
/// builds: verifying after every pass was most of their cost in `egpu bench
/// --compile-only`; an error then names `kernel-opt`, and `--disable-pass` bisects it).
/// Either way the output of `lower` is verified on its own.
const VERIFY_EACH_KERNEL_PASS: bool = cfg!(debug_assertions);

/// Runs one [`Step`] (a kernel-IR optimization, or LICM and CSE together) on every kernel
/// (verifying each kernel it changed when [`VERIFY_EACH_KERNEL_PASS`]); returns the
/// statement count of all kernels after it (`statements` before) and whether it changed any.
fn run_kernel_pass(
    pass: Step,
    kernels: &mut [Kernel],
    target: &Target,
    mut statements: usize,
) -> Result<(usize, bool), PipelineError> {
    let mut rewritten = false;
    for kernel in kernels.iter_mut() {
        let changed = pass
            .apply(kernel)
            .map_err(|error| PipelineError::KernelPass {
                pass: pass.name(),
                error: error.to_string(),
            })?;
        if let Some(new) = changed {
            if VERIFY_EACH_KERNEL_PASS {
                verify_kernels(pass.name(), std::slice::from_ref(&new), target)?;
            }
            statements = statements.saturating_sub(statement_count(kernel)) + statement_count(&new);
            *kernel = new;
            rewritten = true;
        }
    }
    Ok((statements, rewritten))
}

impl Compiled {
    /// The printed result of one stage (deterministic: snapshots depend on it).
    pub fn stage_text(&self, stage: Stage) -> String {
        match stage {
            Stage::Graph => egpu_ir::text::print(&self.graph),
            Stage::Simplified => egpu_ir::text::print(&self.simplified),
            Stage::Schedule => self.schedule.print(&self.simplified),
            Stage::Kernels => self.kernels_text(),
        }
    }

    /// Every kernel with its plan, then the launch list.
    fn kernels_text(&self) -> String {
        let mut text = String::new();
        for (kernel, plan) in self.program.kernels.iter().zip(&self.plans) {
            text += &format!("# plan: {plan}\n{}\n", egpu_ir::kernel::print(kernel));
        }
        text += "launches:\n";
        for launch in &self.program.launches {
            let name = self
                .program
                .kernels
                .get(launch.kernel)
                .map_or("?", |k| k.name());
            text += &format!("  {name} buffers {:?}\n", launch.bindings);
        }
        text
    }

    /// Number of kernels the graph became.
    pub fn kernel_count(&self) -> usize {
        self.schedule.kernels.len()
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::ReductionStrategy;
    use egpu_ir::{DType, GraphBuilder, NodeId, ReduceOp};

    /// A one-kernel row sum, and its schedule.
    fn row_sum() -> (Graph, Schedule) {
        let mut b = GraphBuilder::new("rows");
        let x = b.input("x", DType::F32, &[4, 64]).unwrap();
        let s = b.reduce(ReduceOp::Sum, x, &[1]).unwrap();
        b.output("s", s).unwrap();
        let graph = b.finish().unwrap();
        let s = schedule(&graph).unwrap();
        (graph, s)
    }

    /// The message has `prefix` at its start and nowhere else (no `lower: lower: `).
    fn assert_one_prefix(error: PipelineError, prefix: &str) {
        let message = error.to_string();
        assert!(message.starts_with(prefix), "{message}");
        assert_eq!(message.matches(prefix).count(), 1, "{message}");
    }

    #[test]
    fn lower_errors_name_the_pass_once() {
        let (graph, s) = row_sum();
        let none = lower(&graph, &s, &[]).unwrap_err();
        assert_eq!(none.to_string(), "0 plans for 1 kernels");
        assert_one_prefix(none.into(), "lower: ");
        let bad = KernelPlan {
            reduction: ReductionStrategy::Subgroup,
            workgroup_size: 48,
            ..KernelPlan::default()
        };
        let invalid = lower(&graph, &s, &[bad]).unwrap_err();
        assert!(matches!(invalid, LowerError::InvalidPlan { .. }));
        assert_one_prefix(invalid.into(), "lower: ");
        let unsupported = LowerError::Unsupported("kernel k0: why".into());
        assert_one_prefix(unsupported.into(), "lower: ");
    }

    #[test]
    fn schedule_errors_name_the_pass_once() {
        // No valid graph triggers these (they report broken invariants), so the values
        // are built directly.
        let node = NodeId::from_u32(3);
        let errors = [
            ScheduleError::Cycle { node },
            ScheduleError::Unwritten { node },
            ScheduleError::MixedStages {
                kernel: "k0_sum".into(),
            },
        ];
        for error in errors {
            assert!(!error.to_string().contains("schedule"), "{error}");
            assert_one_prefix(error.into(), "schedule: ");
        }
    }
}
