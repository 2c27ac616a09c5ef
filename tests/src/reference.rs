//! Judging a compiled program against the graph reference interpreter: the one comparison
//! the pipeline tests and the fuzz targets share. (`fuzz/` is its own workspace, so its
//! targets include this file by path; it therefore uses nothing but `egpu_ir`.) Each element
//! is judged against the error bound of its computation on the program's target
//! ([`interp::evaluate_with_bounds`]).

use egpu_ir::interp::{self, EvalError, Reference, Tensor};
use egpu_ir::kernel::{Program, ProgramError};
use egpu_ir::{Graph, Target};
use std::collections::BTreeMap;

/// What a check established when it did not find a fault.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Every output has the reference's name, position, dtype and shape, and its values
    /// agree with the reference's.
    Agrees,
    /// The reference refused the inputs for a documented reason that lies in the data, not
    /// in the compiler (an integer division or remainder by zero), so there is nothing to
    /// compare; the program either ran or failed for the same reason.
    DivisionByZero,
}

/// Runs `program` (compiled for `target`) on `inputs` and compares every output with the
/// reference evaluation of `graph`. `Err` says what disagrees: a failing reference (other than a division by
/// zero), a failing program, another number, name or order of outputs, or a value.
pub fn check_program(
    program: &Program,
    graph: &Graph,
    target: &Target,
    inputs: &BTreeMap<String, Tensor>,
) -> Result<Verdict, String> {
    let expected = match interp::evaluate_with_bounds(graph, inputs, target) {
        Ok(expected) => expected,
        Err(EvalError::DivisionByZero { node }) => {
            return match program.run(inputs) {
                Ok(_) => Ok(Verdict::DivisionByZero),
                Err(ProgramError::Kernel(e)) if e.caused_by_data() => Ok(Verdict::DivisionByZero),
                Err(e) => Err(format!(
                    "the reference divides by zero in {node}, the program fails otherwise: {e}"
                )),
            };
        }
        Err(e) => return Err(format!("the reference failed: {e}")),
    };
    let got = program
        .run(inputs)
        .map_err(|e| format!("the program failed: {e}"))?;
    compare_outputs(&expected, &got)?;
    Ok(Verdict::Agrees)
}

/// The program's outputs against the reference's: the same names in the same order, then
/// each tensor compared by [`interp::compare`].
pub fn compare_outputs(expected: &[Reference], got: &[(String, Tensor)]) -> Result<(), String> {
    let want_names: Vec<&str> = expected.iter().map(|r| r.name.as_str()).collect();
    let got_names: Vec<&str> = got.iter().map(|(name, _)| name.as_str()).collect();
    if want_names != got_names {
        return Err(format!(
            "outputs {want_names:?} expected, the program gives {got_names:?}"
        ));
    }
    for (want, (name, have)) in expected.iter().zip(got) {
        if let Some(m) = interp::compare(want, have) {
            let w = &want.value;
            return Err(format!(
                "{name}[{}]: expected {:e} within {:e}, got {:e} ({} element(s) out of bounds; \
                 expected {}{}, got {}{})",
                m.index,
                m.expected,
                m.allowed,
                m.got,
                m.count,
                w.dtype,
                w.shape,
                have.dtype,
                have.shape
            ));
        }
    }
    Ok(())
}
