//! The `cpu` device: runs a compiled [`Program`] on the kernel-IR interpreter.
//!
//! It executes nothing itself: [`CpuDevice::run`] is [`Program::run`], the one whole-program
//! executor (launches in order, inputs bound by name, temporaries and outputs poisoned so an
//! unwritten element shows). Keeping a single executor means the command line, the tests and
//! any later caller of the `cpu` backend see exactly the same semantics. When the `Device`
//! trait arrives, its `cpu` implementation is this type.

use egpu_ir::interp::Tensor;
use egpu_ir::kernel::{Program, ProgramError};
use std::collections::BTreeMap;

/// The kernel-IR interpreter as a device. It holds no state: every run starts from fresh
/// memory.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CpuDevice;

impl CpuDevice {
    /// The name `egpu run --device` selects it by.
    pub const NAME: &'static str = "cpu";

    pub fn new() -> CpuDevice {
        CpuDevice
    }

    /// What the device is, for people: its name and what executes the kernels.
    pub fn description(&self) -> &'static str {
        "cpu (kernel-IR interpreter)"
    }

    /// Runs every launch of `program` in order with `inputs` (by name; each must match its
    /// buffer's dtype and element count) and returns the outputs in order, shaped as the
    /// graph's outputs.
    pub fn run(
        &self,
        program: &Program,
        inputs: &BTreeMap<String, Tensor>,
    ) -> Result<Vec<(String, Tensor)>, ProgramError> {
        program.run(inputs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use egpu_ir::interp::Data;
    use egpu_ir::kernel::{BufferRole, KernelLaunch, ProgramBuffer, text};
    use egpu_ir::{DType, Shape};

    /// `y[i] = x[i] * x[i] + 1` over 8 elements, then `z[i] = y[i] - x[i]`: two launches, so
    /// the second reads what the first wrote to a temporary.
    fn program() -> Program {
        let square = text::parse(
            "kernel square(x: global f32[8] read, t: global f32[8] write)
               grid [1, 1, 1] workgroup [8, 1, 1] subgroup 32
             {
               v0: i32 = local_id.x
               v1: f32 = load x[v0]
               v2: f32 = mul v1, v1
               v3: f32 = const 1.0
               v4: f32 = add v2, v3
               store t[v0] = v4
             }",
        )
        .unwrap();
        let minus = text::parse(
            "kernel minus(t: global f32[8] read, x: global f32[8] read, z: global f32[8] write)
               grid [1, 1, 1] workgroup [8, 1, 1] subgroup 32
             {
               v0: i32 = local_id.x
               v1: f32 = load t[v0]
               v2: f32 = load x[v0]
               v3: f32 = sub v1, v2
               store z[v0] = v3
             }",
        )
        .unwrap();
        let buffer = |role| ProgramBuffer {
            dtype: DType::F32,
            elements: 8,
            role,
        };
        Program {
            name: "p".into(),
            buffers: vec![
                buffer(BufferRole::Input("x".into())),
                buffer(BufferRole::Output("z".into())),
                buffer(BufferRole::Temporary),
            ],
            kernels: vec![square, minus],
            launches: vec![
                KernelLaunch {
                    kernel: 0,
                    bindings: vec![0, 2],
                },
                KernelLaunch {
                    kernel: 1,
                    bindings: vec![2, 0, 1],
                },
            ],
            outputs: vec![("z".into(), 1, Shape::new(vec![2, 4]).unwrap())],
        }
    }

    fn x() -> Tensor {
        let values: Vec<f64> = (0..8).map(|i| f64::from(i) * 0.5 - 1.0).collect();
        let shape = Shape::new(vec![8]).unwrap();
        Tensor::new(DType::F32, shape, Data::Float(values)).unwrap()
    }

    #[test]
    fn runs_every_launch_in_order_and_returns_the_outputs() {
        let inputs = BTreeMap::from([("x".to_string(), x())]);
        let outputs = CpuDevice::new().run(&program(), &inputs).unwrap();
        let [(name, z)] = outputs.as_slice() else {
            panic!("{outputs:?}");
        };
        assert_eq!(name, "z");
        assert_eq!(z.shape.dims(), [2, 4]);
        // x = -1, -0.5, ..., 2.5: x² + 1 - x, all exact in f32.
        let want: Vec<f64> = (0..8)
            .map(|i| f64::from(i) * 0.5 - 1.0)
            .map(|x| x * x + 1.0 - x)
            .collect();
        assert_eq!(z.data, Data::Float(want));
    }

    #[test]
    fn a_missing_input_is_an_error_naming_it() {
        let e = CpuDevice::new()
            .run(&program(), &BTreeMap::new())
            .unwrap_err();
        assert_eq!(e.to_string(), "input 'x': not given");
    }
}
