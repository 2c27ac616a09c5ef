//! `egpu run-kernel FILE.kir`: run one kernel of kernel-IR text on the kernel-IR interpreter
//! with buffers from `.npy` files or seeded random values, and scalars from `--param`.
//! (The clap documentation of [`RunKernelArgs`] is the command's `--help`.)

use super::error::output;
use super::summary::summarize;
use super::tensors::write_tensors;
use super::{CliError, load};
use crate::npy;
use egpu_ir::interp::{self, ELEMENT_LIMIT, Tensor};
use egpu_ir::kernel::{self, Kernel, Param};
use egpu_ir::{DType, Scalar, Shape, Target};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The most lanes (workgroups × lanes per workgroup) one run may launch: the interpreter
/// walks every lane, and beyond this a run would take hours rather than fail.
pub const LANE_LIMIT: u64 = 1 << 24;

/// The default of `--max-steps`: about a minute of interpreting on a laptop core.
pub const DEFAULT_MAX_STEPS: u64 = 1 << 30;

/// Run one kernel of a .kir file on the kernel-IR interpreter.
///
/// Buffers not given with --input hold deterministic random values from --seed (as for
/// `eval`), or zeros if the kernel may only write them; a .npy input holds exactly the
/// buffer's dtype and length, one-dimensional. Every scalar parameter needs --param.
/// Prints where each buffer came from and a summary of each buffer the kernel may write.
///
/// The example runs a kernel that `egpu compile examples/add.egir --target gfx1100 -o out/`
/// wrote.
///
/// Example: egpu run-kernel out/k0_elementwise.kir
#[derive(clap::Args, Debug)]
pub struct RunKernelArgs {
    /// The .kir file (as `egpu compile -o` writes; see docs/kir.md).
    file: PathBuf,
    /// The kernel to run, when the file holds several.
    #[arg(long, value_name = "NAME")]
    kernel: Option<String>,
    /// Also check the launch against this target's limits (workgroup size, shared memory,
    /// subgroup size).
    #[arg(long, value_parser = super::targets())]
    target: Option<String>,
    /// Seed for the random buffers.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// A buffer from a .npy file, as NAME=FILE.npy (repeatable).
    #[arg(long = "input", value_name = "NAME=FILE.npy")]
    inputs: Vec<String>,
    /// A scalar parameter, as NAME=VALUE (repeatable).
    #[arg(long = "param", value_name = "NAME=VALUE")]
    params: Vec<String>,
    /// Write each buffer the kernel may write to DIR/NAME.npy.
    #[arg(long, value_name = "DIR")]
    output_dir: Option<PathBuf>,
    /// Stop with an error after this many interpreter steps (statements executed and loop
    /// iterations, summed over every lane): a kernel's loops can run for hours. A count of
    /// work, so the same kernel stops at the same point on any machine.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_STEPS)]
    max_steps: u64,
}

pub fn run(args: &RunKernelArgs, out: &mut dyn Write) -> Result<(), CliError> {
    let kernel = read_kernel(&args.file, args.kernel.as_deref())?;
    check_target(&kernel, args.target.as_deref())?;
    check_size(&kernel)?;
    let files = named_args(&kernel, "--input", &args.inputs, true)?;
    let scalars = scalar_values(&kernel, &args.params)?;
    let (mut buffers, mut text) = buffers(&kernel, &files, args.seed)?;
    kernel::run_limited(&kernel, &mut buffers, &scalars, args.max_steps).map_err(|e| {
        let hint = match e {
            kernel::KernelError::StepLimit { .. } => " (raise it with --max-steps)",
            _ => "",
        };
        CliError::User(format!(
            "{}: the kernel failed: {e}{hint}",
            args.file.display()
        ))
    })?;
    let launch = kernel.launch();
    text += &format!(
        "ran kernel {} on the kernel-IR interpreter: grid {:?} workgroup {:?}\n",
        kernel.name(),
        launch.grid,
        launch.workgroup
    );
    let written: Vec<(String, Tensor)> = buffer_params(&kernel)
        .zip(buffers)
        .filter_map(|(param, tensor)| match param {
            Param::Buffer { name, access, .. } if access.can_write() => {
                Some((name.clone(), tensor))
            }
            _ => None,
        })
        .collect();
    for (name, tensor) in &written {
        text += &format!(
            "buffer {name}: {}{}\n{}",
            tensor.dtype,
            tensor.shape,
            summarize(tensor)
        );
    }
    if let Some(dir) = &args.output_dir {
        text += &write_tensors(dir, &written)?;
    }
    out.write_all(text.as_bytes()).map_err(output)
}

