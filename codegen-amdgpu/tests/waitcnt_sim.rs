//! `s_waitcnt` insertion checked by simulation: random structured programs of loads,
//! stores, uses, barriers, branches and loops go through `waitcnt::insert`, then run on a
//! model of the gfx11 counters (independent of the pass: it knows each generated
//! instruction's registers from the generator, and memory operations complete at random
//! moments within the ISA's ordering rules — VMEM loads in order, stores in order, LDS
//! operations in order, scalar loads in any order, each counter counting its outstanding
//! operations). Every register an instruction touches must have no load still in flight
//! to it, and `s_barrier` must find LDS operations and stores complete.

use egpu_codegen_amdgpu::isa::sopp::waitcnt_fields;
use egpu_codegen_amdgpu::isa::{Inst, Op, parse};
use egpu_codegen_amdgpu::mir::{Label, MInst};
use egpu_codegen_amdgpu::waitcnt;

/// xorshift64*: deterministic, no dependencies.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Alu,
    VmLoad,
    VmStore,
    Lds,
    Smem,
    Barrier,
}

/// What the generator knows about one instruction: registers as (file, number).
#[derive(Clone, Debug)]
struct Meta {
    kind: Kind,
    reads: Vec<(char, u8)>,
    writes: Vec<(char, u8)>,
}

struct Gen {
    rng: Rng,
    insts: Vec<MInst>,
    meta: Vec<Meta>,
    labels: u32,
}

impl Gen {
    fn push(&mut self, text: &str, kind: Kind, reads: Vec<(char, u8)>, writes: Vec<(char, u8)>) {
        let inst = parse(text).unwrap_or_else(|e| panic!("`{text}`: {e}"));
        self.insts.push(MInst::Inst {
            inst,
            regs: Vec::new(),
            line: self.meta.len() as u32,
        });
        self.meta.push(Meta {
            kind,
            reads,
            writes,
        });
    }

    /// v2-v9 and s2-s7 carry data; v[0:1], s[0:1] are addresses nothing writes.
    fn v(&mut self) -> u8 {
        2 + self.rng.below(8) as u8
    }
    fn s(&mut self) -> u8 {
        2 + self.rng.below(6) as u8
    }

    fn one(&mut self) {
        let (d, a, b) = (self.v(), self.v(), self.v());
        let sd = self.s();
        match self.rng.below(11) {
            0 | 1 => self.push(
                &format!("global_load_b32 v{d}, v[0:1], off"),
                Kind::VmLoad,
                vec![('v', 0), ('v', 1)],
                vec![('v', d)],
            ),
            2 => self.push(
                &format!("scratch_load_b32 v{d}, off, s0"),
                Kind::VmLoad,
                vec![('s', 0)],
                vec![('v', d)],
            ),
            3 => self.push(
                &format!("ds_load_b32 v{d}, v0"),
                Kind::Lds,
                vec![('v', 0)],
                vec![('v', d)],
            ),
            4 => self.push(
                &format!("ds_store_b32 v0, v{a}"),
                Kind::Lds,
                vec![('v', 0), ('v', a)],
                vec![],
            ),
            5 => self.push(
                &format!("global_store_b32 v[0:1], v{a}, off"),
                Kind::VmStore,
                vec![('v', 0), ('v', 1), ('v', a)],
                vec![],
            ),
            6 => self.push(
                &format!("s_load_b32 s{sd}, s[0:1], 0x0"),
                Kind::Smem,
                vec![('s', 0), ('s', 1)],
                vec![('s', sd)],
            ),
            7 => {
                let (sa, sb) = (self.s(), self.s());
                self.push(
                    &format!("s_add_u32 s{sd}, s{sa}, s{sb}"),
                    Kind::Alu,
                    vec![('s', sa), ('s', sb)],
                    vec![('s', sd)],
                )
            }
            8 => self.push("s_barrier", Kind::Barrier, vec![], vec![]),
            _ => self.push(
                &format!("v_add_f32_e32 v{d}, v{a}, v{b}"),
                Kind::Alu,
                vec![('v', a), ('v', b)],
                vec![('v', d)],
            ),
        }
    }

