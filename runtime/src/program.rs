//! Runs a whole compiled [`Program`] on any [`Device`], with the semantics of
//! [`Program::run`] (the interpreter's whole-program executor): every buffer allocated,
//! inputs uploaded by name and checked, temporaries and outputs poisoned (NaN for floats,
//! the minimum for integers, true for bool) so that an element no kernel wrote shows, the
//! launches issued in order with their bound buffers, the outputs downloaded and shaped.
//! Every buffer is freed again, on errors too.

use crate::DeviceError;
use crate::bytes::{BytesError, from_bytes, push_scalar, to_bytes};
use crate::device::{Arg, Binary, BufferId, Device, KernelHandle};
use egpu_ir::DType;
use egpu_ir::interp::Tensor;
use egpu_ir::kernel::{BufferRole, Param, Program, ProgramError, poison};
use std::collections::BTreeMap;

/// What [`run_program`] should measure besides running.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RunOptions {
    /// Time each launch ([`Device::timed_launch`]: each waits for the one before).
    pub time_launches: bool,
}

/// A finished run.
#[derive(Clone, Debug)]
pub struct ProgramRun {
    /// The graph's outputs in order, shaped as the graph declares them.
    pub outputs: Vec<(String, Tensor)>,
    /// Milliseconds per launch, in launch order, when [`RunOptions::time_launches`].
    pub launch_ms: Vec<f64>,
}

/// A program that could not run on the device.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RunError {
    #[error("program {program}: {binaries} binaries for {kernels} kernels")]
    Binaries {
        program: String,
        binaries: usize,
        kernels: usize,
    },
    #[error("input '{name}': {message}")]
    Input { name: String, message: String },
    #[error("launch {launch} ({kernel}): {message}")]
    Binding {
        launch: usize,
        kernel: String,
        message: String,
    },
    #[error("output '{name}': {error}")]
    Output { name: String, error: BytesError },
    #[error(transparent)]
    Device(#[from] DeviceError),
}

/// Runs `program` on `device`. `binaries[k]` is kernel `k` compiled for the device (kernel
/// IR for the cpu device, PTX or a cubin for cuda).
pub fn run_program(
    device: &mut dyn Device,
    program: &Program,
    binaries: &[Binary],
    inputs: &BTreeMap<String, Tensor>,
    options: RunOptions,
) -> Result<ProgramRun, RunError> {
    if binaries.len() != program.kernels.len() {
        return Err(RunError::Binaries {
            program: program.name.clone(),
            binaries: binaries.len(),
            kernels: program.kernels.len(),
        });
    }
    check_launches(program)?;
    check_inputs(program, inputs)?;
    let handles = load_kernels(device, program, binaries)?;
    let mut buffers = Vec::with_capacity(program.buffers.len());
    let result = execute(device, program, &handles, inputs, options, &mut buffers);
    // Free everything whatever happened; a failure to free matters only after a success.
    let mut freed = Ok(());
    for id in buffers {
        let done = device.free(id);
        if freed.is_ok() {
            freed = done;
        }
    }
    let run = result?;
    freed?;
    Ok(run)
}

/// Every launch names a kernel, binds one existing buffer of the right dtype and length to
/// each of its parameters, binds no buffer twice, and the kernel has no scalar parameter
/// (a program has no values for one).
fn check_launches(program: &Program) -> Result<(), RunError> {
    for (i, launch) in program.launches.iter().enumerate() {
        let fail = |kernel: &str, message: String| RunError::Binding {
            launch: i,
            kernel: kernel.to_string(),
            message,
        };
        let Some(kernel) = program.kernels.get(launch.kernel) else {
            return Err(fail(
                &format!("#{}", launch.kernel),
                "no such kernel".into(),
            ));
        };
        let fail = |message: String| fail(kernel.name(), message);
        if kernel.params().len() != launch.bindings.len() {
            let (params, bindings) = (kernel.params().len(), launch.bindings.len());
            return Err(fail(format!("{params} parameters, {bindings} bindings")));
        }
        for (n, ((_, param), &b)) in kernel.params().zip(&launch.bindings).enumerate() {
            let Param::Buffer { dtype, len, .. } = param else {
                let name = param.name();
                return Err(fail(format!(
                    "scalar parameter {name} has no value in a program"
                )));
            };
            let buffer = program
                .buffers
                .get(b)
                .ok_or_else(|| fail(format!("no buffer {b}")))?;
            if *dtype != buffer.dtype || *len != buffer.elements {
                return Err(fail(format!(
                    "parameter {} is {dtype} x {len}, buffer {b} is {} x {}",
                    param.name(),
                    buffer.dtype,
                    buffer.elements
                )));
            }
            if launch.bindings[..n].contains(&b) {
                return Err(fail(format!("buffer {b} is bound twice")));
            }
        }
    }
    Ok(())
}

