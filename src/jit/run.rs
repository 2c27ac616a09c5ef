//! Running a compiled [`Program`] on a device, with host or device-resident inputs.

use super::Program;
use egpu_ir::interp::Tensor;
use egpu_ir::precision::Family;
use egpu_runtime::Device;
use egpu_runtime::program::{Input, ProgramRun, RunError, RunOptions, run_program_with};
use std::collections::BTreeMap;

/// Why a program did not run.
#[derive(Debug, thiserror::Error)]
pub enum ProgramRunError {
    /// The program's code is for another kind of device.
    #[error(
        "program {program} was compiled for {target}; device {device} runs {runs} (compile for {runs}, or choose another device)"
    )]
    WrongDevice {
        program: String,
        target: String,
        device: String,
        runs: String,
    },
    #[error(transparent)]
    Run(#[from] RunError),
}

impl Program {
    /// Runs the program on `device` with host inputs (by graph input name) and returns the
    /// outputs, read back, with what the run moved across the link.
    pub fn run(
        &self,
        device: &mut dyn Device,
        inputs: &BTreeMap<String, Tensor>,
    ) -> Result<ProgramRun, ProgramRunError> {
        let inputs: BTreeMap<String, Input> = inputs
            .iter()
            .map(|(name, t)| (name.clone(), Input::Host(t)))
            .collect();
        self.run_with(device, &inputs, RunOptions::default())
    }

    /// Runs the program with inputs that may already be on the device
    /// ([`egpu_runtime::resident::DeviceTensor`]), and `options` (time each launch, leave
    /// the outputs on the device, skip poisoning).
    pub fn run_with(
        &self,
        device: &mut dyn Device,
        inputs: &BTreeMap<String, Input>,
        options: RunOptions,
    ) -> Result<ProgramRun, ProgramRunError> {
        let binaries = self.compatible_binaries(device)?;
        Ok(run_program_with(
            device, &self.plan, &binaries, inputs, options,
        )?)
    }

    /// The binaries `device` loads, if this program's target suits it.
    fn compatible_binaries(
        &self,
        device: &dyn Device,
    ) -> Result<Vec<egpu_runtime::Binary>, ProgramRunError> {
        let family = |name: &str| egpu_ir::Target::by_name(name).map(|t| Family::of(&t));
        let wrong = |runs: &str| ProgramRunError::WrongDevice {
            program: self.name().to_string(),
            target: self.target.name.to_string(),
            device: device.name().to_string(),
            runs: runs.to_string(),
        };
        if let Some(own) = device.target_name()
            && family(own) != Some(Family::of(&self.target))
        {
            return Err(wrong(own));
        }
        self.binaries_for(device.name())
            .ok_or_else(|| wrong(device.target_name().unwrap_or("other code")))
    }
}
