//! Memory access: the memory exists and allows the access, masks, stores, and the static
//! rules of accesses at constant indices.

use super::{Rule, Site, Verifier};
use crate::kernel::types::{Atomic, AtomicOp, Memory, Param, Store, ValueId, ValueType};
use crate::{DType, Scalar};

impl Verifier<'_> {
    /// The dtype and length of `memory`, checking that it exists and allows the access.
    pub(super) fn memory(
        &mut self,
        what: Site,
        memory: Memory,
        write: bool,
    ) -> Option<(DType, usize)> {
        match self.kernel.access(memory, write) {
            Ok((dtype, len, _)) => Some((dtype, len)),
            Err(m) => {
                self.fail(Rule::Access, what, m);
                None
            }
        }
    }

    /// A mask is bool, of width 1 (the whole access) or of the access's width.
    pub(super) fn mask(&mut self, what: Site, mask: Option<ValueId>, width: u32) -> Option<()> {
        let Some(mask) = mask else { return Some(()) };
        let ty = self.kernel.values.get(mask)?.ty;
        if ty.dtype != DType::Bool || (ty.width != 1 && ty.width != width) {
            let m = format!(
                "the mask {mask} is {ty}; it must be bool or a bool vector of width {width}"
            );
            self.fail(Rule::Mask, what, m);
            return None;
        }
        Some(())
    }

    /// Static rules of an unmasked access at a constant index that surely runs (see
    /// [`Verifier::sure`]): a multiple of the width, and inside the memory.
    pub(super) fn static_access(
        &mut self,
        what: Site,
        memory: Memory,
        index: ValueId,
        width: u32,
        mask: Option<ValueId>,
    ) {
        if !self.all_rules || !self.sure || mask.is_some() {
            return;
        }
        let Some(Scalar::Int(i)) = self.kernel.constant(index) else {
            return;
        };
        let Some((_, len)) = self.memory_len(memory) else {
            return;
        };
        let width = i128::from(width);
        if i.rem_euclid(width) != 0 {
            let m = format!("the constant index {i} is not a multiple of the width {width}");
            self.fail(Rule::Alignment, what, m);
        } else if i < 0 || i + width > len as i128 {
            let m = format!("elements {i}..{} are outside the {len} elements", i + width);
            self.fail(Rule::Bounds, what, m);
        }
    }

    fn memory_len(&self, memory: Memory) -> Option<(DType, usize)> {
        match memory {
            Memory::Global(p) => match self.kernel.params.get(p)? {
                Param::Buffer { dtype, len, .. } => Some((*dtype, *len)),
                Param::Scalar { .. } => None,
            },
            Memory::Shared(s) => self.kernel.shared.get(s).map(|a| (a.dtype, a.len)),
        }
    }

    pub(super) fn store(&mut self, s: &Store) {
        let what = Site::Store(s.target, s.index);
        let memory = self.memory(what, s.target, true);
        let index = self.index_operand(what, "index", s.index);
        let value = self.operand(what, s.value);
        let mask_in_scope = s.mask.is_none_or(|m| self.operand(what, m).is_some());
        let (Some((dtype, _)), Some(_), Some(ty), true) = (memory, index, value, mask_in_scope)
        else {
            return;
        };
        if ty.dtype != dtype {
            // Named only for the message (a name per store would cost every store).
            let name = self.kernel.memory(s.target).map_or("?", |(n, _)| n);
            let m = format!("the value {} is {ty}; {name} holds {dtype}", s.value);
            self.fail(Rule::Type, what, m);
            return;
        }
        if self.mask(what, s.mask, ty.width).is_some() {
            self.static_access(what, s.target, s.index, ty.width, s.mask);
        }
    }

    /// An atomic: memory that allows reading and writing, an index, a scalar of the
    /// memory's dtype, an op that applies to it.
    pub(super) fn atomic(&mut self, a: &Atomic) {
        let what = Site::Atomic(a.target, a.index);
        let readable = self.memory(what, a.target, false);
        let writable = self.memory(what, a.target, true);
        let index = self.index_operand(what, "index", a.index);
        let value = self.operand(what, a.value);
        let (Some((dtype, _)), Some(_), Some(_), Some(ty)) = (readable, writable, index, value)
        else {
            return;
        };
        if ty != ValueType::scalar(dtype) {
            let m = format!("the value {} is {ty}; an atomic takes one {dtype}", a.value);
            self.fail(Rule::Type, what, m);
        } else if !a.op.applies_to(dtype) {
            let wants = if a.op == AtomicOp::Add {
                "f32 or i32"
            } else {
                "i32"
            };
            let m = format!("atomic_{} needs {wants} memory, not {dtype}", a.op.name());
            self.fail(Rule::Type, what, m);
        } else {
            self.static_access(what, a.target, a.index, 1, None);
        }
    }
}
