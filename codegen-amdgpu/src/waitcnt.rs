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

/// Words of a bit set over the register codes.
const WORDS: usize = UNITS / 64;

/// A set of register codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
struct UnitSet([u64; WORDS]);

impl UnitSet {
    fn contains(&self, u: usize) -> bool {
        self.0[u / 64] >> (u % 64) & 1 != 0
    }

    fn insert(&mut self, u: usize) {
        self.0[u / 64] |= 1 << (u % 64);
    }

    fn remove(&mut self, u: usize) {
        self.0[u / 64] &= !(1 << (u % 64));
    }

    fn clear(&mut self) {
        self.0 = [0; WORDS];
    }

    /// Adds `o`'s members; whether any was new.
    fn union(&mut self, o: &UnitSet) -> bool {
        let mut changed = false;
        for (a, b) in self.0.iter_mut().zip(o.0) {
            changed |= b & !*a != 0;
            *a |= b;
        }
        changed
    }

    /// The members, in increasing order.
    fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        self.0.iter().enumerate().flat_map(|(w, &bits)| {
            let mut bits = bits;
            std::iter::from_fn(move || {
                (bits != 0).then(|| {
                    let b = bits.trailing_zeros() as usize;
                    bits &= bits - 1;
                    w * 64 + b
                })
            })
        })
    }
}

/// Per register: how many in-order events of one counter were issued after the one that
/// writes it, or `NONE`; with the set of registers that are not `NONE`, so that aging and
/// retiring touch only those (a few dozen at most, of 512).
#[derive(Clone, Debug, PartialEq, Eq)]
struct Distances {
    dist: [u8; UNITS],
    pending: UnitSet,
}

impl Distances {
    fn new() -> Distances {
        Distances {
            dist: [NONE; UNITS],
            pending: UnitSet::default(),
        }
    }

    fn get(&self, u: usize) -> u8 {
        self.dist[u]
    }

    /// An event writing `u` was issued just now.
    fn issued(&mut self, u: usize) {
        self.dist[u] = 0;
        self.pending.insert(u);
    }

    /// One more event: every older one is one further back.
    fn age(&mut self) {
        for u in self.pending.iter() {
            self.dist[u] = (self.dist[u] + 1).min(MAX_DIST);
        }
    }

    /// After waiting for at most `n` outstanding, events `n` or more back are done.
    fn retire(&mut self, n: u8) {
        let pending = self.pending;
        for u in pending.iter() {
            if self.dist[u] >= n {
                self.dist[u] = NONE;
                self.pending.remove(u);
            }
        }
    }

    /// The smaller distance of the two paths per register; whether any changed.
    fn join(&mut self, o: &Distances) -> bool {
        let mut changed = false;
        for u in o.pending.iter() {
            if o.dist[u] < self.dist[u] {
                self.dist[u] = o.dist[u];
                changed = true;
            }
        }
        self.pending.union(&o.pending);
        changed
    }
}

/// What may be outstanding at a program point, on every path to it.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Pending {
    /// Per register: how many vmcnt events were issued after the load that writes it
    /// (the smallest over all paths: the wait that covers every path), or `NONE`.
    vm: Distances,
    /// Per register: how many LDS operations were issued after the one that writes it.
    lds: Distances,
    /// Registers written by an out-of-order lgkm event (SMEM, FLAT).
    ooo: UnitSet,
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
            vm: Distances::new(),
            lds: Distances::new(),
            ooo: UnitSet::default(),
            vm_any: false,
            lds_any: false,
            vs_any: false,
            ooo_any: false,
        }
    }
}

impl Lattice for Pending {
    fn join(&mut self, o: &Pending) -> bool {
        let mut changed = self.vm.join(&o.vm);
        changed |= self.lds.join(&o.lds);
        changed |= self.ooo.union(&o.ooo);
        let flags = |p: &Pending| [p.vm_any, p.lds_any, p.vs_any, p.ooo_any];
        changed |= flags(o).iter().zip(flags(self)).any(|(b, a)| *b && !a);
        self.vm_any |= o.vm_any;
        self.lds_any |= o.lds_any;
        self.vs_any |= o.vs_any;
        self.ooo_any |= o.ooo_any;
        changed
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
    let vm = s.vm.get(u);
    if vm != NONE && !skip_vm {
        tighten(&mut w.vm, vm);
    }
    if s.ooo.contains(u) {
        tighten(&mut w.lgkm, 0);
    }
    let lds = s.lds.get(u);
    if lds != NONE {
        // An out-of-order event may be counted too: only lgkmcnt(0) is then certain.
        tighten(&mut w.lgkm, if s.ooo_any { 0 } else { lds });
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
        s.vm.retire(n);
        s.vm_any &= n > 0;
    }
    if let Some(n) = w.lgkm {
        s.lds.retire(n);
        s.lds_any &= n > 0;
        if n == 0 {
            s.ooo.clear();
            s.ooo_any = false;
        }
    }
    if let Some(n) = w.vs {
        s.vs_any &= n > 0;
    }
}

/// The state after `inst` issues event `ev` writing `e.writes`.
fn issue(s: &mut Pending, ev: Event, e: &Effects) {
    let units = || e.writes.iter().flat_map(|r| r.units()).map(usize::from);
    match ev {
        Event::None => {}
        Event::VmLoad | Event::FlatLoad => {
            s.vm.age();
            s.vm_any = true;
            units().for_each(|u| s.vm.issued(u));
        }
        Event::VmStore | Event::FlatStore => s.vs_any = true,
        Event::Lds => {
            s.lds.age();
            s.lds_any = true;
            units().for_each(|u| s.lds.issued(u));
        }
        Event::Smem | Event::Msg => units().for_each(|u| s.ooo.insert(u)),
    }
    if matches!(
        ev,
        Event::FlatLoad | Event::FlatStore | Event::Smem | Event::Msg
    ) {
        s.ooo_any = true;
        if ev == Event::FlatLoad {
            units().for_each(|u| s.ooo.insert(u));
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
