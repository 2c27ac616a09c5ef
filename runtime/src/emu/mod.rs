//! The `emu` device: an RDNA3 (gfx1100, wave32) emulator that loads HSA code objects and
//! runs them wave by wave, strict where hardware is unforgiving (docs/runtime.md "emu").
//!
//! - [`loader`]: the code object's kernel, decoded once into instructions by pc.
//! - [`wave`]: a wave's registers and scalar/control instructions; `vector.rs`: VALU;
//!   `dual.rs`: VOPD (`v_dual_*`) and its pairing rules;
//!   `access.rs`: memory instructions; `alu.rs`: what each opcode computes.
//! - [`memory`]: the flat global address space; [`strict`]: outstanding loads, hazards,
//!   LDS races.
//!
//! A launch runs the workgroups one after another; the waves of a workgroup run in turn,
//! each until it reaches `s_barrier` or ends, and a barrier releases when every live wave
//! of the group has reached it. `EGPU_EMU_TRACE=1` prints each instruction of one wave
//! (`EGPU_EMU_TRACE_WAVE=N`, counted over the launch; default 0) with the registers it
//! changed, to stderr.

mod access;
mod alu;
mod dual;
mod fast;
mod fma;
mod loaded;
pub mod loader;
pub mod memory;
pub mod metadata;
pub mod strict;
mod trace;
mod vector;
pub mod wave;
mod wmma;

use crate::DeviceError;
use crate::device::{Arg, Binary, BufferId, Device, Filled, KernelHandle, check_copy, check_fill};
use crate::slots::Slots;
use egpu_ir::kernel::Launch;
use loader::Program;
use memory::Memory;
use std::time::Instant;
use strict::LdsRaces;
use wave::{Ctx, State, Wave};

/// Wave-instructions one launch may execute by default (a runaway loop stops here).
pub const DEFAULT_BUDGET: u64 = 1 << 32;

/// The RDNA3 emulator as a device.
#[derive(Debug, Default)]
pub struct EmuDevice {
    mem: Memory,
    /// Each buffer's base address in `mem`.
    buffers: Slots<u64>,
    kernels: Slots<Program>,
    /// Which kernels of which code objects `kernels` holds.
    loaded: loaded::Loaded,
    budget: Option<u64>,
    /// Wave-instructions executed by all launches so far.
    executed: u64,
}

impl EmuDevice {
    /// The name `--device` selects it by.
    pub const NAME: &'static str = "emu";

    pub fn new() -> EmuDevice {
        EmuDevice::default()
    }

    /// A device whose launches stop after `n` wave-instructions each.
    pub fn with_budget(n: u64) -> EmuDevice {
        EmuDevice {
            budget: Some(n),
            ..EmuDevice::default()
        }
    }

    /// Wave-instructions executed by every launch so far (for speed measurements).
    pub fn executed(&self) -> u64 {
        self.executed
    }

    /// The base address of a buffer in the emulated address space.
    pub fn address(&self, id: BufferId) -> Result<u64, DeviceError> {
        self.buffers.get(id.0).copied().ok_or_else(|| no_buffer(id))
    }

    fn program(&self, handle: KernelHandle) -> Result<&Program, DeviceError> {
        self.kernels
            .get(handle.0)
            .ok_or_else(|| DeviceError::NoSuchKernel {
                device: EmuDevice::NAME.into(),
                handle: handle.0,
            })
    }

