//! `s_waitcnt` / `s_waitcnt_vscnt` insertion on allocated machine code: before an
//! instruction reads (or overwrites) a register that an outstanding load (VMEM: vmcnt;
//! SMEM, LDS: lgkmcnt) will write, wait for it; before `s_barrier`, wait for outstanding
//! LDS and stores so other waves see them. A forward data-flow over the structured control
//! flow (loops iterate to a fixed point), so a load issued in one iteration is waited for in
//! the next.
//!
//! The counters (reference/rdna3.md "GFX11 rules"): vmcnt counts VMEM loads and returning
//! atomics, which return in order, so waiting for a load issued `d` loads ago is
//! `vmcnt(d)`; vscnt counts VMEM stores and non-returning atomics; lgkmcnt counts LDS
//! operations (in order among themselves), SMEM loads and messages (out of order): a
//! register an SMEM load writes, or any lgkm wait while an out-of-order event may be
//! outstanding, needs `lgkmcnt(0)`. FLAT instructions may go to LDS or memory, so they
//! count on both vmcnt (or vscnt) and lgkmcnt, the latter out of order. `s_endpgm` waits
//! for everything itself.

use crate::flow::{self, Insert, Lattice};
use crate::isa::sopp::{waitcnt_fields, waitcnt_imm};
use crate::isa::{Class, Fmt, Inst, Op, Operand};
use crate::mir::MInst;
use crate::reguse::{self, Effects};

/// Register codes 0-511 (see [`crate::reguse`]).
const UNITS: usize = 512;
/// A register no outstanding event writes.
const NONE: u8 = u8::MAX;
/// The largest count the 6-bit vmcnt/lgkmcnt fields hold; 63 there means "do not wait".
const FIELD_MAX: u8 = 63;
/// The largest distance kept: a load more than 62 events back is still waited for with
/// `vmcnt(62)`, which is correct (at most 63 can be outstanding) if slightly early.
const MAX_DIST: u8 = FIELD_MAX - 1;

/// What may be outstanding at a program point, on every path to it.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Pending {
    /// Per register: how many vmcnt events were issued after the load that writes it
    /// (the smallest over all paths: the wait that covers every path), or `NONE`.
    vm: Vec<u8>,
    /// Per register: how many LDS operations were issued after the one that writes it.
    lds: Vec<u8>,
    /// Per register: written by an out-of-order lgkm event (SMEM, FLAT).
    ooo: Vec<bool>,
    /// Whether any event of each in-order kind may be outstanding (for `s_barrier`;
    /// flags rather than counts so loops reach their fixed point in a few walks).
    vm_any: bool,
    lds_any: bool,
    vs_any: bool,
    /// An out-of-order lgkm event may be outstanding.
    ooo_any: bool,
}

impl Pending {
    fn new() -> Pending {
        Pending {
            vm: vec![NONE; UNITS],
            lds: vec![NONE; UNITS],
            ooo: vec![false; UNITS],
            vm_any: false,
            lds_any: false,
            vs_any: false,
            ooo_any: false,
        }
    }
}

impl Lattice for Pending {
    fn join(&mut self, o: &Pending) {
        for (a, b) in self.vm.iter_mut().zip(&o.vm) {
            *a = (*a).min(*b);
        }
        for (a, b) in self.lds.iter_mut().zip(&o.lds) {
            *a = (*a).min(*b);
        }
        for (a, b) in self.ooo.iter_mut().zip(&o.ooo) {
            *a |= *b;
        }
        self.vm_any |= o.vm_any;
        self.lds_any |= o.lds_any;
        self.vs_any |= o.vs_any;
        self.ooo_any |= o.ooo_any;
    }
}

/// Which counters an instruction adds an event to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Event {
    None,
    /// Global/scratch load or returning atomic: vmcnt.
    VmLoad,
    /// Global/scratch store or non-returning atomic: vscnt.
    VmStore,
    /// FLAT load: vmcnt and lgkmcnt (out of order).
    FlatLoad,
    /// FLAT store: vscnt and lgkmcnt (out of order).
    FlatStore,
    /// Any DS instruction (loads, stores, atomics, swizzles, permutes): lgkmcnt, in order.
    Lds,
    /// Scalar memory load: lgkmcnt, out of order.
    Smem,
    /// `s_sendmsg`: lgkmcnt, out of order.
    Msg,
}

fn event(inst: &Inst) -> Event {
    let info = inst.op().info();
    match *inst {
        Inst::Flat { cache, .. } => {
            let returns = match info.class {
                Class::Load => true,
                Class::Atomic => cache.glc,
                _ => false,
            };
            match (info.fmt == Fmt::Flat, returns) {
                (true, true) => Event::FlatLoad,
                (true, false) => Event::FlatStore,
                (false, true) => Event::VmLoad,
                (false, false) => Event::VmStore,
            }
        }
        Inst::Ds { .. } => Event::Lds,
        Inst::Smem { .. } => Event::Smem,
        Inst::Sopp { .. } if info.name == "s_sendmsg" => Event::Msg,
        _ => Event::None,
    }
}

/// The waits one instruction needs: the smallest count per counter.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Wait {
    vm: Option<u8>,
    lgkm: Option<u8>,
    vs: Option<u8>,
}

fn tighten(slot: &mut Option<u8>, n: u8) {
    *slot = Some(slot.map_or(n, |v| v.min(n)));
}

