//! The kernel-IR interpreter: runs every workgroup and every lane of a launch on the CPU.
//!
//! Workgroups run one after another (x fastest, then y, then z). Within a workgroup each
//! lane is a tree walk over the structured body with its own values and accumulators, and
//! the lanes take turns: every runnable lane runs, in local linear order, until it reaches a
//! synchronizing statement (a barrier, a subgroup reduction, a matrix tile) or the end.
//! Then a subgroup whose lanes all wait at the same subgroup operation performs it and goes
//! on; when none can, and every lane of the workgroup waits at the same barrier, the barrier
//! opens. Anything else is divergence and an error. Values follow the graph reference
//! interpreter (`crate::interp`), whose per-element functions compute them.

mod fma;
mod lane;
mod memory;
mod sync;

use super::KernelError;
use super::types::{Kernel, Param, ParamId};
use crate::DType;
use crate::interp::Tensor;
use cranelift_entity::SecondaryMap;
pub use fma::fma;
use lane::Lane;
pub use lane::mulhi;
use memory::Cell;

/// Runs `kernel` over its whole grid. `buffers` holds one tensor per buffer parameter, in
/// parameter order (any shape with the declared number of elements and the declared
/// dtype); stores change them in place. `scalars` holds one value per scalar parameter,
/// in parameter order. On an error the buffers hold what was stored until then.
pub fn run(kernel: &Kernel, buffers: &mut [Tensor], scalars: &[i64]) -> Result<(), KernelError> {
    run_limited(kernel, buffers, scalars, u64::MAX)
}

/// [`run`], stopped with [`KernelError::StepLimit`] once the lanes together have taken
/// `max_steps` interpreter steps (a statement executed, a loop iteration started or a block
/// ended each count one): a count of work, so where a run stops does not depend on the
/// machine. For kernels from untrusted text, whose loops may run for hours.
pub fn run_limited(
    kernel: &Kernel,
    buffers: &mut [Tensor],
    scalars: &[i64],
    max_steps: u64,
) -> Result<(), KernelError> {
    let (slots, scalar_values) = bind_arguments(kernel, buffers, scalars)?;
    let mut env = Env {
        kernel,
        workgroup: [0; 3],
        buffers,
        slots,
        scalars: scalar_values,
        shared: Vec::new(),
        fragments: Vec::new(),
        steps_left: max_steps,
        max_steps,
    };
    let [gx, gy, gz] = kernel.launch.grid;
    for z in 0..gz {
        for y in 0..gy {
            for x in 0..gx {
                env.workgroup = [x, y, z];
                run_workgroup(&mut env)?;
            }
        }
    }
    Ok(())
}

/// One workgroup from fresh shared memory (every element unwritten) to its end.
fn run_workgroup(env: &mut Env) -> Result<(), KernelError> {
    let kernel = env.kernel;
    env.shared = kernel
        .shared
        .values()
        .map(|a| vec![Cell::default(); a.len])
        .collect();
    let subgroups = kernel
        .launch
        .workgroup_size()
        .div_ceil(u64::from(kernel.subgroup_size.max(1)));
    let count = subgroups as usize * kernel.fragments.len();
    env.fragments = vec![None; count];
    let [wx, wy, wz] = kernel.launch.workgroup;
    let mut lanes: Vec<Lane> = Vec::new();
    for z in 0..wz {
        for y in 0..wy {
            for x in 0..wx {
                lanes.push(Lane::new(kernel, [x, y, z], lanes.len() as u32));
            }
        }
    }
    sync::run_lanes(env, &mut lanes)
}

/// What every lane of the running workgroup shares.
struct Env<'k, 'b> {
    kernel: &'k Kernel,
    workgroup: [u32; 3],
    buffers: &'b mut [Tensor],
    /// Each buffer parameter's position in `buffers`.
    slots: SecondaryMap<ParamId, Option<usize>>,
    /// Each scalar parameter's value.
    scalars: SecondaryMap<ParamId, Option<i128>>,
    /// The workgroup's shared arrays, element by element.
    shared: Vec<Vec<Cell>>,
    /// The matrix fragments of the workgroup's subgroups: entry `subgroup · count + frag`,
    /// 256 f32 values row-major once set (`None` before `fragment_zero`).
    fragments: Vec<Option<Vec<f64>>>,
    /// Interpreter steps this run may still take, and its limit (for the error).
    steps_left: u64,
    max_steps: u64,
}

impl Env<'_, '_> {
    fn lane_id(&self, local: [u32; 3]) -> super::LaneId {
        super::LaneId {
            workgroup: self.workgroup,
            local,
        }
    }

    /// The local position of the lane with local linear id `linear`.
    fn local_of(&self, linear: u32) -> [u32; 3] {
        let [wx, wy, _] = self.kernel.launch.workgroup;
        let (wx, wy) = (wx.max(1), wy.max(1));
        [linear % wx, linear / wx % wy, linear / (wx * wy)]
    }

    /// Counts one interpreter step; an error once the run's limit is spent.
    fn spend_step(&mut self) -> Result<(), KernelError> {
        match self.steps_left.checked_sub(1) {
            Some(left) => {
                self.steps_left = left;
                Ok(())
            }
            None => Err(KernelError::StepLimit {
                kernel: self.kernel.name.clone(),
                limit: self.max_steps,
            }),
        }
    }

    fn internal(&self, message: impl Into<String>) -> KernelError {
        KernelError::Internal {
            kernel: self.kernel.name.clone(),
            message: message.into(),
        }
    }
}

type Bindings = (
    SecondaryMap<ParamId, Option<usize>>,
    SecondaryMap<ParamId, Option<i128>>,
);

/// Matches buffers and scalars to the parameters, checking counts, dtypes, sizes, ranges.
fn bind_arguments(
    kernel: &Kernel,
    buffers: &[Tensor],
    scalars: &[i64],
) -> Result<Bindings, KernelError> {
    let bad = |message: String| KernelError::Argument {
        kernel: kernel.name.clone(),
        message,
    };
    let mut slots = SecondaryMap::new();
    let mut values = SecondaryMap::new();
    let (mut nb, mut ns) = (0, 0);
    for (id, param) in kernel.params.iter() {
        match param {
            Param::Buffer {
                name, dtype, len, ..
            } => {
                if let Some(t) = buffers.get(nb)
                    && (t.dtype != *dtype || t.numel() != *len)
                {
                    let got = format!("{}{}", t.dtype, t.shape);
                    return Err(bad(format!(
                        "buffer {name} must be {dtype}[{len}], got {got}"
                    )));
                }
                slots[id] = Some(nb);
                nb += 1;
            }
            Param::Scalar { name, dtype } => {
                if let Some(&v) = scalars.get(ns)
                    && *dtype == DType::I32
                    && i32::try_from(v).is_err()
                {
                    return Err(bad(format!("scalar {name} = {v} does not fit i32")));
                }
                values[id] = scalars.get(ns).map(|&v| i128::from(v));
                ns += 1;
            }
        }
    }
    if buffers.len() != nb || scalars.len() != ns {
        let m = format!(
            "expected {nb} buffers and {ns} scalars, got {} and {}",
            buffers.len(),
            scalars.len()
        );
        return Err(bad(m));
    }
    Ok((slots, values))
}
