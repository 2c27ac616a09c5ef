//! Linear scan over one register file. Intervals are taken in order of their start; those
//! whose end has passed give their registers back (an interval ending at `p` still holds
//! its registers at `p`, so an instruction's results never share a register with its
//! operands — safe for early-clobber instructions such as WMMA and `v_mad_u64_u32`).
//! When no aligned block of free registers fits, the interval that ends furthest is
//! spilled: either the new one, or every active interval in the block whose earliest end
//! is furthest away. Pinned intervals are never spilled.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::bits::Bits;

/// One interval to place.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Req {
    pub start: usize,
    pub end: usize,
    pub dwords: u8,
    pub align: u8,
    /// The register it must have (a pinned entry value).
    pub pinned: Option<u8>,
}

/// Where each interval went.
pub(crate) struct Placed {
    /// Per request: its first register, or `None` when spilled.
    pub base: Vec<Option<u16>>,
}

/// Why a file could not be scanned: pinned request `req` overlaps pinned request `other`,
/// or (`other: None`) does not fit in the file.
pub(crate) struct PinConflict {
    pub req: usize,
    pub other: Option<usize>,
}

/// The register file: who holds each register, and what is off limits.
struct File<'a> {
    owner: Vec<Option<usize>>,
    /// Registers with no owner that requests may take now.
    free: Bits,
    /// Reserved for spill code for the whole kernel.
    reserved: &'a [bool],
    /// Per register, the last position a directly named entry register needs it.
    fixed_until: &'a [Option<usize>],
    /// Directly named registers by the position after which they come free.
    unblock: Vec<(usize, usize)>,
    next_unblock: usize,
    /// The start of the request being placed.
    at: usize,
}

impl<'a> File<'a> {
    fn new(reserved: &'a [bool], fixed_until: &'a [Option<usize>]) -> File<'a> {
        let mut free = Bits::default();
        let mut unblock = Vec::new();
        for (r, &res) in reserved.iter().enumerate() {
            match fixed_until.get(r).copied().flatten() {
                Some(end) => unblock.push((end, r)),
                None => free.set(r, !res),
            }
        }
        unblock.sort_unstable();
        File {
            owner: vec![None; reserved.len()],
            free,
            reserved,
            fixed_until,
            unblock,
            next_unblock: 0,
            at: 0,
        }
    }

    fn usable(&self, r: usize, at: usize) -> bool {
        !self.reserved[r]
            && self
                .fixed_until
                .get(r)
                .copied()
                .flatten()
                .is_none_or(|e| e < at)
    }

    /// Moves to position `at`: directly named registers needed no more come free.
    fn advance(&mut self, at: usize) {
        self.at = at;
        while let Some(&(end, r)) = self.unblock.get(self.next_unblock) {
            if end >= at {
                break;
            }
            self.next_unblock += 1;
            let take = self.owner[r].is_none() && self.usable(r, at);
            self.free.set(r, take);
        }
    }

    fn take(&mut self, r: usize, i: usize) {
        self.owner[r] = Some(i);
        self.free.set(r, false);
    }

    fn give_back(&mut self, r: usize) {
        self.owner[r] = None;
        let usable = self.usable(r, self.at);
        self.free.set(r, usable);
    }

    fn free_block(&self, req: &Req) -> Option<usize> {
        let (d, a) = (usize::from(req.dwords), usize::from(req.align.max(1)));
        self.free.find_run(d, a, self.owner.len())
    }
}

/// Places `reqs` into a file of `reserved.len()` registers.
pub(crate) fn scan(
    reqs: &[Req],
    reserved: &[bool],
    fixed_until: &[Option<usize>],
) -> Result<Placed, PinConflict> {
    let mut file = File::new(reserved, fixed_until);
    let mut base: Vec<Option<u16>> = vec![None; reqs.len()];
    let mut order: Vec<usize> = (0..reqs.len()).collect();
    order.sort_by_key(|&i| (reqs[i].start, reqs[i].pinned.is_none(), i));
    let mut active: BinaryHeap<Reverse<(usize, usize)>> = BinaryHeap::new();
    for i in order {
        let req = reqs[i];
        file.advance(req.start);
        while let Some(&Reverse((end, j))) = active.peek() {
            if end >= req.start {
                break;
            }
            active.pop();
            release(&mut file, &mut base, j, reqs);
        }
        let at = match req.pinned {
            Some(p) => Some(place_pinned(&mut file, i, p, reqs)?),
            None => file
                .free_block(&req)
                .or_else(|| evict(&mut file, &mut base, i, reqs)),
        };
        if let Some(b) = at {
            for r in b..b + usize::from(req.dwords) {
                file.take(r, i);
            }
            base[i] = Some(b as u16);
            active.push(Reverse((req.end, i)));
        }
    }
    Ok(Placed { base })
}

