//! The verifier as the pipeline uses it: every kernel of every example passes it with its
//! target's limits, and a kernel breaking a rule is reported as the producing pass's bug.
//! (One test per rule, with kernels edited past the builder, is in `ir`'s unit tests:
//! `ir/src/kernel/verify/tests.rs`.)

use egpu_ir::kernel::{KernelBuilder, Launch, Rule, verify};
use egpu_ir::{ReduceOp, Target};
use egpu_passes::pipeline::{PipelineError, PipelineOptions, compile, verify_kernels};
use egpu_passes::simplify::SimplifyOptions;
use egpu_tests::{EXAMPLE_NAMES, example};

#[test]
fn every_example_kernel_passes_the_verifier_on_every_target() {
    for name in EXAMPLE_NAMES {
        for target in Target::ALL {
            let options = PipelineOptions {
                target,
                disabled: vec![],
                simplify: SimplifyOptions::default(),
            };
            // `compile` itself verifies after lowering; check again from outside.
            let compiled = compile(&example(name), &options)
                .unwrap_or_else(|e| panic!("{name} on {}: {e}", target.name));
            for kernel in &compiled.program.kernels {
                let checked = verify(kernel, Some(&target));
                assert_eq!(checked, Ok(()), "{name} on {}:\n{kernel}", target.name);
            }
        }
    }
}

#[test]
fn a_kernel_breaking_a_target_limit_is_an_error_of_the_pass_that_made_it() {
    // Subgroups of 64 lanes: a valid kernel, but not for any current target.
    let mut b = KernelBuilder::new("wave64", Launch::linear(1, 64), 64);
    let x = b.const_f32(1.0);
    b.subgroup_reduce(ReduceOp::Sum, x).unwrap();
    let kernel = b.finish().unwrap();
    assert_eq!(verify(&kernel, None), Ok(()));
    let errors = verify(&kernel, Some(&Target::SM_90)).unwrap_err();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].rule, Rule::Launch);
    let e = verify_kernels("lower", &[kernel], &Target::SM_90).unwrap_err();
    assert!(
        matches!(e, PipelineError::Verify { pass: "lower", .. }),
        "{e:?}"
    );
    assert_eq!(
        e.to_string(),
        "lower produced an invalid kernel: kernel wave64: subgroup: size 64, but sm_90 runs subgroups of 32"
    );
}