/// The file's kernel (or the one named `--kernel`); a parse error is rendered with the path.
fn read_kernel(path: &Path, name: Option<&str>) -> Result<Kernel, CliError> {
    let bytes = load::read(path)?;
    let kernels = kernel::text::parse_all_bytes(&bytes).map_err(|e| {
        let source = String::from_utf8_lossy(&bytes);
        CliError::Rendered(e.render(&path.display().to_string(), &source))
    })?;
    let names: Vec<&str> = kernels.iter().map(|k| k.name()).collect();
    let list = names.join(", ");
    let index = match name {
        Some(name) => names.iter().position(|&n| n == name).ok_or_else(|| {
            CliError::User(format!(
                "--kernel {name}: {} holds no such kernel (it holds {list})",
                path.display()
            ))
        })?,
        None if kernels.len() == 1 => 0,
        None => {
            return Err(CliError::User(format!(
                "{} holds {} kernels ({list}): choose one with --kernel NAME",
                path.display(),
                kernels.len()
            )));
        }
    };
    kernels
        .into_iter()
        .nth(index)
        .ok_or_else(|| CliError::Internal("the chosen kernel vanished".into()))
}

/// With `--target`, the verifier's launch limits for that target.
fn check_target(kernel: &Kernel, target: Option<&str>) -> Result<(), CliError> {
    let Some(name) = target else { return Ok(()) };
    let target = Target::by_name(name).ok_or_else(|| {
        let names: Vec<&str> = Target::ALL.iter().map(|t| t.name).collect();
        CliError::User(format!(
            "--target {name}: unknown target (targets: {})",
            names.join(", ")
        ))
    })?;
    kernel::verify(kernel, Some(&target)).map_err(|errors| {
        let lines: Vec<String> = errors.iter().map(|e| format!("  {e}")).collect();
        CliError::User(format!(
            "kernel {} does not fit {}:\n{}",
            kernel.name(),
            target.name,
            lines.join("\n")
        ))
    })
}

/// Refuses launches and buffers too large for the interpreter before allocating anything.
fn check_size(kernel: &Kernel) -> Result<(), CliError> {
    let launch = kernel.launch();
    let lanes = launch
        .workgroup_count()
        .saturating_mul(launch.workgroup_size());
    if lanes > LANE_LIMIT {
        return Err(CliError::User(format!(
            "kernel {}: {lanes} lanes; the interpreter runs at most {LANE_LIMIT}",
            kernel.name()
        )));
    }
    // Every buffer and one workgroup's shared arrays are held at once.
    let buffers = buffer_params(kernel).map(|p| match p {
        Param::Buffer { len, .. } => *len,
        Param::Scalar { .. } => 0,
    });
    let shared = kernel.shared_arrays().map(|(_, a)| a.len);
    let elements = buffers.chain(shared).fold(0usize, usize::saturating_add);
    if elements > ELEMENT_LIMIT {
        return Err(CliError::User(format!(
            "kernel {}: its buffers and shared arrays hold {elements} elements; the interpreter holds at most {ELEMENT_LIMIT}",
            kernel.name()
        )));
    }
    Ok(())
}