    fn branch(&mut self, name: &str, l: u32) {
        self.insts.push(MInst::Branch {
            op: Op::by_name(name).unwrap(),
            target: Label(l),
            line: 0,
        });
    }

    /// A block of `n` items; nested ifs and loops while `depth` allows.
    fn block(&mut self, n: u32, depth: u32) {
        for _ in 0..n {
            match self.rng.below(10) {
                0 if depth > 0 => {
                    let l = self.labels;
                    self.labels += 1;
                    self.branch("s_cbranch_execz", l);
                    let k = 1 + self.rng.below(5) as u32;
                    self.block(k, depth - 1);
                    self.insts.push(MInst::Label(Label(l)));
                }
                1 if depth > 0 => {
                    let l = self.labels;
                    self.labels += 1;
                    self.insts.push(MInst::Label(Label(l)));
                    let k = 1 + self.rng.below(6) as u32;
                    self.block(k, depth - 1);
                    self.branch("s_cbranch_scc1", l);
                }
                _ => self.one(),
            }
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Counter {
    Vm,
    Vs,
    Lds,
    Smem,
}

struct Event {
    counter: Counter,
    writes: Vec<(char, u8)>,
}

/// The counters: outstanding operations in issue order.
#[derive(Default)]
struct Machine {
    pending: Vec<Event>,
}

impl Machine {
    fn count(&self, f: impl Fn(Counter) -> bool) -> usize {
        self.pending.iter().filter(|e| f(e.counter)).count()
    }

    /// Whether event `i` may complete now: in-order kinds only when no older one of the
    /// same kind is outstanding.
    fn may_complete(&self, i: usize) -> bool {
        let c = self.pending[i].counter;
        c == Counter::Smem || !self.pending[..i].iter().any(|e| e.counter == c)
    }

    fn complete_random(&mut self, rng: &mut Rng, among: impl Fn(Counter) -> bool) -> bool {
        let ok: Vec<usize> = (0..self.pending.len())
            .filter(|&i| among(self.pending[i].counter) && self.may_complete(i))
            .collect();
        if ok.is_empty() {
            return false;
        }
        let i = ok[rng.below(ok.len() as u64) as usize];
        self.pending.remove(i);
        true
    }

    /// Completes operations (in an allowed random order) until `counted` ones number
    /// at most `n`.
    fn wait(&mut self, rng: &mut Rng, n: usize, counted: impl Fn(Counter) -> bool + Copy) {
        while self.count(counted) > n {
            assert!(self.complete_random(rng, counted), "wait cannot finish");
        }
    }

    fn in_flight(&self, r: (char, u8)) -> Option<Counter> {
        self.pending
            .iter()
            .find(|e| e.writes.contains(&r))
            .map(|e| e.counter)
    }
}

fn lgkm(c: Counter) -> bool {
    matches!(c, Counter::Lds | Counter::Smem)
}

/// Runs the program once along random branch decisions; panics on a violation.
fn simulate(insts: &[MInst], meta: &[Meta], rng: &mut Rng, listing: &str) {
    let mut labels = std::collections::HashMap::new();
    for (i, m) in insts.iter().enumerate() {
        if let MInst::Label(l) = m {
            labels.insert(*l, i);
        }
    }
    let mut m = Machine::default();
    let mut loop_trips = std::collections::HashMap::new();
    let mut pc = 0;
    let mut steps = 0;
    while pc < insts.len() && steps < 5000 {
        steps += 1;
        if rng.chance(30) {
            m.complete_random(rng, |_| true);
        }
        match &insts[pc] {
            MInst::Label(_) => {}
            MInst::Branch { target, .. } => {
                let to = labels[target];
                let take = if to < pc {
                    let trips = loop_trips.entry(pc).or_insert(0);
                    *trips += 1;
                    let again = *trips <= 3 && rng.chance(70);
                    if !again {
                        *trips = 0;
                    }
                    again
                } else {
                    rng.chance(50)
                };
                if take {
                    pc = to;
                    continue;
                }
            }
            MInst::Inst { inst, line, .. } => {
                if let Inst::Sopp { op, imm } = *inst
                    && op.name() == "s_waitcnt"
                {
                    let (vm, _, lg) = waitcnt_fields(imm);
                    m.wait(rng, usize::from(vm), |c| c == Counter::Vm);
                    m.wait(rng, usize::from(lg), lgkm);
                } else if let Inst::Sopk { op, imm, .. } = *inst
                    && op.name() == "s_waitcnt_vscnt"
                {
                    m.wait(rng, usize::from(imm), |c| c == Counter::Vs);
                } else if inst.op().name() == "s_endpgm" {
                    return;
                } else {
                    execute(&mut m, &meta[*line as usize], pc, listing);
                }
            }
        }
        pc += 1;
    }
}

fn execute(m: &mut Machine, meta: &Meta, pc: usize, listing: &str) {
    for r in &meta.reads {
        assert!(
            m.in_flight(*r).is_none(),
            "instruction {pc} reads {r:?} while a load to it is in flight\n{listing}"
        );
    }
    for r in &meta.writes {
        let f = m.in_flight(*r);
        // A newer VMEM load to the same register lands after the older one.
        let in_order = meta.kind == Kind::VmLoad && f == Some(Counter::Vm);
        assert!(
            f.is_none() || in_order,
            "instruction {pc} overwrites {r:?} while a load to it is in flight\n{listing}"
        );
    }
    if meta.kind == Kind::Barrier {
        assert!(
            m.count(|c| c != Counter::Smem) == 0,
            "instruction {pc}: barrier with LDS operations or stores outstanding\n{listing}"
        );
    }
    let counter = match meta.kind {
        Kind::VmLoad => Counter::Vm,
        Kind::VmStore => Counter::Vs,
        Kind::Lds => Counter::Lds,
        Kind::Smem => Counter::Smem,
        Kind::Alu | Kind::Barrier => return,
    };
    m.pending.push(Event {
        counter,
        writes: meta.writes.clone(),
    });
}

fn listing(insts: &[MInst]) -> String {
    egpu_codegen_amdgpu::assemble::print(insts, false)
}

#[test]
fn random_programs_never_touch_a_register_with_a_load_in_flight() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for _ in 0..300 {
        let mut g = Gen {
            rng: Rng(rng.next() | 1),
            insts: Vec::new(),
            meta: Vec::new(),
            labels: 0,
        };
        let n = 5 + g.rng.below(30) as u32;
        g.block(n, 3);
        g.push("s_endpgm", Kind::Alu, vec![], vec![]);
        let mut insts = g.insts.clone();
        waitcnt::insert(&mut insts);
        let text = listing(&insts);
        for _ in 0..10 {
            simulate(&insts, &g.meta, &mut rng, &text);
        }
    }
}

#[test]
fn the_waits_are_not_all_zero() {
    // Guards the simulation against a pass that waits for everything everywhere: two
    // loads then a use of the older needs only vmcnt(1).
    let mut insts = Vec::new();
    for t in [
        "global_load_b32 v2, v[0:1], off",
        "global_load_b32 v3, v[0:1], off",
        "v_add_f32_e32 v4, v2, v2",
        "s_endpgm",
    ] {
        insts.push(MInst::Inst {
            inst: parse(t).unwrap(),
            regs: Vec::new(),
            line: 0,
        });
    }
    waitcnt::insert(&mut insts);
    assert!(listing(&insts).contains("s_waitcnt vmcnt(1)\n"));
}
