//! A PTX interpreter for the tests: an oracle for what egpu's PTX computes, written from
//! the PTX ISA, independent of the emitter. It parses the subset of PTX egpu emits
//! (`parse.rs`, `operand.rs`, `decode/`), then runs a launch CTA by CTA (`cta.rs`), each
//! thread up to its next collective instruction (`exec.rs`, with `compute.rs` on top of
//! `alu.rs`/`cvt.rs`/`float.rs` for arithmetic and `access.rs` for memory), collectives
//! once their warp or CTA has arrived (`warp.rs`). `program.rs` runs a whole compiled
//! program. It is strict where hardware is unforgiving or undefined: reading a register
//! this thread never wrote or shared memory no thread wrote, an access outside every
//! buffer or misaligned, a `.nc` buffer written in the same launch, a barrier some threads
//! never reach, an integer division by zero, an unknown instruction or modifier.
//!
//! ```text
//! let mut mem = GlobalMemory::new();
//! let x = mem.alloc(bytes);
//! run(ptx, "k", [4, 1, 1], [256, 1, 1], &[SimArg::U64(x)], &mut mem)?;
//! ```

mod access;
mod alu;
mod approx;
mod compute;
mod cta;
mod cvt;
mod decode;
mod device;
mod exec;
mod float;
mod instr;
mod memory;
mod operand;
mod parse;
mod program;
mod thread;
mod warp;

pub use approx::{Approx, UlpsFrom};
pub use device::SimDevice;
pub use memory::GlobalMemory;
pub use parse::{Entry, Module};
pub use program::{ProgramError, run_program};

use exec::Ctx;
use instr::Ty;
use thread::{Dims, Thread};

/// Why a PTX module could not be read or a launch failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SimError {
    #[error("PTX line {line}: {message}")]
    Parse { line: usize, message: String },
    #[error("launch of '{entry}': {message}")]
    Launch { entry: String, message: String },
    #[error("PTX line {line}, block {block:?}, thread {thread:?}: {message}")]
    Exec {
        line: usize,
        block: [u32; 3],
        thread: [u32; 3],
        message: String,
    },
}

/// A kernel argument, in parameter order; its size must match the `.param`'s.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum SimArg {
    U32(u32),
    U64(u64),
    F32(f32),
}

impl SimArg {
    fn bytes(self) -> Vec<u8> {
        match self {
            SimArg::U32(v) => v.to_le_bytes().to_vec(),
            SimArg::U64(v) => v.to_le_bytes().to_vec(),
            SimArg::F32(v) => v.to_le_bytes().to_vec(),
        }
    }
}

/// What a launch did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LaunchStats {
    /// Instructions executed by all threads (collectives not counted).
    pub instructions: u64,
}

/// The most instructions one launch may execute before it is called runaway.
pub const INSTRUCTION_BUDGET: u64 = 2_000_000_000;

/// Parses and decodes a PTX module.
pub fn parse(ptx: &str) -> Result<Module, SimError> {
    decode::decode_module(ptx)
}

/// Parses `ptx` and runs one launch of `entry`.
pub fn run(
    ptx: &str,
    entry: &str,
    grid: [u32; 3],
    block: [u32; 3],
    args: &[SimArg],
    memory: &mut GlobalMemory,
) -> Result<LaunchStats, SimError> {
    parse(ptx)?.launch(entry, grid, block, args, memory)
}

impl Module {
    /// Runs `entry` over `grid` CTAs of `block` threads, one CTA after another.
    pub fn launch(
        &self,
        entry: &str,
        grid: [u32; 3],
        block: [u32; 3],
        args: &[SimArg],
        memory: &mut GlobalMemory,
    ) -> Result<LaunchStats, SimError> {
        self.launch_with(Approx::Exact, entry, grid, block, args, memory)
    }

