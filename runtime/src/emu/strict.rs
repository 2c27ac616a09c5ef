//! The emulator's strict checks, kept apart from what instructions compute:
//! outstanding loads (a register a load writes may be read only after the `s_waitcnt`
//! that covers the load), the GFX11 TRANS-use and WMMA hazards (reference/rdna3.md
//! "GFX11 rules"), and LDS races between the waves of a workgroup.

use std::collections::VecDeque;

/// Registers one outstanding memory operation will write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Regs {
    /// No registers (an LDS store, tracked so `s_barrier` can see it is not done).
    None,
    Sgpr(u8, u8),
    Vgpr(u8, u8),
}

#[derive(Clone, Copy, Debug)]
pub struct Pending {
    pub regs: Regs,
    pub pc: u32,
    pub smem: bool,
}

/// Outstanding loads of one wave, by counter, oldest first.
#[derive(Clone, Debug)]
pub struct Counters {
    pub vm: VecDeque<Pending>,
    pub lgkm: VecDeque<Pending>,
    /// Per VGPR: the pc+1 of a load still writing it (0: none).
    vbusy: Vec<u32>,
    /// Per SGPR: likewise.
    sbusy: [u32; 128],
}

impl Counters {
    pub fn new(vgprs: usize) -> Counters {
        Counters {
            vm: VecDeque::new(),
            lgkm: VecDeque::new(),
            vbusy: vec![0; vgprs],
            sbusy: [0; 128],
        }
    }

    pub fn issue_vm(&mut self, regs: Regs, pc: u32) {
        self.mark(regs, pc + 1);
        self.vm.push_back(Pending {
            regs,
            pc,
            smem: false,
        });
    }

    pub fn issue_lgkm(&mut self, regs: Regs, pc: u32, smem: bool) {
        self.mark(regs, pc + 1);
        self.lgkm.push_back(Pending { regs, pc, smem });
    }

    fn mark(&mut self, regs: Regs, v: u32) {
        match regs {
            Regs::None => {}
            Regs::Sgpr(r, n) => {
                for k in r..r.saturating_add(n) {
                    if let Some(b) = self.sbusy.get_mut(usize::from(k)) {
                        *b = v;
                    }
                }
            }
            Regs::Vgpr(r, n) => {
                for k in usize::from(r)..usize::from(r) + usize::from(n) {
                    if let Some(b) = self.vbusy.get_mut(k) {
                        *b = v;
                    }
                }
            }
        }
    }

    /// The pc of the load still writing VGPR `r`, if any.
    #[inline]
    pub fn vgpr_busy(&self, r: usize) -> Option<u32> {
        match self.vbusy.get(r) {
            Some(&v) if v != 0 => Some(v - 1),
            _ => None,
        }
    }

    #[inline]
    pub fn sgpr_busy(&self, r: usize) -> Option<u32> {
        match self.sbusy.get(r) {
            Some(&v) if v != 0 => Some(v - 1),
            _ => None,
        }
    }

    /// Whether every outstanding load into VGPR `r` is a vector memory load (`vm`) or an
    /// LDS load (`!vm`): loads of one kind return in order, so another load of that kind
    /// may target the register meanwhile.
    pub fn vgpr_pending_only_in(&self, r: usize, vm: bool) -> bool {
        let covers = |p: &Pending| matches!(p.regs, Regs::Vgpr(s, n) if (usize::from(s)..usize::from(s) + usize::from(n)).contains(&r));
        let (same, other) = if vm {
            (&self.vm, &self.lgkm)
        } else {
            (&self.lgkm, &self.vm)
        };
        !other.iter().any(covers) && same.iter().filter(|p| covers(p)).all(|p| !p.smem)
    }

    /// `s_waitcnt` with these counts. VMEM loads return in order. LDS results return in
    /// order, scalar loads in any order: while a scalar load is outstanding only
    /// `lgkmcnt(0)` guarantees anything.
    pub fn wait(&mut self, vm: usize, lgkm: usize) {
        let mut retired = false;
        while self.vm.len() > vm {
            if let Some(p) = self.vm.pop_front() {
                self.mark(p.regs, 0);
            }
            retired = true;
        }
        let smem = self.lgkm.iter().any(|p| p.smem);
        if !smem || lgkm == 0 {
            while self.lgkm.len() > lgkm {
                if let Some(p) = self.lgkm.pop_front() {
                    self.mark(p.regs, 0);
                }
                retired = true;
            }
        }
        if retired {
            self.remark();
        }
    }

