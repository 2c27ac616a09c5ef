//! Running one thread up to its next collective instruction (which the scheduler in
//! `cta.rs` runs for the whole warp or CTA) or its exit.

use super::access::access;
use super::approx::Approx;
use super::compute::compute;
use super::instr::{Addr, Base, Instr, Op, Space, Src, Ty};
use super::memory::{GlobalMemory, SHARED_WINDOW, SharedMemory, read_flat};
use super::parse::Entry;
use super::thread::{Dims, State, Thread};

/// What one CTA's threads share while they run.
pub struct Ctx<'a> {
    pub entry: &'a Entry,
    pub dims: Dims,
    pub params: &'a [u8],
    pub shared: SharedMemory,
    pub global: &'a mut GlobalMemory,
    /// Instructions left before the launch is declared runaway.
    pub budget: u64,
    /// The PTX line of the instruction being executed (for the `.nc` bookkeeping).
    pub line: usize,
    /// How approximate instructions compute.
    pub approx: Approx,
}

/// An error of one thread at one PTX line.
pub struct Fault {
    pub line: usize,
    pub message: String,
}

impl<'a> Ctx<'a> {
    pub fn read(&self, t: &Thread, src: Src, ty: Ty) -> Result<u64, String> {
        t.read(self.entry, &self.dims, src, ty)
    }

    /// The address `[base+offset]` as a number.
    pub fn address(&self, t: &Thread, addr: Addr) -> Result<u64, String> {
        let base = match addr.base {
            Base::Reg(r) => t.reg(self.entry, r)?,
            Base::Fixed(v) => v,
        };
        Ok(base.wrapping_add(addr.offset as u64))
    }

    /// Which space a generic address is in, and the address within it.
    pub fn resolve(&self, space: Space, a: u64) -> (Space, u64) {
        match space {
            Space::Generic if (SHARED_WINDOW..SHARED_WINDOW + self.shared.size()).contains(&a) => {
                (Space::Shared, a - SHARED_WINDOW)
            }
            Space::Generic => (Space::Global, a),
            s => (s, a),
        }
    }

    pub fn load(&self, space: Space, a: u64, out: &mut [u8]) -> Result<(), String> {
        match self.resolve(space, a) {
            (Space::Shared, a) => self.shared.read(a, out),
            (Space::Param, a) => read_flat("param", self.params, a, out),
            (_, a) => self.global.read(a, out),
        }
    }

    pub fn store(&mut self, space: Space, a: u64, data: &[u8]) -> Result<(), String> {
        match self.resolve(space, a) {
            (Space::Shared, a) => self.shared.write(a, data),
            (Space::Param, _) => Err("store to .param space".into()),
            (_, a) => {
                self.global.note_write(a, self.line);
                self.global.write(a, data)
            }
        }
    }
}

/// Runs `t` until it waits at a collective instruction, exits, or faults.
pub fn run_thread(ctx: &mut Ctx, t: &mut Thread) -> Result<(), Fault> {
    let entry = ctx.entry;
    while t.state == State::Running {
        let Some(instr) = entry.code.get(t.pc) else {
            let line = entry.code.last().map_or(0, |i| i.line);
            return Err(Fault {
                line,
                message: "ran past the last instruction without ret/exit".into(),
            });
        };
        let fault = |message: String| Fault {
            line: instr.line,
            message,
        };
        if ctx.budget == 0 {
            return Err(fault("instruction budget exhausted (endless loop?)".into()));
        }
        ctx.budget -= 1;
        if let Some((p, neg)) = instr.guard {
            let v = t.reg(entry, p).map_err(fault)? & 1 == 1;
            if v == neg {
                t.pc += 1;
                continue;
            }
        }
        if instr.op.is_collective() {
            t.state = State::Waiting;
            return Ok(());
        }
        ctx.line = instr.line;
        step(ctx, t, instr).map_err(fault)?;
    }
    Ok(())
}

/// Executes one per-thread instruction (guard already true) and advances the pc.
fn step(ctx: &mut Ctx, t: &mut Thread, instr: &Instr) -> Result<(), String> {
    let mut next = t.pc + 1;
    match &instr.op {
        Op::Bra { target } => next = *target,
        Op::Exit => t.state = State::Exited,
        Op::Nop => {}
        op if op.is_collective() => {
            return Err("collective instruction reached the per-thread stepper".into());
        }
        op => {
            if !compute(ctx, t, op)? && !access(ctx, t, instr)? {
                return Err(format!("no semantics for {op:?}"));
            }
        }
    }
    t.pc = next;
    Ok(())
}