    /// The kernarg segment for `args`: buffers as 64-bit addresses, scalars by value, at
    /// the offsets the metadata note gives (checked against it: count, kinds and sizes),
    /// or naturally aligned in parameter order when the object has no note. Hidden
    /// arguments get the launch's block counts and group sizes, or zero.
    fn kernarg(
        &self,
        program: &Program,
        args: &[Arg],
        launch: Launch,
    ) -> Result<Vec<u8>, DeviceError> {
        let bad = |m: String| fault(program, m);
        let mut seg = vec![0u8; program.descriptor.kernarg_size as usize];
        let put = |seg: &mut Vec<u8>, offset: usize, bytes: &[u8]| {
            if seg.len() < offset + bytes.len() {
                seg.resize(offset + bytes.len(), 0);
            }
            seg[offset..offset + bytes.len()].copy_from_slice(bytes);
        };
        let value = |arg: &Arg| -> Result<Vec<u8>, DeviceError> {
            Ok(match *arg {
                Arg::Buffer(id) => self.address(id)?.to_le_bytes().to_vec(),
                Arg::I32(v) => v.to_le_bytes().to_vec(),
                Arg::I64(v) => v.to_le_bytes().to_vec(),
            })
        };
        let Some(slots) = &program.args else {
            let mut end = 0;
            for arg in args {
                let bytes = value(arg)?;
                let at = usize::next_multiple_of(end, bytes.len());
                put(&mut seg, at, &bytes);
                end = at + bytes.len();
            }
            return Ok(seg);
        };
        let explicit: Vec<&metadata::Slot> = slots
            .iter()
            .filter(|s| !matches!(s.kind, metadata::Kind::Hidden(_)))
            .collect();
        if explicit.len() != args.len() {
            return Err(bad(format!(
                "{} parameters, {} arguments",
                explicit.len(),
                args.len()
            )));
        }
        for (i, (slot, arg)) in explicit.iter().zip(args).enumerate() {
            let bytes = value(arg)?;
            let fits = match (&slot.kind, arg) {
                (metadata::Kind::Buffer, Arg::Buffer(_)) => slot.size == 8,
                (metadata::Kind::Value, Arg::I32(_) | Arg::I64(_)) => {
                    slot.size as usize == bytes.len()
                }
                _ => false,
            };
            if !fits {
                return Err(bad(format!(
                    "parameter {i} ({:?}, {} bytes) given {arg:?}",
                    slot.kind, slot.size
                )));
            }
            put(&mut seg, slot.offset as usize, &bytes);
        }
        for slot in slots {
            if let metadata::Kind::Hidden(kind) = &slot.kind {
                let v = hidden_value(kind, launch);
                let bytes = v.to_le_bytes();
                let n = (slot.size as usize).min(8);
                put(&mut seg, slot.offset as usize, &bytes[..n]);
            }
        }
        Ok(seg)
    }

    fn run(
        &mut self,
        handle: KernelHandle,
        launch: Launch,
        args: &[Arg],
    ) -> Result<(), DeviceError> {
        let seg = self.kernarg(self.program(handle)?, args, launch)?;
        let kernarg = self.mem.alloc(seg.len());
        if let Some(held) = self.mem.bytes_mut(kernarg) {
            held.copy_from_slice(&seg);
        }
        // Borrow the program from its own field so memory can change meanwhile.
        let program = self
            .kernels
            .get(handle.0)
            .ok_or_else(|| DeviceError::NoSuchKernel {
                device: EmuDevice::NAME.into(),
                handle: handle.0,
            })?;
        let budget = self.budget.unwrap_or(DEFAULT_BUDGET);
        let result = Runner::new(program, launch, kernarg, budget).and_then(|mut runner| {
            let result = runner.run_all(&mut self.mem);
            self.executed += runner.executed;
            result
        });
        self.mem.free(kernarg);
        result
    }
}

/// The value of a hidden argument the emulator knows; others are zero. The hsa device
/// fills hidden arguments the same way.
pub(crate) fn hidden_value(kind: &str, launch: Launch) -> u64 {
    let dim = |s: &str| match s.chars().last() {
        Some('x') => 0,
        Some('y') => 1,
        _ => 2,
    };
    match kind {
        k if k.starts_with("hidden_block_count_") => u64::from(launch.grid[dim(k)]),
        k if k.starts_with("hidden_group_size_") => u64::from(launch.workgroup[dim(k)]),
        "hidden_grid_dims" => {
            1 + u64::from(launch.grid[1] * launch.workgroup[1] > 1)
                + u64::from(launch.grid[2] * launch.workgroup[2] > 1)
        }
        _ => 0,
    }
}

fn no_buffer(id: BufferId) -> DeviceError {
    DeviceError::no_buffer(EmuDevice::NAME, id)
}

fn fault(program: &Program, message: String) -> DeviceError {
    DeviceError::Arguments {
        device: EmuDevice::NAME.into(),
        kernel: program.name.clone(),
        message,
    }
}

/// One launch in progress.
struct Runner<'p> {
    program: &'p Program,
    launch: Launch,
    kernarg: u64,
    budget: u64,
    executed: u64,
    trace: Option<u64>,
    /// Waves started so far in this launch (to find the traced one).
    waves_started: u64,
}

