//! The RDNA3 (gfx1100) instruction layer: operands, the opcode table, the
//! instruction value, and its encoder, decoder, printer and parser. Everything here
//! is checked against LLVM 19's assembler and disassembler (tests/encodings.rs).

mod decode;
mod encode;
pub mod error;
pub mod format;
pub mod opcode;
pub mod operand;
mod parse;
mod parse_operand;
mod print;
mod print_mem;
mod rules;
mod rules_mem;
mod rules_valu;
pub mod sopp;
pub mod swizzle;

pub use decode::decode;
pub use encode::encode;
pub use error::{DecodeError, EncodeError, ParseError};
pub use format::{Cache, Inst, Mods, PMods};
pub use opcode::{Class, Fmt, Op, OpInfo, Ty};
pub use operand::{FloatConst, Operand};
pub use parse::parse;
pub use print::print;
pub use rules::check;
