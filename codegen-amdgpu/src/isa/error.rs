//! Errors of the ISA layer: each says which instruction and which field.

use thiserror::Error;

/// An instruction value that has no encoding.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum EncodeError {
    #[error("{op}: operand {slot} cannot be {operand}")]
    BadOperand {
        op: &'static str,
        slot: &'static str,
        operand: String,
    },
    #[error("{op}: {what} {value} is out of range")]
    OutOfRange {
        op: &'static str,
        what: &'static str,
        value: i64,
    },
    #[error("{op}: modifier {what} is not allowed here")]
    BadModifier {
        op: &'static str,
        what: &'static str,
    },
    #[error("{op}: two different literals ({a:#x}, {b:#x}) in one instruction")]
    TwoLiterals { op: &'static str, a: u32, b: u32 },
    #[error("{op}: the instruction value does not match the opcode's format ({fmt})")]
    WrongFormat { op: &'static str, fmt: &'static str },
}

/// Bytes that are not an instruction this layer models.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DecodeError {
    #[error("truncated instruction: {needed} bytes needed, {have} present ({bytes})")]
    Truncated {
        needed: usize,
        have: usize,
        bytes: String,
    },
    #[error("unknown {fmt} opcode {code:#x} in {bytes}")]
    UnknownOpcode {
        fmt: &'static str,
        code: u16,
        bytes: String,
    },
    #[error("unknown encoding {bytes}")]
    UnknownFormat { bytes: String },
    #[error("{op}: field {field} has a value this layer does not model in {bytes}")]
    Unsupported {
        op: &'static str,
        field: &'static str,
        bytes: String,
    },
    #[error("{op}: {err} (in {bytes})")]
    Invalid {
        op: &'static str,
        err: EncodeError,
        bytes: String,
    },
}

/// Bytes as LLVM writes them in `-show-encoding`: `[0x00,0x00,0xb0,0xbf]`.
pub fn hex_bytes(bytes: &[u8]) -> String {
    let parts: Vec<String> = bytes.iter().map(|b| format!("{b:#04x}")).collect();
    format!("[{}]", parts.join(","))
}

/// Assembly text this layer cannot read back.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ParseError {
    #[error("unknown mnemonic `{0}`")]
    UnknownMnemonic(String),
    #[error("`{text}`: {what}")]
    Bad { text: String, what: &'static str },
    #[error("`{text}`: {err}")]
    Invalid { text: String, err: EncodeError },
}
