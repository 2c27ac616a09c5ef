//! Runs a whole compiled [`Program`] on any [`Device`], with the semantics of
//! [`Program::run`] (the interpreter's whole-program executor): every buffer allocated,
//! inputs uploaded by name and checked, temporaries and outputs poisoned (NaN for floats,
//! the minimum for integers, true for bool) so that an element no kernel wrote shows, the
//! launches issued in order with their bound buffers, the outputs downloaded and shaped.
//! Every buffer is freed again, on errors too — except resident inputs (the caller's) and,
//! with [`RunOptions::keep_outputs`], the outputs, which stay on the device for the caller.
//! Every copy across the link is counted in the run's [`Transfers`].

use crate::DeviceError;
use crate::bytes::{BytesError, from_bytes, push_scalar, to_bytes};
use crate::device::{Arg, Binary, BufferId, Device, Filled, KernelHandle};
use crate::resident::{Copies, DeviceTensor, Transfers, timed_download, timed_upload};
use egpu_ir::DType;
use egpu_ir::interp::Tensor;
use egpu_ir::kernel::{Access, BufferRole, Param, Program};
use std::collections::BTreeMap;
use std::time::Instant;

/// What [`run_program`] should measure besides running.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RunOptions {
    /// Time each launch ([`Device::timed_launch`]: each waits for the one before).
    pub time_launches: bool,
    /// Leave the outputs on the device ([`ProgramRun::resident`]) instead of reading them
    /// back; the caller reads and frees them.
    pub keep_outputs: bool,
    /// Do not start temporaries and outputs with poison: saves their bytes on the link, but
    /// an element no kernel writes holds whatever the memory held.
    pub no_poison: bool,
}

/// One input of a run: a host tensor (uploaded for this run) or a tensor already on the
/// device (used in place, never copied).
#[derive(Clone, Copy, Debug)]
pub enum Input<'a> {
    Host(&'a Tensor),
    Resident(&'a DeviceTensor),
}

impl Input<'_> {
    fn dtype_and_shape(&self) -> (DType, &egpu_ir::Shape) {
        match self {
            Input::Host(t) => (t.dtype, &t.shape),
            Input::Resident(t) => (t.dtype, &t.shape),
        }
    }
}

/// A finished run.
#[derive(Clone, Debug)]
pub struct ProgramRun {
    /// The graph's outputs in order, shaped as the graph declares them.
    pub outputs: Vec<(String, Tensor)>,
    /// Milliseconds per launch, in launch order, when [`RunOptions::time_launches`].
    pub launch_ms: Vec<f64>,
    /// With [`RunOptions::keep_outputs`], the graph's outputs in order, still on the device
    /// (and `outputs` is empty).
    pub resident: Vec<(String, DeviceTensor)>,
    /// What the run moved across the link.
    pub transfers: Transfers,
}