    /// [`Module::launch`] with approximate instructions computed as `approx` says.
    pub fn launch_with(
        &self,
        approx: Approx,
        entry: &str,
        grid: [u32; 3],
        block: [u32; 3],
        args: &[SimArg],
        memory: &mut GlobalMemory,
    ) -> Result<LaunchStats, SimError> {
        let bad = |message: String| SimError::Launch {
            entry: entry.to_string(),
            message,
        };
        let e = self
            .entries
            .iter()
            .find(|e| e.name == entry)
            .ok_or_else(|| bad("no such .entry in the module".into()))?;
        // No GPU has more (228 KiB of shared memory per CTA on sm_90, 32 KiB of
        // parameters): larger declarations are errors, not allocations.
        if e.shared_bytes > 228 * 1024 || e.param_bytes > 32 * 1024 {
            return Err(bad(format!(
                "{} bytes of shared memory and {} of parameters exceed any GPU's limits",
                e.shared_bytes, e.param_bytes
            )));
        }
        let params = param_block(e, args).map_err(bad)?;
        let threads_per_cta = block.iter().map(|&d| u64::from(d)).product::<u64>();
        if threads_per_cta == 0 || threads_per_cta > 1024 || grid.contains(&0) {
            return Err(bad(format!(
                "bad launch shape grid {grid:?} block {block:?}"
            )));
        }
        if let Some(req) = e.reqntid
            && req != block
        {
            return Err(bad(format!(".reqntid {req:?} but the block is {block:?}")));
        }
        memory.begin_launch();
        let mut budget = INSTRUCTION_BUDGET;
        for cz in 0..grid[2] {
            for cy in 0..grid[1] {
                for cx in 0..grid[0] {
                    let ctaid = [cx, cy, cz];
                    let mut ctx = Ctx {
                        entry: e,
                        dims: Dims {
                            ntid: block,
                            ctaid,
                            nctaid: grid,
                        },
                        params: &params,
                        shared: memory::SharedMemory::new(e.shared_bytes as usize),
                        global: memory,
                        budget,
                        line: 0,
                        approx,
                    };
                    let mut threads = cta_threads(e, block);
                    let reverse = (cx + cy + cz) % 2 == 1;
                    cta::run_cta(&mut ctx, &mut threads, reverse).map_err(|f| SimError::Exec {
                        line: f.fault.line,
                        block: ctaid,
                        thread: threads[f.thread].tid,
                        message: f.fault.message,
                    })?;
                    budget = ctx.budget;
                }
            }
        }
        if let Some((addr, read, write)) = memory.nc_conflict() {
            return Err(bad(format!(
                "the buffer at {addr:#x} is read with ld.global.nc (line {read}) and written (line {write}) in the same launch; .nc data must be read-only for the whole kernel"
            )));
        }
        Ok(LaunchStats {
            instructions: INSTRUCTION_BUDGET - budget,
        })
    }
}

/// The parameter block: each argument at its parameter's offset.
fn param_block(e: &Entry, args: &[SimArg]) -> Result<Vec<u8>, String> {
    if args.len() != e.params.len() {
        return Err(format!(
            "{} arguments for {} parameters",
            args.len(),
            e.params.len()
        ));
    }
    let mut block = vec![0u8; e.param_bytes as usize];
    for (p, a) in e.params.iter().zip(args) {
        let bytes = a.bytes();
        if bytes.len() as u64 != p.size
            || (p.ty.is_float() != matches!(a, SimArg::F32(_)) && p.ty != Ty::B32)
        {
            return Err(format!(
                "argument {a:?} does not fit parameter {} ({:?})",
                p.name, p.ty
            ));
        }
        let off = p.offset as usize;
        block[off..off + bytes.len()].copy_from_slice(&bytes);
    }
    Ok(block)
}

fn cta_threads(e: &Entry, block: [u32; 3]) -> Vec<Thread> {
    let mut threads = Vec::with_capacity((block[0] * block[1] * block[2]) as usize);
    let mut linear = 0;
    for z in 0..block[2] {
        for y in 0..block[1] {
            for x in 0..block[0] {
                threads.push(Thread::new([x, y, z], linear, e.reg_names.len()));
                linear += 1;
            }
        }
    }
    threads
}