impl<'p> Runner<'p> {
    fn new(
        program: &'p Program,
        launch: Launch,
        kernarg: u64,
        budget: u64,
    ) -> Result<Runner<'p>, DeviceError> {
        let size = launch.workgroup_size();
        if size == 0 || size > 1024 || launch.grid.contains(&0) {
            return Err(fault(
                program,
                format!("launch shape {launch:?} is empty or exceeds 1024 lanes per workgroup"),
            ));
        }
        if launch.workgroup.iter().any(|&d| d > 1024) {
            return Err(fault(
                program,
                "a workgroup dimension exceeds 1024 (ids are 10 bits)".into(),
            ));
        }
        Ok(Runner {
            program,
            launch,
            kernarg,
            budget,
            executed: 0,
            trace: trace::chosen_wave(),
            waves_started: 0,
        })
    }

    fn run_all(&mut self, mem: &mut Memory) -> Result<(), DeviceError> {
        let d = &self.program.descriptor;
        let mut lds = vec![0u8; d.group_segment_fixed_size as usize];
        let mut races = LdsRaces::new(lds.len());
        let [gx, gy, gz] = self.launch.grid;
        for z in 0..gz {
            for y in 0..gy {
                for x in 0..gx {
                    lds.iter_mut().for_each(|b| *b = 0);
                    races.reset();
                    self.workgroup([x, y, z], mem, &mut lds, &mut races)?;
                }
            }
        }
        Ok(())
    }

    /// The waves of workgroup `id`, in their initial state.
    fn waves(&self, id: [u32; 3]) -> Vec<Wave> {
        let d = &self.program.descriptor;
        let [wx, wy, _] = self.launch.workgroup;
        let lanes = self.launch.workgroup_size() as u32;
        let vgprs = (d.vgpr_granules * 8) as usize;
        let scratch = d.private_segment_fixed_size as usize;
        let mut waves = Vec::new();
        for w in 0..lanes.div_ceil(32) {
            let mut wave = Wave::new(w as u16, vgprs, scratch);
            let active = (lanes - 32 * w).min(32);
            let exec = if active == 32 {
                u32::MAX
            } else {
                (1 << active) - 1
            };
            let _ = wave.set_s(wave::EXEC_LO, exec);
            let _ = wave.set_s(0, self.kernarg as u32);
            let _ = wave.set_s(1, (self.kernarg >> 32) as u32);
            let mut sgpr = d.user_sgpr_count as usize;
            for (dim, on) in d.workgroup_id.iter().enumerate() {
                if *on {
                    let _ = wave.set_s(sgpr, id[dim]);
                    sgpr += 1;
                }
            }
            for l in 0..active as usize {
                let flat = 32 * w + l as u32;
                let (x, y, z) = (flat % wx, (flat / wx) % wy, flat / (wx * wy));
                let mut v0 = x;
                if d.workitem_id_dims >= 2 {
                    v0 |= y << 10;
                }
                if d.workitem_id_dims >= 3 {
                    v0 |= z << 20;
                }
                if vgprs > 0 {
                    wave.set_v(0, l, v0);
                }
            }
            waves.push(wave);
        }
        waves
    }

    fn workgroup(
        &mut self,
        id: [u32; 3],
        mem: &mut Memory,
        lds: &mut [u8],
        races: &mut LdsRaces,
    ) -> Result<(), DeviceError> {
        let mut waves = self.waves(id);
        races.waves = waves.len();
        let first = self.waves_started;
        self.waves_started += waves.len() as u64;
        loop {
            for wave in waves.iter_mut() {
                let traced = self.trace == Some(first + u64::from(wave.id));
                let mut ctx = Ctx {
                    program: self.program,
                    mem,
                    lds,
                    races,
                };
                self.run_wave(wave, &mut ctx, traced, id)?;
            }
            if waves.iter().all(|w| w.state == State::Done) {
                return Ok(());
            }
            // Every live wave waits at the barrier: release them all.
            races.barrier();
            for w in waves.iter_mut().filter(|w| w.state == State::Barrier) {
                w.state = State::Running;
            }
        }
    }

    /// Runs `wave` until it reaches a barrier or ends.
    fn run_wave(
        &mut self,
        wave: &mut Wave,
        ctx: &mut Ctx,
        traced: bool,
        group: [u32; 3],
    ) -> Result<(), DeviceError> {
        let program = self.program;
        while wave.state == State::Running {
            let Some(ins) = program.ins.get(wave.ip) else {
                return Err(self.error(
                    wave,
                    None,
                    group,
                    "ran past the end of the kernel's code".into(),
                ));
            };
            if self.executed >= self.budget {
                return Err(self.error(
                    wave,
                    Some(ins),
                    group,
                    format!(
                        "instruction budget of {} wave-instructions exhausted (a runaway loop?)",
                        self.budget
                    ),
                ));
            }
            self.executed += 1;
            let before = traced.then(|| wave.clone());
            if let Err(message) = wave.step(ins, ctx) {
                return Err(self.error(wave, Some(ins), group, message));
            }
            if let Some(before) = before {
                trace::print(&before, wave, ins);
            }
        }
        Ok(())
    }

    fn error(
        &self,
        wave: &Wave,
        ins: Option<&loader::Ins>,
        group: [u32; 3],
        message: String,
    ) -> DeviceError {
        let at = match ins {
            Some(ins) => format!("pc {:#x} ({})", ins.pc, trace::text(ins)),
            None => "end of code".to_string(),
        };
        DeviceError::Emulator {
            device: EmuDevice::NAME.into(),
            kernel: self.program.name.clone(),
            message: format!("workgroup {group:?} wave {}: {at}: {message}", wave.id),
        }
    }
}