impl ProgramRun {
    /// The output named `name`, read back (not one kept on the device).
    pub fn output(&self, name: &str) -> Option<&Tensor> {
        self.outputs.iter().find(|(n, _)| n == name).map(|(_, t)| t)
    }
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

/// Runs `program` on `device` with host inputs. `binaries[k]` is kernel `k` compiled for the
/// device (kernel IR for the cpu device, PTX or a cubin for cuda, a code object for emu).
pub fn run_program(
    device: &mut dyn Device,
    program: &Program,
    binaries: &[Binary],
    inputs: &BTreeMap<String, Tensor>,
    options: RunOptions,
) -> Result<ProgramRun, RunError> {
    let inputs: BTreeMap<String, Input> = inputs
        .iter()
        .map(|(name, t)| (name.clone(), Input::Host(t)))
        .collect();
    run_program_with(device, program, binaries, &inputs, options)
}

/// [`run_program`] with inputs that may already be on the device.
pub fn run_program_with(
    device: &mut dyn Device,
    program: &Program,
    binaries: &[Binary],
    inputs: &BTreeMap<String, Input>,
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
    // Free what this run allocated whatever happened (resident inputs are the caller's; kept
    // outputs are handed over on success); a failure to free matters only after a success.
    let kept: Vec<BufferId> = match &result {
        Ok(run) => run.resident.iter().map(|(_, t)| t.buffer).collect(),
        Err(_) => Vec::new(),
    };
    let mut freed = Ok(());
    for (id, owned) in buffers {
        if !owned || kept.contains(&id) {
            continue;
        }
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

/// Every input buffer has a tensor of its dtype and shape, and no program input is written
/// by a kernel when it is resident (it would change the caller's tensor for the next run).
fn check_inputs(program: &Program, inputs: &BTreeMap<String, Input>) -> Result<(), RunError> {
    for (b, buffer) in program.buffers.iter().enumerate() {
        let BufferRole::Input(name) = &buffer.role else {
            continue;
        };
        let fail = |message: String| RunError::Input {
            name: name.clone(),
            message,
        };
        let input = inputs.get(name).ok_or_else(|| fail("not given".into()))?;
        let (dtype, shape) = input.dtype_and_shape();
        if dtype != buffer.dtype || shape.numel() != buffer.elements {
            return Err(fail(format!(
                "expected {} x {}, got {dtype}{shape}",
                buffer.dtype, buffer.elements
            )));
        }
        if matches!(input, Input::Resident(_)) && written(program, b) {
            return Err(fail(
                "a kernel writes this input, so it cannot be resident (the next run would see the change)"
                    .into(),
            ));
        }
    }
    Ok(())
}

/// Whether some launch binds buffer `b` to a parameter that may be written.
fn written(program: &Program, b: usize) -> bool {
    program.launches.iter().any(|launch| {
        let Some(kernel) = program.kernels.get(launch.kernel) else {
            return false;
        };
        kernel
            .params()
            .zip(&launch.bindings)
            .any(|((_, p), &bound)| {
                bound == b && matches!(p, Param::Buffer { access, .. } if *access != Access::Read)
            })
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

/// Allocates and fills the buffers (recording each in `buffers` for the caller to free,
/// with whether this run owns it), launches, and reads the outputs back or keeps them.
fn execute(
    device: &mut dyn Device,
    program: &Program,
    handles: &[Option<KernelHandle>],
    inputs: &BTreeMap<String, Input>,
    options: RunOptions,
    buffers: &mut Vec<(BufferId, bool)>,
) -> Result<ProgramRun, RunError> {
    let mut transfers = Transfers::default();
    for buffer in &program.buffers {
        let input = match &buffer.role {
            BufferRole::Input(name) => inputs.get(name),
            _ => None,
        };
        // Checked by `check_inputs`; one buffer's bytes at a time keeps host memory low.
        match input {
            Some(Input::Resident(t)) => buffers.push((t.buffer, false)),
            Some(Input::Host(t)) => {
                let bytes = to_bytes(t);
                let id = device.alloc(bytes.len())?;
                buffers.push((id, true));
                timed_upload(device, id, &bytes, &mut transfers.to_device)?;
            }
            None => {
                let bytes = buffer.elements * buffer.dtype.size_bytes();
                let id = device.alloc(bytes)?;
                buffers.push((id, true));
                if !options.no_poison {
                    poison(device, id, buffer.dtype, &mut transfers.poison)?;
                }
            }
        }
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
            .map(|&b| Arg::Buffer(buffers[b].0))
            .collect();
        if options.time_launches {
            launch_ms.push(device.timed_launch(handle, kernel.launch(), &args)?);
        } else {
            device.launch(handle, kernel.launch(), &args)?;
        }
    }
    device.synchronize()?;
    let mut outputs = Vec::with_capacity(program.outputs.len());
    let mut resident = Vec::new();
    for (name, b, shape) in &program.outputs {
        let bad = |error| RunError::Output {
            name: name.clone(),
            error,
        };
        let (Some(buffer), Some(&(id, _))) = (program.buffers.get(*b), buffers.get(*b)) else {
            let error = BytesError::Tensor(format!("names buffer {b}, which does not exist"));
            return Err(bad(error));
        };
        if options.keep_outputs {
            let tensor = DeviceTensor {
                buffer: id,
                dtype: buffer.dtype,
                shape: shape.clone(),
            };
            resident.push((name.clone(), tensor));
            continue;
        }
        let mut bytes = vec![0; buffer.elements * buffer.dtype.size_bytes()];
        timed_download(device, id, &mut bytes, &mut transfers.to_host)?;
        let tensor = from_bytes(buffer.dtype, shape.clone(), &bytes).map_err(bad)?;
        outputs.push((name.clone(), tensor));
    }
    Ok(ProgramRun {
        outputs,
        launch_ms,
        resident,
        transfers,
    })
}

/// One poison element of `dtype` as device bytes.
fn poison_pattern(dtype: DType) -> Vec<u8> {
    let mut pattern = Vec::with_capacity(dtype.size_bytes());
    push_scalar(egpu_ir::kernel::poison(dtype), dtype, &mut pattern);
    pattern
}

/// Starts buffer `id` with poison values of `dtype` ([`poison`]): NaN for floats, the minimum
/// for integers, true for bool. The device fills it itself where it can; an upload of the
/// pattern (the default fill) is counted in `copies`, since it crossed the link.
fn poison(
    device: &mut dyn Device,
    id: BufferId,
    dtype: DType,
    copies: &mut Copies,
) -> Result<(), DeviceError> {
    let bytes = device.size(id)?;
    let start = Instant::now();
    if device.fill(id, &poison_pattern(dtype))? == Filled::OverLink {
        copies.count += 1;
        copies.bytes += bytes as u64;
        copies.ms += start.elapsed().as_secs_f64() * 1e3;
    }
    Ok(())
}

#[cfg(test)]
#[path = "program_tests.rs"]
mod tests;
