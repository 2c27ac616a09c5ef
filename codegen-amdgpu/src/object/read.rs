//! Reading a code object back: every `NAME.kd` symbol's 64 descriptor bytes, and the code
//! its entry offset points at, covered by the `NAME` symbol. Works on ours and on lld's.

use ::object::read::elf::{ElfFile64, ElfSymbolIterator};
use ::object::{Endianness, Object, ObjectSection, ObjectSymbol, SymbolKind};

use super::descriptor::{self, DESCRIPTOR_SIZE};
use super::elf::EF_GFX1100;
use super::{ObjectError, ReadKernel};

fn malformed(what: impl Into<String>) -> ObjectError {
    ObjectError::Malformed { what: what.into() }
}

/// The bytes `[address, address + size)` of the section holding a symbol.
fn symbol_bytes<'d>(
    file: &ElfFile64<'d, Endianness>,
    sym: &::object::read::elf::ElfSymbol64<'d, '_, Endianness>,
    what: &str,
) -> Result<&'d [u8], ObjectError> {
    let index = sym
        .section_index()
        .ok_or_else(|| malformed(format!("symbol {what} is not in a section")))?;
    let section = file
        .section_by_index(index)
        .map_err(|err| malformed(format!("symbol {what}: {err}")))?;
    section
        .data_range(sym.address(), sym.size())
        .map_err(|err| malformed(format!("symbol {what}: {err}")))?
        .ok_or_else(|| malformed(format!("symbol {what} lies outside its section's data")))
}

/// `.symtab`'s symbols, or `.dynsym`'s when `dynamic`.
fn symbols<'d, 'f>(
    file: &'f ElfFile64<'d, Endianness>,
    dynamic: bool,
) -> ElfSymbolIterator<'d, 'f, ::object::elf::FileHeader64<Endianness>> {
    if dynamic {
        file.dynamic_symbols()
    } else {
        file.symbols()
    }
}

/// See [`super::CodeObject::read`].
pub fn read(data: &[u8]) -> Result<Vec<ReadKernel>, ObjectError> {
    let file = ElfFile64::<Endianness>::parse(data).map_err(|err| malformed(err.to_string()))?;
    let header = file.elf_header();
    let endian = file.endian();
    if header.e_machine.get(endian) != ::object::elf::EM_AMDGPU {
        return Err(malformed("not an AMDGPU ELF (e_machine is not 224)"));
    }
    if header.e_flags.get(endian) & 0xFF != EF_GFX1100 & 0xFF {
        return Err(malformed(
            "not a gfx1100 code object (e_flags machine is not 0x41)",
        ));
    }
    // A stripped object keeps only `.dynsym`, which is what the HSA loader reads anyway.
    let dynamic = file.symbols().next().is_none();
    let mut kernels = Vec::new();
    for sym in symbols(&file, dynamic) {
        let Ok(kd_name) = sym.name() else { continue };
        let Some(name) = kd_name.strip_suffix(".kd") else {
            continue;
        };
        if sym.kind() != SymbolKind::Data || !sym.is_global() {
            continue;
        }
        let kd = symbol_bytes(&file, &sym, kd_name)?;
        let kd: [u8; DESCRIPTOR_SIZE] = kd.try_into().map_err(|_| {
            malformed(format!(
                "descriptor {kd_name} is {} bytes, not 64",
                kd.len()
            ))
        })?;
        let fields = descriptor::decode(name, &kd)?;
        let code = find_code(&file, dynamic, name, sym.address(), fields.entry_offset)?;
        kernels.push(ReadKernel {
            name: name.to_string(),
            code: code.to_vec(),
            descriptor_bytes: kd,
            descriptor: fields,
        });
    }
    if kernels.is_empty() {
        return Err(malformed("no kernel descriptor (NAME.kd) symbols"));
    }
    Ok(kernels)
}

/// The `NAME` function symbol's bytes; it must sit where the descriptor's entry offset says.
fn find_code<'d>(
    file: &ElfFile64<'d, Endianness>,
    dynamic: bool,
    name: &str,
    kd_address: u64,
    entry_offset: i64,
) -> Result<&'d [u8], ObjectError> {
    let entry = kd_address.checked_add_signed(entry_offset).ok_or_else(|| {
        malformed(format!(
            "kernel {name}: entry offset leaves the address space"
        ))
    })?;
    let sym = symbols(file, dynamic)
        .find(|s| s.kind() == SymbolKind::Text && s.name() == Ok(name))
        .ok_or_else(|| malformed(format!("kernel {name}: no function symbol {name}")))?;
    if sym.address() != entry {
        return Err(malformed(format!(
            "kernel {name}: descriptor entry {entry:#x} is not the symbol's address {:#x}",
            sym.address()
        )));
    }
    symbol_bytes(file, &sym, name)
}
