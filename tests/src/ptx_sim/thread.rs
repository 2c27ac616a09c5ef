//! One thread's state and its register file, with the strict read: a register no
//! instruction of this thread wrote is an error, not a zero.

use super::instr::{Dst, Special, Src, Ty};
use super::parse::Entry;

/// Where a thread is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// Runs on at `pc`.
    Running,
    /// Stopped at the collective instruction at `pc` until its warp or CTA arrives.
    Waiting,
    Exited,
}

/// An issued `cp.async` copy: `size` bytes from global `src` to shared `dst`, of which
/// only the first `src_size` are read (the rest are zero-filled).
#[derive(Clone, Copy, Debug)]
pub struct AsyncCopy {
    pub dst: u64,
    pub src: u64,
    pub size: u32,
    pub src_size: u32,
    pub line: usize,
}

/// A thread of the CTA being run.
#[derive(Clone, Debug)]
pub struct Thread {
    pub tid: [u32; 3],
    /// Linear index in the CTA (x fastest).
    pub linear: u32,
    pub pc: usize,
    pub state: State,
    regs: Vec<u64>,
    written: Vec<bool>,
    /// Copies issued since the last commit.
    pub open_copies: Vec<AsyncCopy>,
    /// Committed groups, oldest first.
    pub copy_groups: Vec<Vec<AsyncCopy>>,
}

/// The launch-wide values special registers read.
#[derive(Clone, Copy, Debug)]
pub struct Dims {
    pub ntid: [u32; 3],
    pub ctaid: [u32; 3],
    pub nctaid: [u32; 3],
}

impl Thread {
    pub fn new(tid: [u32; 3], linear: u32, regs: usize) -> Thread {
        Thread {
            tid,
            linear,
            pc: 0,
            state: State::Running,
            regs: vec![0; regs],
            written: vec![false; regs],
            open_copies: Vec::new(),
            copy_groups: Vec::new(),
        }
    }

    pub fn lane(&self) -> u32 {
        self.linear % 32
    }

    /// Register `r`'s raw 64 bits, or an error naming it when this thread never wrote it.
    pub fn reg(&self, entry: &Entry, r: u32) -> Result<u64, String> {
        let i = r as usize;
        if !self.written[i] {
            return Err(format!(
                "register {} is read before any instruction of this thread wrote it",
                entry.reg_names[i]
            ));
        }
        Ok(self.regs[i])
    }

    /// A source operand as `ty`: masked to the width (predicates to one bit).
    pub fn read(&self, entry: &Entry, dims: &Dims, src: Src, ty: Ty) -> Result<u64, String> {
        let raw = match src {
            Src::Reg(r) => self.reg(entry, r)?,
            Src::Imm(v) => v,
            Src::Special(s) => u64::from(match s {
                Special::Tid(a) => self.tid[a],
                Special::Ntid(a) => dims.ntid[a],
                Special::Ctaid(a) => dims.ctaid[a],
                Special::Nctaid(a) => dims.nctaid[a],
                Special::LaneId => self.lane(),
                Special::WarpSize => 32,
            }),
        };
        Ok(raw & ty.mask())
    }

    /// Writes `bits` as `ty` (extended to 64 bits by the type's signedness).
    pub fn write(&mut self, dst: Dst, ty: Ty, bits: u64) {
        if let Dst::Reg(r) = dst {
            self.regs[r as usize] = ty.extend(bits & ty.mask());
            self.written[r as usize] = true;
        }
    }
}