/// Every input buffer has a tensor of its dtype and element count ([`Program::check_inputs`]).
fn check_inputs(program: &Program, inputs: &BTreeMap<String, Tensor>) -> Result<(), RunError> {
    program.check_inputs(inputs).map_err(|e| match e {
        ProgramError::Input { name, message } => RunError::Input { name, message },
        e => RunError::Input {
            name: String::new(),
            message: e.to_string(),
        },
    })
}

/// One handle per kernel that some launch uses (`None` for the others).
fn load_kernels(
    device: &mut dyn Device,
    program: &Program,
    binaries: &[Binary],
) -> Result<Vec<Option<KernelHandle>>, RunError> {
    let mut handles = vec![None; program.kernels.len()];
    for launch in &program.launches {
        let k = launch.kernel;
        if handles[k].is_none() {
            handles[k] = Some(device.load(&binaries[k], program.kernels[k].name())?);
        }
    }
    Ok(handles)
}

/// Allocates and fills the buffers (recording each in `buffers` for the caller to free),
/// launches, and reads the outputs back.
fn execute(
    device: &mut dyn Device,
    program: &Program,
    handles: &[Option<KernelHandle>],
    inputs: &BTreeMap<String, Tensor>,
    options: RunOptions,
    buffers: &mut Vec<BufferId>,
) -> Result<ProgramRun, RunError> {
    for buffer in &program.buffers {
        let bytes = match &buffer.role {
            // Checked by `check_inputs`; one buffer's bytes at a time keeps host memory low.
            BufferRole::Input(name) => inputs.get(name).map(to_bytes).unwrap_or_default(),
            _ => poison_bytes(buffer.dtype, buffer.elements),
        };
        let id = device.alloc(bytes.len())?;
        buffers.push(id);
        device.upload(id, &bytes)?;
    }
    let mut launch_ms = Vec::new();
    for (i, launch) in program.launches.iter().enumerate() {
        let kernel = &program.kernels[launch.kernel];
        let handle = handles[launch.kernel].ok_or_else(|| RunError::Binding {
            launch: i,
            kernel: kernel.name().into(),
            message: "kernel not loaded".into(),
        })?;
        let args: Vec<Arg> = launch
            .bindings
            .iter()
            .map(|&b| Arg::Buffer(buffers[b]))
            .collect();
        if options.time_launches {
            launch_ms.push(device.timed_launch(handle, kernel.launch(), &args)?);
        } else {
            device.launch(handle, kernel.launch(), &args)?;
        }
    }
    device.synchronize()?;
    let mut outputs = Vec::with_capacity(program.outputs.len());
    for (name, b, shape) in &program.outputs {
        let bad = |error| RunError::Output {
            name: name.clone(),
            error,
        };
        let (Some(buffer), Some(&id)) = (program.buffers.get(*b), buffers.get(*b)) else {
            let error = BytesError::Tensor(format!("names buffer {b}, which does not exist"));
            return Err(bad(error));
        };
        let mut bytes = vec![0; buffer.elements * buffer.dtype.size_bytes()];
        device.download(id, &mut bytes)?;
        let tensor = from_bytes(buffer.dtype, shape.clone(), &bytes).map_err(bad)?;
        outputs.push((name.clone(), tensor));
    }
    Ok(ProgramRun { outputs, launch_ms })
}

/// `elements` poison values of `dtype`, as [`Program::run`] starts its temporaries and
/// outputs: NaN for floats, the minimum for integers, true for bool.
fn poison_bytes(dtype: DType, elements: usize) -> Vec<u8> {
    let mut one = Vec::with_capacity(dtype.size_bytes());
    push_scalar(poison(dtype), dtype, &mut one);
    one.repeat(elements)
}

#[cfg(test)]
#[path = "program_tests.rs"]
mod tests;