    /// After retiring loads (whose registers were cleared): marks the registers of the
    /// loads still outstanding again, in issue order per counter, so a register two
    /// loads write shows the same pc as if every mark were redone. Only the retired
    /// loads' registers and the few outstanding ones are touched, not every register.
    fn remark(&mut self) {
        for i in 0..self.vm.len() {
            let p = self.vm[i];
            self.mark(p.regs, p.pc + 1);
        }
        for i in 0..self.lgkm.len() {
            let p = self.lgkm[i];
            self.mark(p.regs, p.pc + 1);
        }
    }

    /// An LDS store not yet waited for, if any (`s_barrier` needs every one done).
    pub fn lds_store_pending(&self) -> Option<u32> {
        self.lgkm
            .iter()
            .find(|p| p.regs == Regs::None && !p.smem)
            .map(|p| p.pc)
    }
}

/// VALU instructions after a TRANS write before a VALU may read its result without
/// `s_waitcnt_depctr`, and TRANS instructions that clear it likewise.
const TRANS_VALU_WINDOW: u64 = 5;
const TRANS_TRANS_WINDOW: u64 = 1;

/// The TRANS-use and WMMA hazard state of one wave.
#[derive(Clone, Debug, Default)]
pub struct Hazards {
    /// VALU and TRANS instructions issued so far.
    pub valu: u64,
    pub trans: u64,
    /// Per VGPR: (valu count, trans count) after the TRANS op that last wrote it, and
    /// its pc; `None` once out of the window or after a depctr wait.
    trans_writes: Vec<Option<(u64, u64, u32)>>,
    /// Registers the last WMMA wrote, while no VALU has issued after it.
    pub wmma_d: Option<(u8, u8, u32)>,
    /// `valu` after the last TRANS op: once the window since it has passed, no register
    /// can be in any TRANS window, so `trans_use` answers without a lookup.
    last_trans_valu: u64,
}

impl Hazards {
    pub fn new(vgprs: usize) -> Hazards {
        Hazards {
            trans_writes: vec![None; vgprs],
            ..Hazards::default()
        }
    }

    /// A VALU reading VGPR `r` now: the pc of the TRANS write it must not yet see.
    #[inline]
    pub fn trans_use(&self, r: usize) -> Option<u32> {
        if self.valu - self.last_trans_valu >= TRANS_VALU_WINDOW {
            return None;
        }
        let (valu, trans, pc) = (*self.trans_writes.get(r)?)?;
        let close = self.valu - valu < TRANS_VALU_WINDOW && self.trans - trans < TRANS_TRANS_WINDOW;
        close.then_some(pc)
    }

    /// After a VALU op issued (`trans`: on the TRANS unit) writing `dst` VGPRs.
    pub fn issued(&mut self, trans: bool, dst: Option<(usize, usize)>, pc: u32) {
        self.valu += 1;
        if trans {
            self.trans += 1;
            self.last_trans_valu = self.valu;
            if let Some((r, n)) = dst {
                for k in r..r + n {
                    if let Some(w) = self.trans_writes.get_mut(k) {
                        *w = Some((self.valu, self.trans, pc));
                    }
                }
            }
        }
    }

    /// `s_waitcnt_depctr` with va_vdst = 0: every VALU result is written.
    pub fn depctr(&mut self) {
        self.trans_writes.iter_mut().for_each(|w| *w = None);
    }
}

/// Per-dword LDS access history within the current barrier epoch of a workgroup.
#[derive(Clone, Copy, Debug, Default)]
struct Cell {
    /// Epoch + 1 of the last write (0: none) and the writing wave.
    write_epoch: u32,
    writer: u16,
    /// Epoch + 1 of the reads recorded, the reading wave, and whether several waves read.
    read_epoch: u32,
    reader: u16,
    readers: bool,
}

