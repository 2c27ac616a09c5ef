//! The emulator's memory: a flat 64-bit global address space of allocations (device
//! buffers and each launch's kernarg segment), each at its own address with an unmapped
//! gap around it, so an access that strays past a buffer's end is caught rather than
//! landing in a neighbour; and the LDS of the running workgroup.

use std::cell::Cell;

/// Where the first allocation starts (a canonical 48-bit GPU-like address).
const FIRST_BASE: u64 = 0x1000_0000_0000;
/// Unmapped bytes after each allocation (and the alignment of each base).
const GAP: u64 = 1 << 20;

#[derive(Clone, Debug, Default)]
pub struct Memory {
    /// Live allocations by base address, ascending (bases only grow).
    allocs: Vec<(u64, Vec<u8>)>,
    next: u64,
    /// The allocation the last access hit: accesses come in runs on one buffer.
    last: Cell<usize>,
}

/// An access outside every live allocation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Unmapped {
    pub addr: u64,
    pub len: usize,
}

impl Memory {
    /// A new allocation of `bytes` zero bytes; returns its base address.
    pub fn alloc(&mut self, bytes: usize) -> u64 {
        let base = if self.next == 0 {
            FIRST_BASE
        } else {
            self.next
        };
        let end = base + bytes as u64;
        self.next = (end + GAP).div_ceil(GAP) * GAP;
        self.allocs.push((base, vec![0; bytes]));
        base
    }

    fn find(&self, base: u64) -> Option<usize> {
        self.allocs.binary_search_by_key(&base, |(b, _)| *b).ok()
    }

    pub fn free(&mut self, base: u64) -> Option<Vec<u8>> {
        let i = self.find(base)?;
        self.last.set(0);
        Some(self.allocs.remove(i).1)
    }

    pub fn bytes(&self, base: u64) -> Option<&Vec<u8>> {
        self.find(base).map(|i| &self.allocs[i].1)
    }

    pub fn bytes_mut(&mut self, base: u64) -> Option<&mut Vec<u8>> {
        self.find(base).map(|i| &mut self.allocs[i].1)
    }

    /// The allocation holding `[addr, addr + len)` and the offset of `addr` in it.
    #[inline]
    fn locate(&self, addr: u64, len: usize) -> Result<(usize, usize), Unmapped> {
        let fits = |i: usize| {
            let (base, data) = self.allocs.get(i)?;
            let off = addr.checked_sub(*base)?;
            let end = off.checked_add(len as u64)?;
            (end <= data.len() as u64).then_some((i, off as usize))
        };
        if let Some(hit) = fits(self.last.get()) {
            return Ok(hit);
        }
        let i = self.allocs.partition_point(|(b, _)| *b <= addr);
        let hit = i
            .checked_sub(1)
            .and_then(fits)
            .ok_or(Unmapped { addr, len })?;
        self.last.set(hit.0);
        Ok(hit)
    }

    /// The allocation holding all of `[lo, end)`, as its base and bytes: a wave's
    /// lanes usually access one buffer, so one lookup serves the whole instruction.
    #[inline]
    pub fn span_mut(&mut self, lo: u64, end: u64) -> Option<(u64, &mut [u8])> {
        let len = usize::try_from(end.checked_sub(lo)?).ok()?;
        let (i, _) = self.locate(lo, len).ok()?;
        let (base, data) = &mut self.allocs[i];
        Some((*base, data.as_mut_slice()))
    }

    pub fn read(&self, addr: u64, out: &mut [u8]) -> Result<(), Unmapped> {
        let (i, off) = self.locate(addr, out.len())?;
        out.copy_from_slice(&self.allocs[i].1[off..off + out.len()]);
        Ok(())
    }

    pub fn write(&mut self, addr: u64, data: &[u8]) -> Result<(), Unmapped> {
        let (i, off) = self.locate(addr, data.len())?;
        self.allocs[i].1[off..off + data.len()].copy_from_slice(data);
        Ok(())
    }

    pub fn read_u32(&self, addr: u64) -> Result<u32, Unmapped> {
        let mut b = [0u8; 4];
        self.read(addr, &mut b)?;
        Ok(u32::from_le_bytes(b))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allocations_are_apart_and_bounds_are_exact() {
        let mut m = Memory::default();
        let a = m.alloc(16);
        let b = m.alloc(16);
        assert!(b >= a + 16 + GAP, "{a:#x} {b:#x}");
        m.write(a + 12, &[1, 2, 3, 4]).unwrap();
        assert_eq!(m.read_u32(a + 12), Ok(0x0403_0201));
        assert_eq!(
            m.read_u32(a + 13),
            Err(Unmapped {
                addr: a + 13,
                len: 4
            })
        );
        assert!(m.read_u32(a - 4).is_err());
        assert!(m.read_u32(a + 16).is_err());
        m.free(a);
        assert!(m.read_u32(a).is_err());
    }
}
