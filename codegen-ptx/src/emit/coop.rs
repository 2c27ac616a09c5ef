//! The per-lane side of the warp-cooperative statements: each fragment's eight `.f32`
//! registers and each tile's shared byte address. The instructions themselves come from
//! the subgroup and matrix lowerings through [`super::sink::PtxSink`].

use super::PtxError;
use super::emitter::Emitter;
use super::matrix;
use super::memory::shared_symbol;
use super::sink::{FragmentRegs, SharedTile};
use egpu_ir::DType;
use egpu_ir::kernel::{FragId, MatrixTile, TileRef};

impl Emitter<'_> {
    fn fragment_regs(&self, f: FragId) -> Result<FragmentRegs, PtxError> {
        if self.kernel.fragment(f).is_none() {
            return Err(self.malformed(format!("{f} does not exist")));
        }
        Ok(FragmentRegs(std::array::from_fn(|k| format!("%f_{f}_{k}"))))
    }

    /// The tile's element (0, 0) as a shared-window address, its row pitch in bytes, and
    /// the array's dtype.
    fn shared_tile(&mut self, t: &TileRef) -> Result<(SharedTile, DType), PtxError> {
        let Some(array) = self.kernel.shared(t.array) else {
            return Err(self.malformed(format!("{} does not exist", t.array)));
        };
        let (dtype, symbol) = (array.dtype, shared_symbol(&array.name));
        let (idx_ty, _) = self.ty(t.offset)?;
        let idx = self.reg(t.offset, 0)?;
        let size = dtype.size_bytes();
        let addr = self.shared_address(&symbol, idx_ty, &idx, size);
        let stride_bytes = t.stride.saturating_mul(size as u32);
        Ok((SharedTile { addr, stride_bytes }, dtype))
    }

    pub(crate) fn matrix_tile_stmt(&mut self, t: &MatrixTile) -> Result<(), PtxError> {
        let (a, input) = self.shared_tile(&t.a)?;
        let (b, _) = self.shared_tile(&t.b)?;
        let (d, _) = self.shared_tile(&t.d)?;
        matrix::matrix_tile(self, &a, &b, &d, input);
        Ok(())
    }

    pub(crate) fn fragment_zero_stmt(&mut self, f: FragId) -> Result<(), PtxError> {
        let regs = self.fragment_regs(f)?;
        matrix::fragment_zero(self, &regs);
        Ok(())
    }

    pub(crate) fn fragment_mma_stmt(
        &mut self,
        f: FragId,
        a: &TileRef,
        b: &TileRef,
    ) -> Result<(), PtxError> {
        let regs = self.fragment_regs(f)?;
        let (a, input) = self.shared_tile(a)?;
        let (b, _) = self.shared_tile(b)?;
        matrix::fragment_mma(self, &regs, &a, &b, input);
        Ok(())
    }

    pub(crate) fn fragment_store_stmt(&mut self, f: FragId, d: &TileRef) -> Result<(), PtxError> {
        let regs = self.fragment_regs(f)?;
        let (d, _) = self.shared_tile(d)?;
        matrix::fragment_store(self, &regs, &d);
        Ok(())
    }
}
