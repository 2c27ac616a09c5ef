//! `egpu bench [--device D] [--size small|full] [--compile-only] [--json] [FILES]`: the
//! benchmark suite (built in, [`suite::SUITE`]) or the graph files given, either compiled
//! only (compile time per pass) or compiled, run, timed and verified on a device, with the
//! device's own copy and link bandwidth measured first. docs/benchmarks.md explains every
//! column.

mod compile_only;
mod copy;
mod device;
mod metric;
mod report;
mod suite;
mod verify;

use super::error::shown;
use super::progress::Progress;
use super::{CliError, load};
use device::{Bench, Timing, Workload};
use egpu_ir::{Graph, text};
use egpu_runtime::{CpuDevice, Device, EmuDevice, open_default_device, open_device};
use report::{Header, Line};
use std::io::Write;
use std::path::PathBuf;
use verify::{Check, Verdict};

/// What `egpu bench` was asked to do.
pub struct BenchArgs<'a> {
    pub files: &'a [PathBuf],
    pub device: Option<&'a str>,
    pub size: Option<&'a str>,
    pub compile_only: bool,
    pub json: bool,
    pub runs: Option<usize>,
    pub target: Option<&'a str>,
}

/// The suite's sizes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Size {
    /// `benches/suite/small/`: the emulator runs each graph in milliseconds.
    Small,
    /// `benches/suite/`: the sizes of docs/architecture.md's table.
    Full,
}

impl Size {
    fn parse(text: &str) -> Result<Size, CliError> {
        match text {
            "small" => Ok(Size::Small),
            "full" => Ok(Size::Full),
            other => Err(CliError::User(format!(
                "--size {}: expected small or full",
                shown(other)
            ))),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Size::Small => "small",
            Size::Full => "full",
        }
    }
}

/// The target `--compile-only` compiles for when none is named.
const DEFAULT_TARGET: &str = "gfx1100";

pub fn run(args: &BenchArgs, out: &mut dyn Write) -> Result<(), CliError> {
    let size = args.size.map(Size::parse).transpose()?;
    if args.compile_only {
        let size = size.unwrap_or(Size::Full);
        let graphs: Vec<(String, Graph)> = workloads(args.files, size)?
            .into_iter()
            .map(|w| (w.name, w.graph))
            .collect();
        let target = args.target.unwrap_or(DEFAULT_TARGET);
        return compile_only::run(&graphs, target, size.name(), args.json, out);
    }
    let mut device = match args.device {
        Some(name) => open_device(name)
            .map_err(|e| CliError::User(format!("--device {}: {e}", shown(name))))?,
        None => open_default_device().map_err(|e| CliError::User(format!("no device: {e}")))?,
    };
    let target = device_target(args.target, device.as_ref())?;
    let gpu = ![CpuDevice::NAME, EmuDevice::NAME].contains(&device.name());
    let size = size.unwrap_or(if gpu { Size::Full } else { Size::Small });
    let timing = Timing {
        warmup: if gpu { 3 } else { 1 },
        runs: args.runs.unwrap_or(if gpu { 20 } else { 5 }).max(1),
    };
    let work = workloads(args.files, size)?;
    let description = device.describe();
    let mut bench = Bench::new(device.as_mut(), target, timing)?;
    let steps = copy::steps(&bench) + work.len() * (timing.warmup + timing.runs);
    let mut progress = Progress::new(steps);
    let copy_elements = match size {
        Size::Full => copy::FULL_COPY_ELEMENTS,
        Size::Small => copy::SMALL_COPY_ELEMENTS,
    };
    let bandwidth = copy::measure(&mut bench, copy_elements, &mut progress)?;
    let mut lines = Vec::new();
    let mut failures = Vec::new();
    for w in &work {
        match bench.measure(w, &mut progress) {
            Ok(row) => {
                if let Verdict::Failed(_) = row.verdict {
                    let message = format!("{}: verification failed (see the output)", row.name);
                    failures.push(CliError::User(message));
                }
                lines.push(Line::Measured(row));
            }
            Err(e) => {
                let message = e.to_string();
                lines.push(Line::Error {
                    name: w.name.clone(),
                    message,
                });
                failures.push(e);
            }
        }
    }
    progress.finish();
    let header = Header {
        device: description,
        target: target.to_string(),
        size: size.name(),
        timing,
        bandwidth,
    };
    let text = if args.json {
        report::json(&header, &lines)
    } else {
        report::table(&header, &lines)
    };
    out.write_all(text.as_bytes())
        .map_err(super::error::output)?;
    match failures.len() {
        0 => Ok(()),
        1 => Err(failures.remove(0)),
        _ => Err(CliError::Several(failures)),
    }
}

/// `--target` if given and the device runs it (the cpu device runs any target's kernel
/// IR), else the device's own target (gfx1100 on cpu).
fn device_target<'a>(target: Option<&'a str>, device: &dyn Device) -> Result<&'a str, CliError> {
    match (target, device.target_name()) {
        (Some(t), Some(own)) if t != own => Err(CliError::User(format!(
            "--target {t}: device {} runs {own} code",
            device.name()
        ))),
        (Some(t), _) => Ok(t),
        (None, Some(own)) => Ok(own),
        (None, None) => Ok(DEFAULT_TARGET),
    }
}

/// The graphs to measure: `files` (each checked whole when the reference interpreter can
/// hold it) or, without files, the suite at `size` (small: checked whole; full: on sampled
/// rows).
fn workloads(files: &[PathBuf], size: Size) -> Result<Vec<Workload>, CliError> {
    if !files.is_empty() {
        return files
            .iter()
            .map(|file| {
                let name = file.file_stem().map_or_else(
                    || file.display().to_string(),
                    |s| s.to_string_lossy().into(),
                );
                Ok(Workload {
                    name,
                    graph: load::graph(file)?,
                    check: Check::IfSmall,
                })
            })
            .collect();
    }
    suite::SUITE
        .iter()
        .map(|g| {
            let source = match size {
                Size::Small => g.small,
                Size::Full => g.full,
            };
            let check = match (size, &g.sampled) {
                (Size::Full, Some(sampled)) => Check::Sampled(sampled),
                _ => Check::Reference,
            };
            let graph = text::parse(source)
                .map_err(|e| CliError::Internal(format!("built-in suite graph {}: {e}", g.name)))?;
            Ok(Workload {
                name: g.name.to_string(),
                graph,
                check,
            })
        })
        .collect()
}
