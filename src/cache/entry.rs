//! One cache entry: a whole compiled [`Program`] as bytes.
//!
//! ```text
//! magic      8 bytes   "egpu-kc\n"
//! version    u64 LE    FORMAT_VERSION
//! key        32 bytes  the CacheKey the entry was stored under
//! length     u64 LE    payload bytes
//! checksum   32 bytes  SHA-256 of the payload
//! payload    target name; plan (name, buffers, kernels as .kir text, launches, outputs); code
//! ```
//!
//! Decoding checks every part (magic, version, key, length, checksum) before reading the
//! payload, then every field and index in it; any mismatch is an [`EntryError`], which the
//! cache treats as a damaged entry (removed and rebuilt, never loaded).

use super::codec::{FieldError, Reader, Writer};
use super::key::CacheKey;
use crate::jit::{Code, NvidiaCode, Program};
use egpu_ir::kernel::{self, BufferRole, KernelLaunch, ProgramBuffer};
use egpu_ir::{DType, Shape, Target};
use sha2::{Digest, Sha256};

/// The first bytes of every entry.
pub const MAGIC: [u8; 8] = *b"egpu-kc\n";
/// Bumped whenever the layout below changes.
pub const FORMAT_VERSION: u64 = 1;
/// Magic, version, key, length, checksum.
pub const HEADER_BYTES: usize = 8 + 8 + 32 + 8 + 32;
/// The most elements a buffer or a dimension can have (a shape's limit).
const ELEMENT_LIMIT: usize = egpu_ir::MAX_ELEMENTS as usize;

/// Why bytes are not a valid entry for the key asked for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EntryError {
    #[error("{0} bytes: shorter than an entry header ({HEADER_BYTES} bytes)")]
    Truncated(usize),
    #[error("not an egpu cache entry (wrong magic)")]
    Magic,
    #[error("entry format version {found}, this egpu reads {FORMAT_VERSION}")]
    Version { found: u64 },
    #[error("entry stored under key {found}, expected {expected}")]
    Key { found: String, expected: String },
    #[error("the header says {declared} payload bytes, the entry holds {actual}")]
    Length { declared: u64, actual: usize },
    #[error("payload checksum mismatch")]
    Checksum,
    #[error(transparent)]
    Field(#[from] FieldError),
    #[error("kernel {index}: its .kir text does not parse: {message}")]
    Kernel { index: usize, message: String },
    #[error("the program does not hold together: {0}")]
    Inconsistent(String),
}

/// The entry bytes of `program` stored under `key`.
pub fn encode(key: &CacheKey, program: &Program) -> Vec<u8> {
    let payload = encode_payload(program);
    let mut bytes = Vec::with_capacity(HEADER_BYTES + payload.len());
    bytes.extend_from_slice(&MAGIC);
    bytes.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    bytes.extend_from_slice(&key.0);
    bytes.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    bytes.extend_from_slice(&Sha256::digest(&payload));
    bytes.extend_from_slice(&payload);
    bytes
}

/// The program in `bytes`, if they are a whole, undamaged entry stored under `key`.
pub fn decode(key: &CacheKey, bytes: &[u8]) -> Result<Program, EntryError> {
    let payload = check_header(key, bytes)?;
    let mut reader = Reader::new(payload);
    let program = decode_payload(&mut reader)?;
    reader.finish()?;
    check_consistent(&program)?;
    Ok(program)
}

/// The payload of `bytes` once the header matches it and `key`.
fn check_header<'a>(key: &CacheKey, bytes: &'a [u8]) -> Result<&'a [u8], EntryError> {
    if bytes.len() < HEADER_BYTES {
        return Err(EntryError::Truncated(bytes.len()));
    }
    let (header, payload) = bytes.split_at(HEADER_BYTES);
    if header[..8] != MAGIC {
        return Err(EntryError::Magic);
    }
    let word = |at: usize| u64::from_le_bytes(header[at..at + 8].try_into().unwrap_or([0; 8]));
    let version = word(8);
    if version != FORMAT_VERSION {
        return Err(EntryError::Version { found: version });
    }
    if header[16..48] != key.0 {
        let mut found = [0u8; 32];
        found.copy_from_slice(&header[16..48]);
        return Err(EntryError::Key {
            found: CacheKey(found).hex(),
            expected: key.hex(),
        });
    }
    let declared = word(48);
    if declared != payload.len() as u64 {
        return Err(EntryError::Length {
            declared,
            actual: payload.len(),
        });
    }
    if Sha256::digest(payload).as_slice() != &header[56..88] {
        return Err(EntryError::Checksum);
    }
    Ok(payload)
}

fn encode_payload(program: &Program) -> Vec<u8> {
    let mut w = Writer::default();
    let plan = &program.plan;
    w.str(program.target.name);
    w.str(&plan.name);
    w.count(plan.buffers.len());
    for buffer in &plan.buffers {
        w.str(buffer.dtype.name());
        w.count(buffer.elements);
        match &buffer.role {
            BufferRole::Input(name) => {
                w.u8(0);
                w.str(name);
            }
            BufferRole::Output(name) => {
                w.u8(1);
                w.str(name);
            }
            BufferRole::Temporary => w.u8(2),
        }
    }
    w.count(plan.kernels.len());
    for k in &plan.kernels {
        w.str(&kernel::print(k));
    }
    w.count(plan.launches.len());
    for launch in &plan.launches {
        w.count(launch.kernel);
        w.count(launch.bindings.len());
        launch.bindings.iter().for_each(|&b| w.count(b));
    }
    w.count(plan.outputs.len());
    for (name, buffer, shape) in &plan.outputs {
        w.str(name);
        w.count(*buffer);
        w.count(shape.rank());
        shape.dims().iter().for_each(|&d| w.count(d));
    }
    encode_code(&mut w, &program.code);
    w.bytes
}