impl Device for EmuDevice {
    fn name(&self) -> &str {
        EmuDevice::NAME
    }

    fn describe(&self) -> String {
        "emu (RDNA3 gfx1100 wave32 emulator, strict)".into()
    }

    fn target_name(&self) -> Option<&'static str> {
        Some("gfx1100")
    }

    fn alloc(&mut self, bytes: usize) -> Result<BufferId, DeviceError> {
        let base = self.mem.alloc(bytes);
        self.buffers
            .insert(base)
            .map(BufferId)
            .ok_or_else(|| DeviceError::TooManyIds {
                device: EmuDevice::NAME.into(),
                what: "buffers",
            })
    }

    fn free(&mut self, buffer: BufferId) -> Result<(), DeviceError> {
        let base = self
            .buffers
            .remove(buffer.0)
            .ok_or_else(|| no_buffer(buffer))?;
        self.mem.free(base);
        Ok(())
    }

    fn size(&self, buffer: BufferId) -> Result<usize, DeviceError> {
        let base = self.address(buffer)?;
        self.mem
            .bytes(base)
            .map(Vec::len)
            .ok_or_else(|| no_buffer(buffer))
    }

    fn upload(&mut self, buffer: BufferId, data: &[u8]) -> Result<(), DeviceError> {
        let base = self.address(buffer)?;
        let held = self.mem.bytes_mut(base).ok_or_else(|| no_buffer(buffer))?;
        check_copy(EmuDevice::NAME, buffer, held.len(), data.len(), "upload")?;
        held.copy_from_slice(data);
        Ok(())
    }

    fn fill(&mut self, buffer: BufferId, pattern: &[u8]) -> Result<Filled, DeviceError> {
        let base = self.address(buffer)?;
        let held = self.mem.bytes_mut(base).ok_or_else(|| no_buffer(buffer))?;
        check_fill(EmuDevice::NAME, buffer, held.len(), pattern)?;
        crate::device::fill_bytes(held, pattern);
        Ok(Filled::OnDevice)
    }

    fn download(&mut self, buffer: BufferId, out: &mut [u8]) -> Result<(), DeviceError> {
        let base = self.address(buffer)?;
        let held = self.mem.bytes(base).ok_or_else(|| no_buffer(buffer))?;
        check_copy(EmuDevice::NAME, buffer, held.len(), out.len(), "download")?;
        out.copy_from_slice(held);
        Ok(())
    }

    fn load(&mut self, binary: &Binary, kernel: &str) -> Result<KernelHandle, DeviceError> {
        let Binary::CodeObject(bytes) = binary else {
            return Err(DeviceError::UnsupportedBinary {
                device: EmuDevice::NAME.into(),
                kind: binary.kind(),
                hint: "the emu device runs RDNA3 code objects only",
            });
        };
        if let Some(handle) = self.loaded.get(bytes, kernel) {
            return Ok(handle);
        }
        let program = loader::load(bytes, kernel).map_err(|message| DeviceError::Load {
            device: EmuDevice::NAME.into(),
            kernel: kernel.into(),
            message,
        })?;
        let handle = self
            .kernels
            .insert(program)
            .map(KernelHandle)
            .ok_or_else(|| DeviceError::TooManyIds {
                device: EmuDevice::NAME.into(),
                what: "kernel handles",
            })?;
        self.loaded.insert(bytes, kernel, handle);
        Ok(handle)
    }

    fn launch(
        &mut self,
        kernel: KernelHandle,
        launch: Launch,
        args: &[Arg],
    ) -> Result<(), DeviceError> {
        self.run(kernel, launch, args)
    }

    fn synchronize(&mut self) -> Result<(), DeviceError> {
        Ok(()) // every launch has finished when `launch` returns
    }

    fn timed_launch(
        &mut self,
        kernel: KernelHandle,
        launch: Launch,
        args: &[Arg],
    ) -> Result<f64, DeviceError> {
        let start = Instant::now();
        self.run(kernel, launch, args)?;
        Ok(start.elapsed().as_secs_f64() * 1e3)
    }
}
