//! The RDNA3 (gfx1100) instruction layer: operands, the opcode table, the
//! instruction value, and its encoder, decoder, printer and parser. Everything here
//! is checked against LLVM 19's assembler and disassembler (tests/encodings.rs,
//! tests/random.rs, tests/objdump.rs).
//!
//! `encode(&inst)` gives the bytes (4 or 8, plus 4 for a literal) or says why the value
//! has no encoding; `decode(bytes)` gives the instruction and its length, accepting only
//! encodings it can print exactly as `llvm-objdump-19` does; `print` and `parse` are
//! inverse on that text. VOPD (`v_dual_*`) is in `vopd`; `v_cmpx_*` are VOPC rows without
//! a destination; `v_fmaak/fmamk_*` are VOP2 rows whose K literal is a source. Not
//! modelled: DPP, MUBUF/MTBUF, s_buffer_load, exports, VOP3 op_sel (true16 halves),
//! s_getreg/s_setreg, and SOPP immediates LLVM spells symbolically beyond those listed in
//! `sopp`.

mod decode;
mod encode;
pub mod error;
pub mod format;
pub mod opcode;
pub mod operand;
mod parse;
mod parse_operand;
mod parse_vopd;
mod print;
mod print_mem;
mod rules;
mod rules_mem;
mod rules_valu;
pub mod sopp;
pub mod swizzle;
pub mod vopd;

pub use decode::decode;
pub use encode::encode;
pub use error::{DecodeError, EncodeError, ParseError};
pub use format::{Cache, Dual, Inst, Mods, PMods};
pub use opcode::{Class, Fmt, Op, OpInfo, Ty};
pub use operand::{FloatConst, Operand};
pub use parse::parse;
pub use print::print;
pub use rules::check;
