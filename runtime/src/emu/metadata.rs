//! The kernel arguments a code object's metadata note (NT_AMDGPU_METADATA, msgpack;
//! AMDGPUUsage "Code Object V5 Metadata") declares: where each goes in the kernarg
//! segment, how wide it is, and what kind it is. The msgpack reader is small and strict:
//! nesting is capped (the note is four levels deep) and lengths are checked against the
//! bytes that remain, so a malformed note is an error, never a panic or a huge allocation.

use object::read::elf::ElfFile64;
use object::{Endianness, Object, ObjectSection};

const NT_AMDGPU_METADATA: u32 = 32;
/// Deepest msgpack nesting accepted (the metadata note uses four levels).
const MAX_DEPTH: u32 = 8;

/// What one kernarg slot holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A 64-bit global address.
    Buffer,
    /// A scalar by value.
    Value,
    /// An argument the runtime fills (`hidden_*`), with its value kind.
    Hidden(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Slot {
    pub offset: u32,
    pub size: u32,
    pub kind: Kind,
}

/// A msgpack value (only what the note uses; extension types are refused).
#[derive(Clone, Debug, PartialEq)]
enum Mp {
    Nil,
    Bool(bool),
    Int(i128),
    Float(f64),
    Str(String),
    Bin,
    Array(Vec<Mp>),
    Map(Vec<(Mp, Mp)>),
}

impl Mp {
    fn get(&self, key: &str) -> Option<&Mp> {
        let Mp::Map(entries) = self else { return None };
        entries
            .iter()
            .find(|(k, _)| matches!(k, Mp::Str(s) if s == key))
            .map(|(_, v)| v)
    }

    fn str(&self) -> Option<&str> {
        match self {
            Mp::Str(s) => Some(s),
            _ => None,
        }
    }

    fn uint(&self) -> Option<u32> {
        match self {
            Mp::Int(v) => u32::try_from(*v).ok(),
            _ => None,
        }
    }
}

struct Reader<'a> {
    data: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], String> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.data.len());
        let end = end.ok_or("metadata note: msgpack value runs past the note")?;
        let bytes = &self.data[self.at..end];
        self.at = end;
        Ok(bytes)
    }

    fn be(&mut self, n: usize) -> Result<u64, String> {
        Ok(self
            .take(n)?
            .iter()
            .fold(0u64, |acc, &b| acc << 8 | u64::from(b)))
    }

    fn len(&mut self, n: usize) -> Result<usize, String> {
        let len = self.be(n)? as usize;
        // Every element takes at least one byte: a longer length is malformed.
        if len > self.data.len() - self.at {
            return Err("metadata note: msgpack length exceeds the note".into());
        }
        Ok(len)
    }

    fn value(&mut self, depth: u32) -> Result<Mp, String> {
        if depth > MAX_DEPTH {
            return Err("metadata note: msgpack nested too deeply".into());
        }
        let b = self.take(1)?[0];
        Ok(match b {
            0x00..=0x7f => Mp::Int(i128::from(b)),
            0x80..=0x8f => self.map(usize::from(b & 0xf), depth)?,
            0x90..=0x9f => self.array(usize::from(b & 0xf), depth)?,
            0xa0..=0xbf => self.string(usize::from(b & 0x1f))?,
            0xc0 => Mp::Nil,
            0xc2 => Mp::Bool(false),
            0xc3 => Mp::Bool(true),
            0xc4..=0xc6 => {
                let n = self.len(1 << (b - 0xc4))?;
                self.take(n)?;
                Mp::Bin
            }
            0xca => Mp::Float(f64::from(f32::from_bits(self.be(4)? as u32))),
            0xcb => Mp::Float(f64::from_bits(self.be(8)?)),
            0xcc..=0xcf => Mp::Int(i128::from(self.be(1 << (b - 0xcc))?)),
            0xd0..=0xd3 => {
                let n = 1usize << (b - 0xd0);
                let v = self.be(n)?;
                let shift = 64 - 8 * n as u32;
                Mp::Int(i128::from(((v << shift) as i64) >> shift))
            }
            0xd9..=0xdb => {
                let n = self.len(1 << (b - 0xd9))?;
                self.string(n)?
            }
            0xdc | 0xdd => {
                let n = self.len(2 << (b - 0xdc))?;
                self.array(n, depth)?
            }
            0xde | 0xdf => {
                let n = self.len(2 << (b - 0xde))?;
                self.map(n, depth)?
            }
            0xe0..=0xff => Mp::Int(i128::from(b as i8)),
            _ => return Err(format!("metadata note: unsupported msgpack type {b:#x}")),
        })
    }

    fn string(&mut self, n: usize) -> Result<Mp, String> {
        let bytes = self.take(n)?;
        Ok(Mp::Str(String::from_utf8_lossy(bytes).into_owned()))
    }

    fn array(&mut self, n: usize, depth: u32) -> Result<Mp, String> {
        let mut items = Vec::new();
        for _ in 0..n {
            items.push(self.value(depth + 1)?);
        }
        Ok(Mp::Array(items))
    }

    fn map(&mut self, n: usize, depth: u32) -> Result<Mp, String> {
        let mut entries = Vec::new();
        for _ in 0..n {
            let k = self.value(depth + 1)?;
            let v = self.value(depth + 1)?;
            entries.push((k, v));
        }
        Ok(Mp::Map(entries))
    }
}