fn release(file: &mut File, base: &mut [Option<u16>], j: usize, reqs: &[Req]) {
    if let Some(b) = base[j] {
        for r in usize::from(b)..usize::from(b) + usize::from(reqs[j].dwords) {
            if file.owner[r] == Some(j) {
                file.give_back(r);
            }
        }
    }
}

fn place_pinned(file: &mut File, i: usize, p: u8, reqs: &[Req]) -> Result<usize, PinConflict> {
    let b = usize::from(p);
    for r in b..b + usize::from(reqs[i].dwords) {
        match file.owner.get(r) {
            Some(None) => {}
            Some(Some(j)) => {
                return Err(PinConflict {
                    req: i,
                    other: Some(*j),
                });
            }
            None => {
                return Err(PinConflict {
                    req: i,
                    other: None,
                });
            }
        }
    }
    Ok(b)
}

/// Frees a block for request `i` by spilling the active intervals in it, if the earliest
/// of their ends lies beyond `i`'s own end; else `i` is the one to spill (`None`).
fn evict(file: &mut File, base: &mut [Option<u16>], i: usize, reqs: &[Req]) -> Option<usize> {
    let req = reqs[i];
    let (d, a) = (usize::from(req.dwords), usize::from(req.align.max(1)));
    let mut best: Option<(usize, usize)> = None; // (earliest end in block, block)
    for b in (0..=file.owner.len().checked_sub(d)?).step_by(a) {
        let mut earliest = usize::MAX;
        let mut ok = true;
        for r in b..b + d {
            if !file.usable(r, req.start) {
                ok = false;
                break;
            }
            if let Some(j) = file.owner[r] {
                if reqs[j].pinned.is_some() {
                    ok = false;
                    break;
                }
                earliest = earliest.min(reqs[j].end);
            }
        }
        if ok && best.is_none_or(|(e, _)| earliest > e) {
            best = Some((earliest, b));
        }
    }
    let (earliest, b) = best?;
    if earliest <= req.end {
        return None;
    }
    for r in b..b + d {
        if let Some(j) = file.owner[r] {
            release(file, base, j, reqs);
            base[j] = None;
        }
    }
    Some(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(start: usize, end: usize, dwords: u8, align: u8) -> Req {
        Req {
            start,
            end,
            dwords,
            align,
            pinned: None,
        }
    }

    #[test]
    fn reuses_expired_registers_and_keeps_operands_apart() {
        // b is read at 2 where c is written: they must not share.
        let reqs = [
            req(0, 3, 1, 1),
            req(1, 2, 1, 1),
            req(2, 4, 1, 1),
            req(3, 5, 1, 1),
        ];
        let none = [None; 4];
        let p = scan(&reqs, &[false; 4], &none).ok().unwrap();
        assert_eq!(p.base, vec![Some(0), Some(1), Some(2), Some(1)]);
    }

    #[test]
    fn spills_the_furthest_end() {
        let reqs = [req(0, 10, 1, 1), req(1, 5, 1, 1), req(2, 3, 1, 1)];
        let p = scan(&reqs, &[false; 2], &[None; 2]).ok().unwrap();
        assert_eq!(p.base, vec![None, Some(1), Some(0)]);
    }

    #[test]
    fn aligned_tuples() {
        let reqs = [req(0, 9, 1, 1), req(1, 9, 4, 4), req(2, 9, 2, 2)];
        let p = scan(&reqs, &[false; 8], &[None; 8]).ok().unwrap();
        assert_eq!(p.base, vec![Some(0), Some(4), Some(2)]);
    }
}
