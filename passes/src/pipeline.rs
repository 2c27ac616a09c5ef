//! The ordered pass pipeline: every stage can be printed, dumped to a folder, and a pass
//! switched off by name to bisect a wrong result.

use crate::kernel_opt::{Step, statement_count};
use crate::lower::{LowerError, LowerPlan, lower, program};
use crate::optimize::plan;
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
    /// Fusion groups (kernels) and the buffer plan.
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

/// Passes that may be switched off (the others are needed to produce any kernel at all):
/// without `simplify` the graph is scheduled as written; without `optimize` every kernel is
/// lowered with the plain plan (scalar, one element and one row per lane); the kernel-IR
/// optimizations ([`crate::kernel_opt::KernelPass`], after `lower`) each by name.
pub const OPTIONAL_PASSES: [&str; 7] = [
    "simplify",
    "optimize",
    "fold",
    "strength-reduce",
    "cse",
    "licm",
    "dce",
];

/// How to compile.
#[derive(Clone, Debug)]
pub struct PipelineOptions {
    pub target: Target,
    /// Names from [`OPTIONAL_PASSES`] to skip.
    pub disabled: Vec<String>,
    pub simplify: SimplifyOptions,
}

/// A pass failed; says which.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error("unknown pass '{0}' (passes that can be disabled: {list})", list = OPTIONAL_PASSES.join(", "))]
    UnknownPass(String),
    #[error("simplify: {0}")]
    Simplify(#[from] SimplifyError),
    /// Its message already starts with `schedule: `.
    #[error(transparent)]
    Schedule(#[from] ScheduleError),
    /// Its message already starts with `lower: `.
    #[error(transparent)]
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
    pub plans: Vec<LowerPlan>,
    /// The kernels, bound to buffers, in launch order.
    pub program: Program,
    /// What each kernel-IR optimization that ran did: its name and the statements (all
    /// kernels together) before and after it.
    pub kernel_passes: Vec<(&'static str, usize, usize)>,
    /// Wall time of each pass, in [`PASS_NAMES`] order.
    pub times: [Duration; 4],
}

/// The passes whose time [`Compiled::times`] records, in order (`lower` includes the
/// kernel-IR optimizations that follow it).
pub const PASS_NAMES: [&str; 4] = ["simplify", "schedule", "optimize", "lower"];

/// Times the passes one after another.
struct PassTimes {
    last: Instant,
    times: [Duration; 4],
}

impl PassTimes {
    fn start() -> PassTimes {
        PassTimes {
            last: Instant::now(),
            times: [Duration::ZERO; 4],
        }
    }

    /// Ends pass `i`'s interval and starts the next.
    fn lap(&mut self, i: usize) {
        let now = Instant::now();
        self.times[i] = now - self.last;
        self.last = now;
    }
}

/// Runs the pipeline on `graph`.
pub fn compile(graph: &Graph, options: &PipelineOptions) -> Result<Compiled, PipelineError> {
    if let Some(bad) = options
        .disabled
        .iter()
        .find(|d| !OPTIONAL_PASSES.contains(&d.as_str()))
    {
        return Err(PipelineError::UnknownPass(bad.clone()));
    }
    let enabled = |pass: &str| !options.disabled.iter().any(|d| d == pass);
    let mut clock = PassTimes::start();
    let (simplified, simplify_report) = if enabled("simplify") {
        let (g, report) = simplify(graph, &options.simplify)?;
        (g, Some(report))
    } else {
        (graph.clone(), None)
    };
    clock.lap(0);
    let schedule = schedule(&simplified)?;
    clock.lap(1);
    let plans = if enabled("optimize") {
        plan(&simplified, &schedule, &options.target)
    } else {
        let plain = LowerPlan {
            subgroup_size: options.target.subgroup_size,
            ..LowerPlan::default()
        };
        vec![plain; schedule.kernels.len()]
    };
    clock.lap(2);
    let kernels = lower(&simplified, &schedule, &plans)?;
    let mut program = program(&simplified, &schedule, kernels);
    verify_kernels("lower", &program.kernels, &options.target)?;
    let mut kernel_passes = Vec::new();
    let mut statements: usize = program.kernels.iter().map(statement_count).sum();
    let mut rewritten = false;
    for step in Step::plan(|p| enabled(p.name())) {
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
    clock.lap(3);
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
