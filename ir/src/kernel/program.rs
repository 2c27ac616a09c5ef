//! A compiled graph: kernels in launch order, the buffers they bind, and how to run the
//! whole thing through the kernel-IR interpreter.

use super::{Kernel, KernelError, Param, run};
use crate::interp::{Data, EvalError, Tensor};
use crate::{DType, Scalar, Shape};
use std::collections::BTreeMap;

/// What a program buffer is for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BufferRole {
    /// Holds the graph input of this name.
    Input(String),
    /// Holds the graph output of this name when the program ends.
    Output(String),
    /// Intermediate values between kernels.
    Temporary,
}

/// One device buffer: a flat array of `elements` values of `dtype`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProgramBuffer {
    pub dtype: DType,
    pub elements: usize,
    pub role: BufferRole,
}

/// One launch: kernel `kernel` with buffer parameter `i` bound to buffer `bindings[i]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KernelLaunch {
    pub kernel: usize,
    pub bindings: Vec<usize>,
}

/// Kernels, the buffers they use, and the order to launch them in.
#[derive(Clone, Debug)]
pub struct Program {
    pub name: String,
    pub buffers: Vec<ProgramBuffer>,
    pub kernels: Vec<Kernel>,
    pub launches: Vec<KernelLaunch>,
    /// Graph outputs in order: (name, buffer index, shape).
    pub outputs: Vec<(String, usize, Shape)>,
}

/// A program that could not run: which launch failed and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProgramError {
    #[error("input '{name}': {message}")]
    Input { name: String, message: String },
    #[error("launch {launch} ({kernel}): {message}")]
    Binding {
        launch: usize,
        kernel: String,
        message: String,
    },
    /// Boxed: a kernel error carries the failing lane's context and is large.
    #[error(transparent)]
    Kernel(Box<KernelError>),
}

/// The value unwritten buffer elements hold, so that a kernel that forgets an element is
/// caught by comparing with the reference: NaN for floats, the minimum for integers, true
/// for bool. Every executor of a program (this one, the runtime's `run_program`) starts
/// temporaries and outputs with it.
pub fn poison(dtype: DType) -> Scalar {
    if dtype.is_float() {
        return Scalar::Float(f64::NAN);
    }
    match dtype.int_range() {
        Some((lo, _)) if !dtype.is_bool() => Scalar::Int(lo),
        _ => Scalar::Bool(true),
    }
}

fn poisoned(dtype: DType, elements: usize) -> Tensor {
    let data = match poison(dtype) {
        Scalar::Float(f) => Data::Float(vec![f; elements]),
        Scalar::Int(i) => Data::Int(vec![i; elements]),
        Scalar::Bool(b) => Data::Bool(vec![b; elements]),
    };
    Tensor {
        dtype,
        shape: Shape::new(vec![elements]).unwrap_or_default(),
        data,
    }
}

impl Program {
    /// Runs every launch in order on the kernel-IR interpreter. Inputs are given by name and
    /// must match their buffers' dtype and element count; temporaries and outputs start
    /// poisoned. Returns the outputs in order, reshaped to the graph's output shapes.
    pub fn run(
        &self,
        inputs: &BTreeMap<String, Tensor>,
    ) -> Result<Vec<(String, Tensor)>, ProgramError> {
        let mut memory = self.initial_memory(inputs)?;
        for (i, launch) in self.launches.iter().enumerate() {
            let kernel = self
                .kernels
                .get(launch.kernel)
                .ok_or_else(|| ProgramError::Binding {
                    launch: i,
                    kernel: format!("#{}", launch.kernel),
                    message: "no such kernel".into(),
                })?;
            let mut bound = self.bind(i, kernel, launch, &mut memory)?;
            run(kernel, &mut bound, &[])?;
            for (tensor, &b) in bound.into_iter().zip(&launch.bindings) {
                memory[b] = tensor;
            }
        }
        self.outputs
            .iter()
            .map(|(name, b, shape)| {
                let mut t = memory
                    .get(*b)
                    .cloned()
                    .ok_or_else(|| ProgramError::Binding {
                        launch: self.launches.len(),
                        kernel: "outputs".into(),
                        message: format!("output '{name}' names buffer {b}, which does not exist"),
                    })?;
                t.shape = shape.clone();
                Ok((name.clone(), t))
            })
            .collect()
    }