fn buffer_params(kernel: &Kernel) -> impl Iterator<Item = &Param> {
    kernel
        .params()
        .map(|(_, p)| p)
        .filter(|p| matches!(p, Param::Buffer { .. }))
}

/// `NAME=VALUE` arguments by name; each name must be a buffer (`buffers`) or a scalar
/// parameter of the kernel, and given once.
fn named_args(
    kernel: &Kernel,
    flag: &str,
    args: &[String],
    buffers: bool,
) -> Result<BTreeMap<String, String>, CliError> {
    let names: Vec<&str> = kernel
        .params()
        .filter(|(_, p)| matches!(p, Param::Buffer { .. }) == buffers)
        .map(|(_, p)| p.name())
        .collect();
    let kind = if buffers {
        "buffer"
    } else {
        "scalar parameter"
    };
    let mut values = BTreeMap::new();
    for arg in args {
        let Some((name, value)) = arg.split_once('=') else {
            return Err(CliError::User(format!("{flag} {arg}: expected NAME=VALUE")));
        };
        if !names.contains(&name) {
            return Err(CliError::User(format!(
                "{flag} {arg}: kernel {} has no {kind} '{name}' (its {kind}s: {})",
                kernel.name(),
                names.join(", ")
            )));
        }
        if values.insert(name.to_string(), value.to_string()).is_some() {
            return Err(CliError::User(format!("{flag} {name} is given twice")));
        }
    }
    Ok(values)
}

/// One value per scalar parameter, in order; each must be given with `--param`.
fn scalar_values(kernel: &Kernel, args: &[String]) -> Result<Vec<i64>, CliError> {
    let given = named_args(kernel, "--param", args, false)?;
    let mut values = Vec::new();
    for (_, param) in kernel.params() {
        let Param::Scalar { name, dtype } = param else {
            continue;
        };
        let Some(text) = given.get(name) else {
            return Err(CliError::User(format!(
                "kernel {} needs --param {name}=VALUE ({dtype})",
                kernel.name()
            )));
        };
        let value: Option<i64> = match dtype {
            DType::I32 => text.parse::<i32>().ok().map(i64::from),
            _ => text.parse::<i64>().ok(),
        };
        let value = value.ok_or_else(|| {
            CliError::User(format!("--param {name}={text}: not a value of {dtype}"))
        })?;
        values.push(value);
    }
    Ok(values)
}

/// One tensor per buffer parameter, in order: from its `.npy` file, zeros for a write-only
/// buffer, else seeded random values; and a line per buffer saying which.
fn buffers(
    kernel: &Kernel,
    files: &BTreeMap<String, String>,
    seed: u64,
) -> Result<(Vec<Tensor>, String), CliError> {
    let mut tensors = Vec::new();
    let mut text = String::new();
    for param in buffer_params(kernel) {
        let Param::Buffer {
            name,
            dtype,
            len,
            access,
        } = param
        else {
            continue;
        };
        let shape = Shape::new(vec![*len]).map_err(CliError::User)?;
        let (tensor, source) = match files.get(name) {
            Some(file) => {
                let file = PathBuf::from(file);
                let tensor = npy::read_input(&file, name, *dtype, &shape)
                    .map_err(|e| CliError::User(e.to_string()))?;
                (tensor, file.display().to_string())
            }
            None if !access.can_read() => {
                let zeros = vec![Scalar::zero(*dtype); *len];
                let tensor = Tensor::from_scalars(*dtype, shape.clone(), zeros)
                    .map_err(|e| CliError::Internal(e.to_string()))?;
                (tensor, "zeros (write-only)".to_string())
            }
            None => {
                let tensor = interp::random_input(name, *dtype, &shape, seed);
                (tensor, format!("random (seed {seed})"))
            }
        };
        text += &format!(
            "buffer {name}: {dtype}[{len}] {} from {source}\n",
            access.name()
        );
        tensors.push(tensor);
    }
    Ok((tensors, text))
}
