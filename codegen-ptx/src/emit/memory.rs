//! Loads, stores and atomics. Global buffers are addressed from their base (`%rd_param0`,
//! loaded and converted with `cvta.to.global` once at entry) plus index·size; shared
//! arrays by a 32-bit shared-window address. Read-only buffers load with `ld.global.nc`.
//! An access moves up to 16 bytes per instruction (`.v2`/`.v4`; 16-bit elements in pairs
//! of `.b32`); bool memory is one byte per element.

use super::PtxError;
use super::constant::immediate;
use super::emitter::Emitter;
use super::sink::{RegClass, reg_class};
use egpu_ir::kernel::{Access, Atomic, AtomicOp, Memory, Param, ParamId, ValueId};
use egpu_ir::{DType, Scalar};

/// Where an access goes: the state space suffix and the register holding the address.
pub(crate) struct Place {
    /// `global.nc`, `global` or `shared`.
    space: &'static str,
    addr: String,
}

/// The register holding a global buffer's base address.
pub(crate) fn base_reg(p: ParamId) -> String {
    format!("%rd_{p}")
}

/// The PTX symbol of a shared array (prefixed, so no name can clash with PTX's own).
pub(crate) fn shared_symbol(name: &str) -> String {
    format!("shared_{name}")
}

/// The type a single element moves as (8-bit elements load sign- or zero-extended).
fn element_type(dtype: DType) -> &'static str {
    match dtype {
        DType::I8 => "s8",
        DType::Bool | DType::U8 => "u8",
        DType::F32 => "f32",
        DType::F64 => "f64",
        _ => match dtype.bits() {
            16 => "b16",
            32 => "b32",
            _ => "b64",
        },
    }
}

