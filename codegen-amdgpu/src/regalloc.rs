//! Register allocation: linear scan over the virtual registers of a [`Mir`], in program
//! order, with live ranges widened over loops (a value live into a loop header stays live
//! to the loop's back branch), tuples and SGPR alignment ([`crate::mir::VRegInfo::align`]),
//! pinned entry registers ([`Mir::pinned`]), and spilling to scratch when a kernel needs more
//! than the budget (256 VGPRs, 104 SGPRs less the reserved ones).
//!
//! Afterwards every instruction holds physical registers, `MInst::Inst::regs` is empty, and
//! [`Allocation`] says what the kernel descriptor needs.

use crate::mir::Mir;

/// What allocation used, for the kernel descriptor and metadata.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Allocation {
    /// Next free VGPR (VGPRs used).
    pub vgprs: u32,
    /// Next free SGPR, not counting VCC.
    pub sgprs: u32,
    /// Whether any instruction reads or writes `vcc_lo`/`vcc_hi`.
    pub uses_vcc: bool,
    /// Scratch bytes per lane for spills (0 when nothing spilled).
    pub scratch_bytes_per_lane: u32,
}

/// Why a kernel could not be allocated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegallocError {
    #[error("register allocation: {0}")]
    Failed(String),
}

/// Allocates `mir` in place.
pub fn allocate(mir: &mut Mir) -> Result<Allocation, RegallocError> {
    let _ = mir;
    Err(RegallocError::Failed("not written yet".into()))
}