/// LDS race detection: two waves touching the same dword in one epoch (between two
/// `s_barrier`s), at least one of them writing, is a race. Atomics are not races.
#[derive(Clone, Debug)]
pub struct LdsRaces {
    cells: Vec<Cell>,
    pub epoch: u32,
    /// Waves in the current workgroup: with one, no access can race, so none is recorded.
    pub waves: usize,
}

/// A race found: the other wave and whether it wrote.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Race {
    pub other: u16,
    pub other_wrote: bool,
}

impl LdsRaces {
    pub fn new(lds_bytes: usize) -> LdsRaces {
        LdsRaces {
            cells: vec![Cell::default(); lds_bytes.div_ceil(4)],
            epoch: 0,
            waves: usize::MAX,
        }
    }

    /// Forgets every access, for the next workgroup. Epochs only grow, so this starts a
    /// new one that no recorded access belongs to instead of clearing every cell (a
    /// memset of 4 times the LDS size per workgroup); the cells are cleared only when
    /// the counter would wrap.
    pub fn reset(&mut self) {
        if self.epoch >= u32::MAX - 2 {
            self.cells.iter_mut().for_each(|c| *c = Cell::default());
            self.epoch = 0;
        } else {
            self.epoch += 1;
        }
    }

    /// A new epoch within the workgroup: every wave passed an `s_barrier`.
    pub fn barrier(&mut self) {
        self.reset();
    }

    /// Records an access of `[addr, addr + len)` by `wave`.
    #[inline]
    pub fn access(&mut self, wave: u16, addr: usize, len: usize, write: bool) -> Option<Race> {
        if self.waves <= 1 {
            return None;
        }
        let e = self.epoch + 1;
        if addr % 4 + len <= 4 {
            // An access within one dword (the common case): one cell, no range to walk.
            return self.cells.get_mut(addr / 4)?.touch(wave, e, write);
        }
        let end = (addr + len).div_ceil(4).min(self.cells.len());
        for c in &mut self.cells[addr / 4..end] {
            if let Some(race) = c.touch(wave, e, write) {
                return Some(race);
            }
        }
        None
    }
}

/// The cells one instruction's lanes have already checked. Touching a cell again with
/// the same wave, epoch and kind (read or write) changes nothing and cannot race, so a
/// repeat (a broadcast read, or lanes sharing addresses) needs no check. Direct-mapped by
/// cell index: a collision only costs a check.
#[derive(Clone, Copy, Debug)]
pub struct Repeats([usize; 32]);

impl Default for Repeats {
    fn default() -> Repeats {
        Repeats([usize::MAX; 32])
    }
}

impl Repeats {
    /// Whether `cell` was checked already by this instruction; records it.
    #[inline(always)]
    fn seen(&mut self, cell: usize) -> bool {
        let slot = &mut self.0[cell % 32];
        let seen = *slot == cell;
        *slot = cell;
        seen
    }
}

impl LdsRaces {
    /// [`LdsRaces::access`] by one lane of an instruction whose lanes share `repeats`
    /// (every lane the same wave and kind): an access within one dword already checked
    /// for an earlier lane is skipped.
    #[inline(always)]
    pub fn access_lane(
        &mut self,
        repeats: &mut Repeats,
        wave: u16,
        addr: usize,
        len: usize,
        write: bool,
    ) -> Option<Race> {
        if self.waves <= 1 || (addr % 4 + len <= 4 && repeats.seen(addr / 4)) {
            return None;
        }
        self.access(wave, addr, len, write)
    }
}