impl Emitter<'_> {
    /// The address of element `index` of `memory`, for a load (`write` false) or a store.
    pub(crate) fn place(
        &mut self,
        memory: Memory,
        index: ValueId,
        write: bool,
    ) -> Result<(Place, DType), PtxError> {
        let (idx_ty, _) = self.ty(index)?;
        let idx = self.reg(index, 0)?;
        match memory {
            Memory::Global(p) => {
                let Some(Param::Buffer { dtype, access, .. }) = self.kernel.param(p) else {
                    return Err(self.malformed(format!("{p} is not a buffer")));
                };
                let (dtype, access) = (*dtype, *access);
                let size = dtype.size_bytes();
                let off = self.new_temp(RegClass::B64);
                if idx_ty == DType::I64 {
                    self.ins(format!("mul.lo.s64 {off}, {idx}, {size}"));
                } else {
                    self.ins(format!("mul.wide.s32 {off}, {idx}, {size}"));
                }
                self.ins(format!("add.s64 {off}, {}, {off}", base_reg(p)));
                let space = if !write && access == Access::Read {
                    "global.nc"
                } else {
                    "global"
                };
                Ok((Place { space, addr: off }, dtype))
            }
            Memory::Shared(s) => {
                let Some(array) = self.kernel.shared(s) else {
                    return Err(self.malformed(format!("{s} does not exist")));
                };
                let (dtype, symbol) = (array.dtype, shared_symbol(&array.name));
                let addr = self.shared_address(&symbol, idx_ty, &idx, dtype.size_bytes());
                Ok((
                    Place {
                        space: "shared",
                        addr,
                    },
                    dtype,
                ))
            }
        }
    }

    /// `symbol + index·size` as a 32-bit shared-window address.
    pub(crate) fn shared_address(
        &mut self,
        symbol: &str,
        idx_ty: DType,
        idx: &str,
        size: usize,
    ) -> String {
        let base = self.new_temp(RegClass::B32);
        self.ins(format!("mov.u32 {base}, {symbol}"));
        let idx32 = if idx_ty == DType::I64 {
            let t = self.new_temp(RegClass::B32);
            self.ins(format!("cvt.u32.u64 {t}, {idx}"));
            t
        } else {
            idx.to_string()
        };
        let addr = self.new_temp(RegClass::B32);
        self.ins(format!("mad.lo.s32 {addr}, {idx32}, {size}, {base}"));
        addr
    }

    /// `dst = load memory[index]` (with its mask), `dst` the value's registers.
    pub(crate) fn load(
        &mut self,
        v: ValueId,
        memory: Memory,
        index: ValueId,
        mask: Option<ValueId>,
    ) -> Result<(), PtxError> {
        let dst = self.regs_of(v)?;
        let (place, dtype) = self.place(memory, index, false)?;
        let guard = self.mask_guard(mask, dst.len())?;
        match guard {
            Guard::PerElement(preds) => {
                for (e, (d, p)) in dst.iter().zip(&preds).enumerate() {
                    self.load_chunk(&place, dtype, e, std::slice::from_ref(d), Some(p));
                }
            }
            Guard::Whole(p) => self.load_all(&place, dtype, &dst, p.as_deref()),
        }
        Ok(())
    }

    /// The access in chunks of at most 16 bytes and 4 registers.
    fn load_all(&mut self, place: &Place, dtype: DType, dst: &[String], guard: Option<&str>) {
        let per = chunk_elements(dtype, dst.len());
        for (c, regs) in dst.chunks(per).enumerate() {
            self.load_chunk(place, dtype, c * per, regs, guard);
        }
    }

    /// Loads `dst.len()` consecutive elements from element `first` of the place: 16-bit
    /// elements in pairs as `.b32` words, bools as bytes compared with 0, the rest directly.
    fn load_chunk(
        &mut self,
        place: &Place,
        dtype: DType,
        first: usize,
        dst: &[String],
        guard: Option<&str>,
    ) {
        let at = address(&place.addr, first * dtype.size_bytes());
        if dtype.bits() == 16 && dst.len() >= 2 {
            let words: Vec<String> = (0..dst.len() / 2)
                .map(|_| self.new_temp(RegClass::B32))
                .collect();
            self.load_into(place, &at, DType::U32, "b32", &words, guard);
            for (w, pair) in words.iter().zip(dst.chunks(2)) {
                self.ins(format!("mov.b32 {{{}, {}}}, {w}", pair[0], pair[1]));
            }
        } else if dtype == DType::Bool {
            let bytes: Vec<String> = (0..dst.len())
                .map(|_| self.new_temp(RegClass::B16))
                .collect();
            self.load_into(place, &at, DType::U8, "u8", &bytes, guard);
            for (d, b) in dst.iter().zip(&bytes) {
                self.ins(format!("setp.ne.u16 {d}, {b}, 0"));
            }
        } else {
            self.load_into(place, &at, dtype, element_type(dtype), dst, guard);
        }
    }

    /// One `ld` of `ty` into `regs` (registers of `held`'s class); a guarded load sets
    /// them to zero first, since masked-off elements load as 0.
    fn load_into(
        &mut self,
        place: &Place,
        at: &str,
        held: DType,
        ty: &str,
        regs: &[String],
        guard: Option<&str>,
    ) {
        if guard.is_some() {
            let zero = immediate(held, Scalar::zero(held));
            for r in regs {
                self.mov(reg_class(held), r, &zero);
            }
        }
        let pre = guard.map(|p| format!("@{p} ")).unwrap_or_default();
        let (space, v) = (place.space, vector_suffix(regs.len()));
        self.ins(format!("{pre}ld.{space}{v}.{ty} {}, {at}", list(regs)));
    }

    /// `store memory[index] = value` (with its mask).
    pub(crate) fn store(
        &mut self,
        memory: Memory,
        index: ValueId,
        value: ValueId,
        mask: Option<ValueId>,
    ) -> Result<(), PtxError> {
        let src = self.regs_of(value)?;
        let (place, dtype) = self.place(memory, index, true)?;
        match self.mask_guard(mask, src.len())? {
            Guard::PerElement(preds) => {
                for (e, (s, p)) in src.iter().zip(&preds).enumerate() {
                    self.store_chunk(&place, dtype, e, std::slice::from_ref(s), Some(p));
                }
            }
            Guard::Whole(p) => {
                let per = chunk_elements(dtype, src.len());
                for (c, regs) in src.chunks(per).enumerate() {
                    self.store_chunk(&place, dtype, c * per, regs, p.as_deref());
                }
            }
        }
        Ok(())
    }

    fn store_chunk(
        &mut self,
        place: &Place,
        dtype: DType,
        first: usize,
        src: &[String],
        guard: Option<&str>,
    ) {
        let at = address(&place.addr, first * dtype.size_bytes());
        let pre = guard.map(|p| format!("@{p} ")).unwrap_or_default();
        let space = place.space;
        let (regs, ty): (Vec<String>, &str) = if dtype.bits() == 16 && src.len() >= 2 {
            let mut words = Vec::new();
            for pair in src.chunks(2) {
                let w = self.new_temp(RegClass::B32);
                self.ins(format!("mov.b32 {w}, {{{}, {}}}", pair[0], pair[1]));
                words.push(w);
            }
            (words, "b32")
        } else if dtype == DType::Bool {
            let mut bytes = Vec::new();
            for s in src {
                let b = self.new_temp(RegClass::B16);
                self.ins(format!("selp.b16 {b}, 1, 0, {s}"));
                bytes.push(b);
            }
            (bytes, "u8")
        } else {
            let ty = if dtype == DType::I8 {
                "u8"
            } else {
                element_type(dtype)
            };
            (src.to_vec(), ty)
        };
        let v = vector_suffix(regs.len());
        self.ins(format!("{pre}st.{space}{v}.{ty} {at}, {}", list(&regs)));
    }

    /// `atomic_OP memory[index], value` as a `red` (no result is returned).
    pub(crate) fn atomic(&mut self, a: &Atomic) -> Result<(), PtxError> {
        let (place, dtype) = self.place(a.target, a.index, true)?;
        let x = self.reg(a.value, 0)?;
        let ty = if dtype == DType::F32 { "f32" } else { "s32" };
        let op = match a.op {
            AtomicOp::Add => "add",
            AtomicOp::Max => "max",
            AtomicOp::Min => "min",
        };
        let sem = if place.space == "shared" {
            "relaxed.cta"
        } else {
            "relaxed.gpu"
        };
        let space = place.space;
        self.ins(format!("red.{sem}.{space}.{op}.{ty} [{}], {x}", place.addr));
        Ok(())
    }

    /// A mask's predicates: one for the whole access, or one per element.
    fn mask_guard(&mut self, mask: Option<ValueId>, width: usize) -> Result<Guard, PtxError> {
        let Some(m) = mask else {
            return Ok(Guard::Whole(None));
        };
        let (_, mw) = self.ty(m)?;
        if mw == 1 || width == 1 {
            return Ok(Guard::Whole(Some(self.reg(m, 0)?)));
        }
        Ok(Guard::PerElement(self.regs_of(m)?))
    }
}

enum Guard {
    Whole(Option<String>),
    PerElement(Vec<String>),
}

/// Elements per instruction: at most 16 bytes and 4 registers (16-bit elements pair into
/// `.b32` words, so up to 8 of them).
fn chunk_elements(dtype: DType, width: usize) -> usize {
    let size = dtype.size_bytes().max(1);
    let per = match size {
        1 => 4,
        2 => 8,
        _ => (16 / size).min(4),
    };
    per.min(width).max(1)
}

/// `[%rd_t3]` or `[%rd_t3+8]`.
fn address(reg: &str, offset: usize) -> String {
    if offset == 0 {
        format!("[{reg}]")
    } else {
        format!("[{reg}+{offset}]")
    }
}

fn vector_suffix(n: usize) -> String {
    if n == 1 {
        String::new()
    } else {
        format!(".v{n}")
    }
}

/// `%a` or `{%a, %b}`.
fn list(regs: &[String]) -> String {
    if regs.len() == 1 {
        regs[0].clone()
    } else {
        format!("{{{}}}", regs.join(", "))
    }
}