    /// Checks that every input buffer has a tensor of its dtype and element count in
    /// `inputs` (by name).
    pub fn check_inputs(&self, inputs: &BTreeMap<String, Tensor>) -> Result<(), ProgramError> {
        for buffer in &self.buffers {
            if let BufferRole::Input(name) = &buffer.role {
                self.input(name, buffer, inputs)?;
            }
        }
        Ok(())
    }

    /// The tensor `inputs` holds for the input buffer `buffer` named `name`, if it fits.
    fn input<'t>(
        &self,
        name: &str,
        buffer: &ProgramBuffer,
        inputs: &'t BTreeMap<String, Tensor>,
    ) -> Result<&'t Tensor, ProgramError> {
        let bad = |message: String| ProgramError::Input {
            name: name.to_string(),
            message,
        };
        let given = inputs.get(name).ok_or_else(|| bad("not given".into()))?;
        if given.dtype != buffer.dtype || given.numel() != buffer.elements {
            return Err(bad(format!(
                "expected {} x {}, got {}{}",
                buffer.dtype, buffer.elements, given.dtype, given.shape
            )));
        }
        Ok(given)
    }

    fn initial_memory(
        &self,
        inputs: &BTreeMap<String, Tensor>,
    ) -> Result<Vec<Tensor>, ProgramError> {
        let mut memory = Vec::with_capacity(self.buffers.len());
        for buffer in &self.buffers {
            let BufferRole::Input(name) = &buffer.role else {
                memory.push(poisoned(buffer.dtype, buffer.elements));
                continue;
            };
            let mut flat = self.input(name, buffer, inputs)?.clone();
            flat.shape =
                Shape::new(vec![buffer.elements]).map_err(|message| ProgramError::Input {
                    name: name.clone(),
                    message,
                })?;
            memory.push(flat);
        }
        Ok(memory)
    }

    /// Moves the launch's buffers out of `memory` (kernels take them by value; they go back
    /// after the launch), checking each against its parameter.
    fn bind(
        &self,
        i: usize,
        kernel: &Kernel,
        launch: &KernelLaunch,
        memory: &mut [Tensor],
    ) -> Result<Vec<Tensor>, ProgramError> {
        let params: Vec<&Param> = kernel
            .params()
            .map(|(_, p)| p)
            .filter(|p| matches!(p, Param::Buffer { .. }))
            .collect();
        let fail = |message: String| ProgramError::Binding {
            launch: i,
            kernel: kernel.name().to_string(),
            message,
        };
        if params.len() != launch.bindings.len() {
            return Err(fail(format!(
                "{} buffer parameters, {} bindings",
                params.len(),
                launch.bindings.len()
            )));
        }
        let mut bound = Vec::with_capacity(params.len());
        for (param, &b) in params.iter().zip(&launch.bindings) {
            let buffer = self
                .buffers
                .get(b)
                .ok_or_else(|| fail(format!("no buffer {b}")))?;
            if let Param::Buffer { dtype, len, .. } = param
                && (*dtype != buffer.dtype || *len != buffer.elements)
            {
                return Err(fail(format!(
                    "parameter {} is {dtype} x {len}, buffer {b} is {} x {}",
                    param.name(),
                    buffer.dtype,
                    buffer.elements
                )));
            }
            if launch.bindings.iter().filter(|&&x| x == b).count() > 1 {
                return Err(fail(format!("buffer {b} is bound twice")));
            }
            bound.push(std::mem::replace(&mut memory[b], poisoned(buffer.dtype, 0)));
        }
        Ok(bound)
    }
}

impl From<KernelError> for ProgramError {
    fn from(e: KernelError) -> Self {
        ProgramError::Kernel(Box::new(e))
    }
}

impl From<EvalError> for ProgramError {
    fn from(e: EvalError) -> Self {
        ProgramError::Input {
            name: String::new(),
            message: e.to_string(),
        }
    }
}