fn encode_code(w: &mut Writer, code: &Code) {
    match code {
        Code::Amd { object } => {
            w.u8(0);
            w.bytes(object);
        }
        Code::Nvidia { kernels } => {
            w.u8(1);
            w.count(kernels.len());
            for k in kernels {
                w.str(&k.ptx);
                match &k.cubin {
                    Some(cubin) => {
                        w.u8(1);
                        w.bytes(cubin);
                    }
                    None => w.u8(0),
                }
            }
        }
    }
}

fn decode_payload(r: &mut Reader) -> Result<Program, EntryError> {
    let target_name = r.str("target")?;
    let target = Target::by_name(target_name)
        .ok_or_else(|| r.error("target", format!("unknown target '{target_name}'")))?;
    let name = r.str("program name")?.to_string();
    let buffers = (0..r.count("buffer count")?)
        .map(|_| decode_buffer(r))
        .collect::<Result<Vec<_>, _>>()?;
    let kernels = (0..r.count("kernel count")?)
        .map(|index| {
            let text = r.str("kernel text")?;
            kernel::text::parse(text).map_err(|e| EntryError::Kernel {
                index,
                message: e.to_string(),
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let launches = (0..r.count("launch count")?)
        .map(|_| decode_launch(r))
        .collect::<Result<Vec<_>, _>>()?;
    let outputs = (0..r.count("output count")?)
        .map(|_| decode_output(r))
        .collect::<Result<Vec<_>, _>>()?;
    let code = decode_code(r)?;
    let plan = kernel::Program {
        name,
        buffers,
        kernels,
        launches,
        outputs,
    };
    Ok(Program { target, plan, code })
}

fn decode_buffer(r: &mut Reader) -> Result<ProgramBuffer, FieldError> {
    let dtype_name = r.str("buffer dtype")?;
    let dtype = DType::from_name(dtype_name)
        .ok_or_else(|| r.error("buffer dtype", format!("unknown dtype '{dtype_name}'")))?;
    let elements = r.bounded("buffer elements", ELEMENT_LIMIT)?;
    let role = match r.u8("buffer role")? {
        0 => BufferRole::Input(r.str("input name")?.to_string()),
        1 => BufferRole::Output(r.str("output name")?.to_string()),
        2 => BufferRole::Temporary,
        other => return Err(r.error("buffer role", format!("unknown role tag {other}"))),
    };
    Ok(ProgramBuffer {
        dtype,
        elements,
        role,
    })
}

fn decode_launch(r: &mut Reader) -> Result<KernelLaunch, FieldError> {
    let kernel = r.bounded("launch kernel", usize::MAX)?;
    let bindings = (0..r.count("binding count")?)
        .map(|_| r.bounded("binding", usize::MAX))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(KernelLaunch { kernel, bindings })
}

fn decode_output(r: &mut Reader) -> Result<(String, usize, Shape), FieldError> {
    let name = r.str("output name")?.to_string();
    let buffer = r.bounded("output buffer", usize::MAX)?;
    let dims = (0..r.count("output rank")?)
        .map(|_| r.bounded("output dimension", ELEMENT_LIMIT))
        .collect::<Result<Vec<_>, _>>()?;
    let shape = Shape::new(dims).map_err(|e| r.error("output shape", e))?;
    Ok((name, buffer, shape))
}

fn decode_code(r: &mut Reader) -> Result<Code, FieldError> {
    match r.u8("code kind")? {
        0 => Ok(Code::Amd {
            object: r.bytes("code object")?.to_vec(),
        }),
        1 => {
            let kernels = (0..r.count("PTX module count")?)
                .map(|_| {
                    let ptx = r.str("PTX")?.to_string();
                    let cubin = match r.u8("cubin flag")? {
                        0 => None,
                        1 => Some(r.bytes("cubin")?.to_vec()),
                        other => return Err(r.error("cubin flag", format!("{other}"))),
                    };
                    Ok(NvidiaCode { ptx, cubin })
                })
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Code::Nvidia { kernels })
        }
        other => Err(r.error("code kind", format!("unknown kind tag {other}"))),
    }
}

/// Every index points at something that exists, and the code fits the target and the
/// kernels: what a well-formed program always satisfies, so a program that passed the
/// checksum but not this came from a bug, and is not loaded either.
fn check_consistent(program: &Program) -> Result<(), EntryError> {
    let plan = &program.plan;
    let bad = |message: String| Err(EntryError::Inconsistent(message));
    for (i, launch) in plan.launches.iter().enumerate() {
        if launch.kernel >= plan.kernels.len() {
            return bad(format!("launch {i} names kernel {}", launch.kernel));
        }
        if let Some(b) = launch.bindings.iter().find(|&&b| b >= plan.buffers.len()) {
            return bad(format!("launch {i} binds buffer {b}"));
        }
    }
    if let Some((name, b, _)) = plan.outputs.iter().find(|o| o.1 >= plan.buffers.len()) {
        return bad(format!("output '{name}' names buffer {b}"));
    }
    match &program.code {
        Code::Amd { .. } if crate::amd::is_amd(&program.target) => Ok(()),
        Code::Nvidia { kernels } if crate::nvidia::is_nvidia(&program.target) => {
            if kernels.len() == plan.kernels.len() {
                Ok(())
            } else {
                bad(format!(
                    "{} PTX modules for {} kernels",
                    kernels.len(),
                    plan.kernels.len()
                ))
            }
        }
        _ => bad(format!(
            "code of the wrong kind for {}",
            program.target.name
        )),
    }
}