impl Wait {
    /// The `s_waitcnt` / `s_waitcnt_vscnt` instructions that perform this wait.
    fn insts(self) -> Vec<Inst> {
        let mut out = Vec::new();
        if self.vm.is_some() || self.lgkm.is_some() {
            let field = |v: Option<u8>| u16::from(v.unwrap_or(FIELD_MAX));
            out.extend(Op::by_name("s_waitcnt").map(|op| Inst::Sopp {
                op,
                imm: waitcnt_imm(field(self.vm), 7, field(self.lgkm)),
            }));
        }
        if let Some(n) = self.vs {
            out.extend(Op::by_name("s_waitcnt_vscnt").map(|op| Inst::Sopk {
                op,
                sdst: Operand::Null,
                imm: u16::from(n),
            }));
        }
        out
    }
}

/// The wait that makes register `u` safe to read or overwrite.
fn cover(s: &Pending, u: usize, skip_vm: bool, w: &mut Wait) {
    if s.vm[u] != NONE && !skip_vm {
        tighten(&mut w.vm, s.vm[u]);
    }
    if s.ooo[u] {
        tighten(&mut w.lgkm, 0);
    }
    if s.lds[u] != NONE {
        // An out-of-order event may be counted too: only lgkmcnt(0) is then certain.
        tighten(&mut w.lgkm, if s.ooo_any { 0 } else { s.lds[u] });
    }
}

/// The waits `inst` needs before it issues.
fn needs(s: &Pending, inst: &Inst, e: &Effects, ev: Event) -> Wait {
    let mut w = Wait::default();
    for r in &e.reads {
        for u in r.units() {
            cover(s, usize::from(u), false, &mut w);
        }
    }
    // Loads counted on vmcnt write their registers in issue order, so a newer load may
    // overwrite an older one's destination without waiting.
    let in_order = matches!(ev, Event::VmLoad | Event::FlatLoad);
    for r in &e.writes {
        for u in r.units() {
            cover(s, usize::from(u), in_order, &mut w);
        }
    }
    if inst.op().name() == "s_barrier" {
        barrier(s, &mut w);
    }
    w
}

/// Before `s_barrier`: every LDS access and store done, so other waves see them.
fn barrier(s: &Pending, w: &mut Wait) {
    if s.vm_any {
        tighten(&mut w.vm, 0);
    }
    if s.lds_any || s.ooo_any {
        tighten(&mut w.lgkm, 0);
    }
    if s.vs_any {
        tighten(&mut w.vs, 0);
    }
}

/// A wait already in the code (isel's or a hand-written one).
fn existing(inst: &Inst) -> Wait {
    match *inst {
        Inst::Sopp { op, imm } if op.name() == "s_waitcnt" => {
            let (vm, _, lgkm) = waitcnt_fields(imm);
            let keep = |v: u16| (v < u16::from(FIELD_MAX)).then_some(v as u8);
            Wait {
                vm: keep(vm),
                lgkm: keep(lgkm),
                vs: None,
            }
        }
        Inst::Sopk {
            op,
            sdst: Operand::Null,
            imm,
        } if op.name() == "s_waitcnt_vscnt" => Wait {
            vs: Some(imm.min(u16::from(FIELD_MAX)) as u8),
            ..Wait::default()
        },
        _ => Wait::default(),
    }
}

/// The state after waiting: whatever the wait guarantees complete is no longer pending.
fn settle(s: &mut Pending, w: Wait) {
    if let Some(n) = w.vm {
        retire(&mut s.vm, n);
        s.vm_any &= n > 0;
    }
    if let Some(n) = w.lgkm {
        retire(&mut s.lds, n);
        s.lds_any &= n > 0;
        if n == 0 {
            s.ooo.iter_mut().for_each(|b| *b = false);
            s.ooo_any = false;
        }
    }
    if let Some(n) = w.vs {
        s.vs_any &= n > 0;
    }
}

/// After waiting for at most `n` outstanding, events `n` or more back are done.
fn retire(dist: &mut [u8], n: u8) {
    for d in dist.iter_mut().filter(|d| **d != NONE && **d >= n) {
        *d = NONE;
    }
}

/// One more in-order event: every older one is one further back.
fn age(dist: &mut [u8], any: &mut bool) {
    for d in dist.iter_mut().filter(|d| **d != NONE) {
        *d = (*d + 1).min(MAX_DIST);
    }
    *any = true;
}

/// The state after `inst` issues event `ev` writing `e.writes`.
fn issue(s: &mut Pending, ev: Event, e: &Effects) {
    let units = || e.writes.iter().flat_map(|r| r.units()).map(usize::from);
    match ev {
        Event::None => {}
        Event::VmLoad | Event::FlatLoad => {
            age(&mut s.vm, &mut s.vm_any);
            units().for_each(|u| s.vm[u] = 0);
        }
        Event::VmStore | Event::FlatStore => s.vs_any = true,
        Event::Lds => {
            age(&mut s.lds, &mut s.lds_any);
            units().for_each(|u| s.lds[u] = 0);
        }
        Event::Smem | Event::Msg => units().for_each(|u| s.ooo[u] = true),
    }
    if matches!(
        ev,
        Event::FlatLoad | Event::FlatStore | Event::Smem | Event::Msg
    ) {
        s.ooo_any = true;
        if ev == Event::FlatLoad {
            units().for_each(|u| s.ooo[u] = true);
        }
    }
}

/// One instruction: the waits it needs (inserted before it), then its own effect.
fn step(s: &mut Pending, inst: &Inst) -> Insert {
    let e = reguse::effects(inst);
    let ev = event(inst);
    let w = needs(s, inst, &e, ev);
    settle(s, w);
    settle(s, existing(inst));
    issue(s, ev, &e);
    Insert {
        before: w.insts(),
        after: Vec::new(),
    }
}

/// Inserts the waits `insts` (physical registers, see [`crate::regalloc`]) needs.
pub fn insert(insts: &mut Vec<MInst>) {
    flow::run(insts, Pending::new(), step);
}

#[cfg(test)]
#[path = "waitcnt_tests.rs"]
mod tests;
