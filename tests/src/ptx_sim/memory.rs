//! Global memory (buffers at distinct, 256-aligned addresses with gaps between them, so
//! that an access just past one buffer is not inside the next) and the bounds checks of
//! every state space.

/// Where generic addresses of the shared window start (what `cvta.shared` adds); far
/// above every global buffer.
pub const SHARED_WINDOW: u64 = 0x7f00_0000_0000;

/// The first global buffer's address.
const FIRST_ADDRESS: u64 = 0x1_0000_0000;

/// One global buffer.
#[derive(Clone, Debug)]
struct Buffer {
    addr: u64,
    bytes: Vec<u8>,
}

/// The device's global memory: a list of buffers, in address order.
#[derive(Clone, Debug, Default)]
pub struct GlobalMemory {
    buffers: Vec<Buffer>,
    /// Per buffer, in the current launch: the PTX line of a `ld.global.nc` read and of a
    /// write (the ISA requires `.nc` data to be read-only for the whole kernel).
    nc_read: Vec<Option<usize>>,
    written: Vec<Option<usize>>,
}

impl GlobalMemory {
    pub fn new() -> GlobalMemory {
        GlobalMemory::default()
    }

    /// Adds a buffer holding `bytes`; returns its address (256-aligned, at least 256
    /// bytes after the previous buffer's end).
    pub fn alloc(&mut self, bytes: Vec<u8>) -> u64 {
        let addr = match self.buffers.last() {
            Some(b) => (b.addr + b.bytes.len() as u64 + 256).div_ceil(256) * 256,
            None => FIRST_ADDRESS,
        };
        self.buffers.push(Buffer { addr, bytes });
        self.nc_read.push(None);
        self.written.push(None);
        addr
    }

    /// Forgets the previous launch's reads and writes.
    pub fn begin_launch(&mut self) {
        self.nc_read.iter_mut().for_each(|r| *r = None);
        self.written.iter_mut().for_each(|w| *w = None);
    }

    /// Records a `ld.global.nc` of the buffer holding `addr`.
    pub fn note_nc_read(&mut self, addr: u64, line: usize) {
        if let Some((i, _)) = self.locate(addr, 1) {
            self.nc_read[i].get_or_insert(line);
        }
    }

    /// Records a write (store or atomic) at `line` to the buffer holding `addr`.
    pub fn note_write(&mut self, addr: u64, line: usize) {
        if let Some((i, _)) = self.locate(addr, 1) {
            self.written[i].get_or_insert(line);
        }
    }

    /// A buffer this launch both read through the non-coherent path and wrote:
    /// (address, line of the `.nc` read, line of the write).
    pub fn nc_conflict(&self) -> Option<(u64, usize, usize)> {
        self.buffers
            .iter()
            .zip(self.nc_read.iter().zip(&self.written))
            .find_map(|(b, (r, w))| Some((b.addr, (*r)?, (*w)?)))
    }

    /// The bytes of the buffer that starts at `addr`.
    pub fn buffer(&self, addr: u64) -> Option<&[u8]> {
        self.buffers
            .iter()
            .find(|b| b.addr == addr)
            .map(|b| b.bytes.as_slice())
    }

    /// The buffer index and offset holding `[addr, addr+len)`, if one buffer holds it all.
    fn locate(&self, addr: u64, len: u64) -> Option<(usize, usize)> {
        let i = self
            .buffers
            .partition_point(|b| b.addr <= addr)
            .checked_sub(1)?;
        let b = &self.buffers[i];
        let off = addr - b.addr;
        (off + len <= b.bytes.len() as u64).then_some((i, off as usize))
    }

    pub fn read(&self, addr: u64, out: &mut [u8]) -> Result<(), String> {
        let (i, off) = self.locate(addr, out.len() as u64).ok_or_else(|| {
            format!(
                "global read of {} bytes at {addr:#x} is outside every buffer",
                out.len()
            )
        })?;
        out.copy_from_slice(&self.buffers[i].bytes[off..off + out.len()]);
        Ok(())
    }

    pub fn write(&mut self, addr: u64, data: &[u8]) -> Result<(), String> {
        let (i, off) = self.locate(addr, data.len() as u64).ok_or_else(|| {
            format!(
                "global write of {} bytes at {addr:#x} is outside every buffer",
                data.len()
            )
        })?;
        self.buffers[i].bytes[off..off + data.len()].copy_from_slice(data);
        Ok(())
    }
}

/// Reads `out.len()` bytes at `addr` of a flat state space (shared or param).
pub fn read_flat(space: &str, mem: &[u8], addr: u64, out: &mut [u8]) -> Result<(), String> {
    let end = addr.saturating_add(out.len() as u64);
    if end > mem.len() as u64 {
        return Err(format!(
            "{space} read of {} bytes at {addr:#x} is outside the {} bytes of {space}",
            out.len(),
            mem.len()
        ));
    }
    out.copy_from_slice(&mem[addr as usize..end as usize]);
    Ok(())
}

pub fn write_flat(space: &str, mem: &mut [u8], addr: u64, data: &[u8]) -> Result<(), String> {
    let end = addr.saturating_add(data.len() as u64);
    if end > mem.len() as u64 {
        return Err(format!(
            "{space} write of {} bytes at {addr:#x} is outside the {} bytes of {space}",
            data.len(),
            mem.len()
        ));
    }
    mem[addr as usize..end as usize].copy_from_slice(data);
    Ok(())
}

/// A CTA's shared memory. It starts with no defined contents (hardware leaves whatever
/// was there), so reading a byte no thread of this CTA wrote is an error.
#[derive(Clone, Debug)]
pub struct SharedMemory {
    bytes: Vec<u8>,
    written: Vec<bool>,
}

impl SharedMemory {
    pub fn new(size: usize) -> SharedMemory {
        SharedMemory {
            bytes: vec![0; size],
            written: vec![false; size],
        }
    }

    /// Size in bytes.
    pub fn size(&self) -> u64 {
        self.bytes.len() as u64
    }

    pub fn read(&self, addr: u64, out: &mut [u8]) -> Result<(), String> {
        read_flat("shared", &self.bytes, addr, out)?;
        let start = addr as usize;
        if let Some(k) = self.written[start..start + out.len()]
            .iter()
            .position(|w| !w)
        {
            return Err(format!(
                "shared read at {addr:#x} of byte {:#x}, which no thread of this CTA has written",
                start + k
            ));
        }
        Ok(())
    }

    pub fn write(&mut self, addr: u64, data: &[u8]) -> Result<(), String> {
        write_flat("shared", &mut self.bytes, addr, data)?;
        let start = addr as usize;
        self.written[start..start + data.len()].fill(true);
        Ok(())
    }
}
