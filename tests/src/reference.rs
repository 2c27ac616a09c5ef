//! Judging a compiled program against the graph reference interpreter: the one comparison
//! the pipeline tests and the fuzz targets share. (`fuzz/` is its own workspace, so its
//! targets include this file by path; it therefore uses nothing but `egpu_ir`.) When the
//! comparison changes (error bounds instead of per-dtype tolerances), it changes here.

use egpu_ir::Graph;
use egpu_ir::interp::{self, EvalError, Tensor};
use egpu_ir::kernel::{Program, ProgramError};
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

/// Runs `program` on `inputs` and compares every output with the reference evaluation of
/// `graph`. `Err` says what disagrees: a failing reference (other than a division by
/// zero), a failing program, another number, name or order of outputs, or a value.
pub fn check_program(
    program: &Program,
    graph: &Graph,
    inputs: &BTreeMap<String, Tensor>,
) -> Result<Verdict, String> {
    let expected = match interp::evaluate(graph, inputs) {
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
pub fn compare_outputs(
    expected: &[(String, Tensor)],
    got: &[(String, Tensor)],
) -> Result<(), String> {
    let names = |outputs: &[(String, Tensor)]| -> Vec<String> {
        outputs.iter().map(|(name, _)| name.clone()).collect()
    };
    if names(expected) != names(got) {
        return Err(format!(
            "outputs {:?} expected, the program gives {:?}",
            names(expected),
            names(got)
        ));
    }
    for ((name, want), (_, have)) in expected.iter().zip(got) {
        if let Some(m) = interp::compare(want, have) {
            return Err(format!(
                "{name}[{}]: expected {:e}, got {:e} ({} element(s) out of tolerance; \
                 expected {}{}, got {}{})",
                m.index, m.expected, m.got, m.count, want.dtype, want.shape, have.dtype, have.shape
            ));
        }
    }
    Ok(())
}