impl Cell {
    /// One access of this dword by `wave` in epoch `e` (+1).
    #[inline(always)]
    fn touch(&mut self, wave: u16, e: u32, write: bool) -> Option<Race> {
        if self.write_epoch == e && self.writer != wave {
            return Some(Race {
                other: self.writer,
                other_wrote: true,
            });
        }
        if write && self.read_epoch == e && (self.readers || self.reader != wave) {
            let other = if self.reader != wave {
                self.reader
            } else {
                u16::MAX
            };
            return Some(Race {
                other,
                other_wrote: false,
            });
        }
        if write {
            self.write_epoch = e;
            self.writer = wave;
        } else if self.read_epoch != e {
            self.read_epoch = e;
            self.reader = wave;
            self.readers = false;
        } else if self.reader != wave {
            self.readers = true;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loads_retire_by_counter() {
        let mut c = Counters::new(8);
        c.issue_vm(Regs::Vgpr(1, 2), 0x10);
        c.issue_vm(Regs::Vgpr(4, 1), 0x20);
        assert_eq!(c.vgpr_busy(2), Some(0x10));
        c.wait(1, 63);
        assert_eq!(c.vgpr_busy(2), None);
        assert_eq!(c.vgpr_busy(4), Some(0x20));
        c.issue_lgkm(Regs::Sgpr(4, 2), 0x30, true);
        c.issue_lgkm(Regs::Vgpr(6, 1), 0x40, false);
        // A scalar load is outstanding: lgkmcnt(1) says nothing about which returned.
        c.wait(63, 1);
        assert_eq!(c.sgpr_busy(5), Some(0x30));
        assert_eq!(c.vgpr_busy(6), Some(0x40));
        c.wait(63, 0);
        assert_eq!(c.sgpr_busy(5), None);
    }

    #[test]
    fn lds_races_need_two_waves_and_a_write_in_one_epoch() {
        let mut r = LdsRaces::new(64);
        assert_eq!(r.access(0, 0, 4, true), None);
        assert_eq!(r.access(0, 0, 4, false), None);
        assert_eq!(r.access(1, 4, 4, false), None);
        let race = r.access(1, 0, 4, false);
        assert_eq!(
            race,
            Some(Race {
                other: 0,
                other_wrote: true
            })
        );
        r.epoch += 1;
        assert_eq!(r.access(1, 0, 4, true), None);
        assert_eq!(r.access(2, 8, 4, false), None);
        assert!(r.access(3, 8, 4, true).is_some());
    }

    #[test]
    fn a_new_workgroup_or_barrier_forgets_accesses_and_one_wave_never_races() {
        let mut r = LdsRaces::new(64);
        assert_eq!(r.access(0, 6, 2, true), None);
        assert!(
            r.access(1, 4, 4, false).is_some(),
            "bytes 6..8 lie in dword 1"
        );
        r.reset();
        assert_eq!(r.access(1, 4, 4, false), None);
        assert!(r.access(0, 7, 1, true).is_some());
        r.barrier();
        assert_eq!(r.access(0, 4, 4, true), None);
        // The wrap-around clears the cells rather than reusing epoch numbers.
        r.epoch = u32::MAX - 2;
        r.reset();
        assert_eq!(r.epoch, 0);
        assert_eq!(r.access(1, 4, 4, true), None);
        r.waves = 1;
        assert_eq!(r.access(0, 4, 4, true), None);
    }

    /// Skipping repeated cells within an instruction gives the same first race per
    /// instruction and the same later outcomes as checking every lane.
    #[test]
    fn skipping_repeats_within_an_instruction_changes_no_outcome() {
        let (mut every, mut skip) = (LdsRaces::new(64), LdsRaces::new(64));
        let mut s = 0x1234_5678u32;
        let mut next = |n: u32| {
            s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (s >> 8) % n
        };
        for n in 0..3000 {
            if next(50) == 0 {
                every.barrier();
                skip.barrier();
            }
            let (wave, write) = (next(3) as u16, next(4) == 0);
            let len = [1, 2, 4, 8][next(4) as usize];
            let addrs: Vec<usize> = (0..32)
                .map(|_| (next(15) * 4 + next(2) * 2) as usize)
                .collect();
            let first = |r: &mut LdsRaces, reps: Option<&mut Repeats>| {
                let mut reps = reps;
                for (l, &a) in addrs.iter().enumerate() {
                    let race = match reps.as_deref_mut() {
                        Some(rp) => r.access_lane(rp, wave, a, len, write),
                        None => r.access(wave, a, len, write),
                    };
                    if let Some(race) = race {
                        return Some((l, race));
                    }
                }
                None
            };
            let want = first(&mut every, None);
            let got = first(&mut skip, Some(&mut Repeats::default()));
            assert_eq!(got, want, "instruction {n}");
        }
    }
}
