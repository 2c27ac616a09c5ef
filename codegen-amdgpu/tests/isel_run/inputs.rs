//! The inputs every kernel-IR-vs-machine-code test starts from (`isel_run.rs` on the
//! small simulator, `tests/tests/amd_emu_core.rs` on the emulator): one seeded random
//! tensor per buffer parameter, with NaN, ±0 and ±inf mixed into float buffers so that
//! max/min and compares meet them.

use egpu_ir::Shape;
use egpu_ir::interp::{Data, Tensor, random_tensor};
use egpu_ir::kernel::{Kernel, Param};

const SPECIALS: [f64; 5] = [f64::NAN, -0.0, 0.0, f64::INFINITY, f64::NEG_INFINITY];

/// One tensor per buffer parameter of `k`, in parameter order.
pub fn inputs(k: &Kernel, seed: u64) -> Vec<Tensor> {
    let mut out = Vec::new();
    for (i, (_, p)) in k.params().enumerate() {
        if let Param::Buffer { dtype, len, .. } = p {
            let shape = Shape::new(vec![*len]).expect("shape");
            let mut t = random_tensor(*dtype, &shape, seed * 100 + i as u64);
            if let Data::Float(v) = &mut t.data {
                for (j, x) in v.iter_mut().enumerate() {
                    if j % 7 == 3 {
                        *x = SPECIALS[(j / 7) % SPECIALS.len()];
                    }
                }
            }
            out.push(t);
        }
    }
    out
}