/// The metadata note's msgpack bytes, if the object has one.
fn note(elf: &[u8]) -> Result<Option<Vec<u8>>, String> {
    let file = ElfFile64::<Endianness>::parse(elf).map_err(|e| e.to_string())?;
    for section in file.sections() {
        if section.name() != Ok(".note") {
            continue;
        }
        let data = section.data().map_err(|e| e.to_string())?;
        let mut at = 0usize;
        while at + 12 <= data.len() {
            let word =
                |i: usize| u32::from_le_bytes([data[i], data[i + 1], data[i + 2], data[i + 3]]);
            let (namesz, descsz, kind) = (word(at) as usize, word(at + 4) as usize, word(at + 8));
            let name_end = at + 12 + namesz.next_multiple_of(4);
            let desc_end = name_end + descsz;
            if desc_end > data.len() {
                return Err("metadata note runs past its section".into());
            }
            if kind == NT_AMDGPU_METADATA && data.get(at + 12..at + 18) == Some(b"AMDGPU") {
                return Ok(Some(data[name_end..desc_end].to_vec()));
            }
            at = name_end + descsz.next_multiple_of(4);
        }
    }
    Ok(None)
}

/// The kernarg slots kernel `kernel` declares, in metadata order; `None` when the code
/// object carries no metadata note.
pub fn kernel_args(elf: &[u8], kernel: &str) -> Result<Option<Vec<Slot>>, String> {
    let Some(bytes) = note(elf)? else {
        return Ok(None);
    };
    let root = Reader {
        data: &bytes,
        at: 0,
    }
    .value(0)?;
    let Some(Mp::Array(kernels)) = root.get("amdhsa.kernels") else {
        return Err("metadata note has no amdhsa.kernels".into());
    };
    let Some(k) = kernels
        .iter()
        .find(|k| k.get(".name").and_then(Mp::str) == Some(kernel))
    else {
        return Err(format!("metadata note does not describe kernel '{kernel}'"));
    };
    let args = match k.get(".args") {
        Some(Mp::Array(args)) => args.as_slice(),
        None => &[],
        Some(_) => return Err("metadata .args is not an array".into()),
    };
    let mut slots = Vec::new();
    for (i, a) in args.iter().enumerate() {
        let field = |key: &str| {
            a.get(key)
                .and_then(Mp::uint)
                .ok_or(format!("metadata argument {i}: no {key}"))
        };
        let kind = match a.get(".value_kind").and_then(Mp::str) {
            Some("global_buffer") => Kind::Buffer,
            Some("by_value") => Kind::Value,
            Some(h) if h.starts_with("hidden_") => Kind::Hidden(h.to_string()),
            other => {
                return Err(format!(
                    "metadata argument {i}: value kind {other:?} is not supported"
                ));
            }
        };
        slots.push(Slot {
            offset: field(".offset")?,
            size: field(".size")?,
            kind,
        });
    }
    Ok(Some(slots))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn msgpack_values_and_limits() {
        // {"a": [1, -1, 300, "x"], "b": true}
        let bytes = [
            0x82, 0xa1, b'a', 0x94, 0x01, 0xff, 0xcd, 0x01, 0x2c, 0xa1, b'x', 0xa1, b'b', 0xc3,
        ];
        let v = Reader {
            data: &bytes,
            at: 0,
        }
        .value(0)
        .unwrap();
        let a = Mp::Array(vec![
            Mp::Int(1),
            Mp::Int(-1),
            Mp::Int(300),
            Mp::Str("x".into()),
        ]);
        assert_eq!(v.get("a"), Some(&a));
        assert_eq!(v.get("b"), Some(&Mp::Bool(true)));
        // Truncated, oversized and too deeply nested input are errors.
        assert!(
            Reader {
                data: &bytes[..5],
                at: 0
            }
            .value(0)
            .is_err()
        );
        assert!(
            Reader {
                data: &[0xdd, 0xff, 0xff, 0xff, 0xff],
                at: 0
            }
            .value(0)
            .is_err()
        );
        assert!(
            Reader {
                data: &[0x91; 64],
                at: 0
            }
            .value(0)
            .is_err()
        );
    }
}
