//! The ELF container: sections, symbols and program headers of an HSA code object v5,
//! in ld.lld-19's order (`.note .dynsym .gnu.hash .hash .dynstr .rodata .text .dynamic
//! .symtab .shstrtab .strtab`) with PT_LOAD r / rx / rw, PT_DYNAMIC and PT_NOTE.
//! Virtual addresses equal file offsets (lld moves each segment to its own page instead;
//! the loader maps by address, so either works). No `.comment`, `.relro_padding`,
//! PT_PHDR, PT_GNU_RELRO or PT_GNU_STACK: nothing in the HSA loader reads them.

use ::object::Endianness;
use ::object::elf as e;
use ::object::write::elf::{FileHeader, ProgramHeader, SectionHeader, SectionIndex, Sym, Writer};

use super::descriptor::{self, DESCRIPTOR_SIZE};
use super::{KernelCode, ObjectError, metadata};

pub use super::read::read;

/// `EI_OSABI` ELFOSABI_AMDGPU_HSA and `EI_ABIVERSION` 3 (code object v5).
const OSABI_AMDGPU_HSA: u8 = 64;
const ABI_VERSION_V5: u8 = 3;
/// `e_flags`: EF_AMDGPU_MACH_AMDGCN_GFX1100 (no xnack / sramecc bits on gfx11).
pub const EF_GFX1100: u32 = 0x41;
/// Each kernel entry starts on a 256-byte boundary (the instruction cache line pair).
const ENTRY_ALIGN: usize = 256;
/// After the last kernel LLVM pads to 128 bytes and adds 384 bytes of `s_code_end`, so the
/// instruction prefetcher never runs past the end of `.text`; we do the same.
const TAIL_ALIGN: usize = 128;
const TAIL_BYTES: usize = 384;
const S_NOP_0: u32 = 0xBF80_0000;
const S_CODE_END: u32 = 0xBF9F_0000;
const PAGE: u64 = 0x1000;

fn pad_with(text: &mut Vec<u8>, align: usize, word: u32) {
    while !text.len().is_multiple_of(align) {
        text.extend_from_slice(&word.to_le_bytes());
    }
}

/// `.text` and each kernel's entry offset in it. Gaps between kernels are `s_nop 0`, as lld
/// fills them.
fn layout_text(kernels: &[KernelCode]) -> (Vec<u8>, Vec<usize>) {
    let mut text = Vec::new();
    let mut entries = Vec::with_capacity(kernels.len());
    for k in kernels {
        pad_with(&mut text, ENTRY_ALIGN, S_NOP_0);
        entries.push(text.len());
        text.extend_from_slice(&k.code);
    }
    pad_with(&mut text, TAIL_ALIGN, S_CODE_END);
    for _ in 0..TAIL_BYTES / 4 {
        text.extend_from_slice(&S_CODE_END.to_le_bytes());
    }
    (text, entries)
}

fn validate(kernels: &[KernelCode]) -> Result<(), ObjectError> {
    if kernels.is_empty() {
        return Err(ObjectError::NoKernels);
    }
    for (index, k) in kernels.iter().enumerate() {
        if k.name.is_empty() || k.name.contains('\0') || k.name.ends_with(".kd") {
            return Err(ObjectError::BadName {
                index,
                name: k.name.clone(),
            });
        }
        if !k.code.len().is_multiple_of(4) {
            return Err(ObjectError::CodeLength {
                kernel: k.name.clone(),
                len: k.code.len(),
            });
        }
    }
    let mut names: Vec<&str> = kernels.iter().map(|k| k.name.as_str()).collect();
    names.sort_unstable();
    if let Some(pair) = names.windows(2).find(|p| p[0] == p[1]) {
        return Err(ObjectError::DuplicateName(pair[0].to_string()));
    }
    Ok(())
}

/// The section indices, reserved in lld's order.
struct Sections {
    rodata: SectionIndex,
    text: SectionIndex,
    dynamic: SectionIndex,
}

/// File offsets (= addresses) of the allocated sections.
struct Offsets {
    note: usize,
    dynsym: usize,
    gnu_hash: usize,
    hash: usize,
    dynstr: usize,
    rodata: usize,
    text: usize,
    dynamic: usize,
}

const DYNAMIC_ENTRIES: usize = 7;

/// Write the code object.
pub fn write(kernels: &[KernelCode]) -> Result<Vec<u8>, ObjectError> {
    validate(kernels)?;
    let note = metadata::note(kernels);
    let (text, entries) = layout_text(kernels);
    let kd_names: Vec<String> = kernels.iter().map(|k| format!("{}.kd", k.name)).collect();
    let mut buf = Vec::new();
    let mut w = Writer::new(Endianness::Little, true, &mut buf);
    w.reserve_file_header();
    w.reserve_program_headers(5);

    w.reserve_null_section_index();
    let note_name = w.add_section_name(b".note");
    w.reserve_section_index();
    w.reserve_dynsym_section_index();
    w.reserve_gnu_hash_section_index();
    w.reserve_hash_section_index();
    w.reserve_dynstr_section_index();
    let rodata_name = w.add_section_name(b".rodata");
    let rodata = w.reserve_section_index();
    let text_name = w.add_section_name(b".text");
    let text_index = w.reserve_section_index();
    let dynamic = w.reserve_dynamic_section_index();
    w.reserve_symtab_section_index();
    w.reserve_shstrtab_section_index();
    w.reserve_strtab_section_index();
    let s = Sections {
        rodata,
        text: text_index,
        dynamic,
    };

    // Symbols: per kernel NAME then NAME.kd, in both tables; .symtab also has lld's _DYNAMIC.
    let mut dyn_names = Vec::with_capacity(kernels.len() * 2);
    let mut sym_names = Vec::with_capacity(kernels.len() * 2);
    w.reserve_null_dynamic_symbol_index();
    w.reserve_null_symbol_index();
    let dynamic_sym_name = w.add_string(b"_DYNAMIC");
    w.reserve_symbol_index(Some(s.dynamic));
    for (k, kd) in kernels.iter().zip(&kd_names) {
        for (name, section) in [(k.name.as_bytes(), s.text), (kd.as_bytes(), s.rodata)] {
            dyn_names.push(w.add_dynamic_string(name));
            sym_names.push(w.add_string(name));
            w.reserve_dynamic_symbol_index();
            w.reserve_symbol_index(Some(section));
        }
    }
    let hashed = (kernels.len() * 2) as u32;
    let o = Offsets {
        note: w.reserve(note.len(), 4),
        dynsym: w.reserve_dynsym(),
        gnu_hash: w.reserve_gnu_hash(1, 1, hashed),
        hash: w.reserve_hash(1, hashed + 1),
        dynstr: w.reserve_dynstr(),
        rodata: w.reserve(DESCRIPTOR_SIZE * kernels.len(), DESCRIPTOR_SIZE),
        text: w.reserve(text.len(), ENTRY_ALIGN),
        dynamic: w.reserve_dynamic(DYNAMIC_ENTRIES),
    };
    w.reserve_symtab();
    w.reserve_shstrtab();
    w.reserve_strtab();
    w.reserve_section_headers();
    if u32::try_from(w.reserved_len()).is_err() {
        return Err(ObjectError::TooLarge);
    }

    let end_rodata = o.rodata + DESCRIPTOR_SIZE * kernels.len();
    let end_dynamic = o.dynamic + DYNAMIC_ENTRIES * 16;
    w.write_file_header(&FileHeader {
        os_abi: OSABI_AMDGPU_HSA,
        abi_version: ABI_VERSION_V5,
        e_type: e::ET_DYN,
        e_machine: e::EM_AMDGPU,
        e_entry: 0,
        e_flags: EF_GFX1100,
    })
    .map_err(|err| ObjectError::Malformed {
        what: format!("writing the ELF header: {err}"),
    })?;
    write_program_headers(&mut w, &o, end_rodata, text.len(), end_dynamic, note.len());

    w.write_align(4);
    w.write(&note);
    write_dynamic_symbols(&mut w, &s, &o, kernels, &entries, &dyn_names);
    let all_names: Vec<&[u8]> = kernels
        .iter()
        .zip(&kd_names)
        .flat_map(|(k, kd)| [k.name.as_bytes(), kd.as_bytes()])
        .collect();
    w.write_gnu_hash(1, 6, 1, 1, hashed, |i| {
        ::object::elf::gnu_hash(all_names[i as usize])
    });
    w.write_hash(1, hashed + 1, |i| {
        i.checked_sub(1)
            .map(|j| ::object::elf::hash(all_names[j as usize]))
    });
    w.write_dynstr();
    w.write_align(DESCRIPTOR_SIZE);
    for (i, k) in kernels.iter().enumerate() {
        let kd_at = (o.rodata + i * DESCRIPTOR_SIZE) as i64;
        let entry_at = (o.text + entries[i]) as i64;
        let fields = k.resources.descriptor_fields(entry_at - kd_at);
        w.write(&descriptor::encode(&k.name, &fields)?);
    }
    w.write_align(ENTRY_ALIGN);
    w.write(&text);
    write_dynamic(&mut w, &o)?;
    write_symtab(
        &mut w,
        &s,
        &o,
        kernels,
        &entries,
        &sym_names,
        dynamic_sym_name,
    );
    w.write_shstrtab();
    w.write_strtab();
    write_section_headers(
        &mut w,
        &o,
        end_rodata,
        text.len(),
        note.len(),
        kernels.len(),
        note_name,
        rodata_name,
        text_name,
    );
    drop(w);
    Ok(buf)
}

fn phdr(p_type: u32, p_flags: u32, start: usize, end: usize, p_align: u64) -> ProgramHeader {
    ProgramHeader {
        p_type,
        p_flags,
        p_offset: start as u64,
        p_vaddr: start as u64,
        p_paddr: start as u64,
        p_filesz: (end - start) as u64,
        p_memsz: (end - start) as u64,
        p_align,
    }
}

fn write_program_headers(
    w: &mut Writer,
    o: &Offsets,
    end_rodata: usize,
    text_len: usize,
    end_dynamic: usize,
    note_len: usize,
) {
    w.write_align_program_headers();
    w.write_program_header(&phdr(e::PT_LOAD, e::PF_R, 0, end_rodata, PAGE));
    w.write_program_header(&phdr(
        e::PT_LOAD,
        e::PF_R | e::PF_X,
        o.text,
        o.text + text_len,
        PAGE,
    ));
    w.write_program_header(&phdr(
        e::PT_LOAD,
        e::PF_R | e::PF_W,
        o.dynamic,
        end_dynamic,
        PAGE,
    ));
    w.write_program_header(&phdr(
        e::PT_DYNAMIC,
        e::PF_R | e::PF_W,
        o.dynamic,
        end_dynamic,
        8,
    ));
    w.write_program_header(&phdr(e::PT_NOTE, e::PF_R, o.note, o.note + note_len, 4));
}

/// The symbol for kernel `i`'s code (`kd == false`) or descriptor.
fn kernel_sym(
    s: &Sections,
    o: &Offsets,
    kernels: &[KernelCode],
    entries: &[usize],
    i: usize,
    kd: bool,
    name: ::object::write::StringId,
) -> Sym {
    let (section, st_type, value, size) = if kd {
        let at = o.rodata + i * DESCRIPTOR_SIZE;
        (s.rodata, e::STT_OBJECT, at, DESCRIPTOR_SIZE)
    } else {
        (
            s.text,
            e::STT_FUNC,
            o.text + entries[i],
            kernels[i].code.len(),
        )
    };
    // Both PROTECTED, as clang-19 + lld-19 make them.
    Sym {
        name: Some(name),
        section: Some(section),
        st_info: (e::STB_GLOBAL << 4) | st_type,
        st_other: e::STV_PROTECTED,
        st_shndx: 0,
        st_value: value as u64,
        st_size: size as u64,
    }
}

fn write_dynamic_symbols(
    w: &mut Writer,
    s: &Sections,
    o: &Offsets,
    kernels: &[KernelCode],
    entries: &[usize],
    names: &[::object::write::StringId],
) {
    w.write_null_dynamic_symbol();
    for (j, &name) in names.iter().enumerate() {
        w.write_dynamic_symbol(&kernel_sym(s, o, kernels, entries, j / 2, j % 2 == 1, name));
    }
}

fn write_symtab(
    w: &mut Writer,
    s: &Sections,
    o: &Offsets,
    kernels: &[KernelCode],
    entries: &[usize],
    names: &[::object::write::StringId],
    dynamic_name: ::object::write::StringId,
) {
    w.write_null_symbol();
    w.write_symbol(&Sym {
        name: Some(dynamic_name),
        section: Some(s.dynamic),
        st_info: (e::STB_LOCAL << 4) | e::STT_NOTYPE,
        st_other: e::STV_HIDDEN,
        st_shndx: 0,
        st_value: o.dynamic as u64,
        st_size: 0,
    });
    for (j, &name) in names.iter().enumerate() {
        w.write_symbol(&kernel_sym(s, o, kernels, entries, j / 2, j % 2 == 1, name));
    }
}

fn write_dynamic(w: &mut Writer, o: &Offsets) -> Result<(), ObjectError> {
    let strsz = w.dynstr_len() as u64;
    w.write_align_dynamic();
    let entries = [
        (e::DT_SYMTAB, o.dynsym as u64),
        (e::DT_SYMENT, 24),
        (e::DT_STRTAB, o.dynstr as u64),
        (e::DT_STRSZ, strsz),
        (e::DT_GNU_HASH, o.gnu_hash as u64),
        (e::DT_HASH, o.hash as u64),
        (e::DT_NULL, 0),
    ];
    for (tag, value) in entries {
        w.write_dynamic(tag, value)
            .map_err(|err| ObjectError::Malformed {
                what: format!("writing .dynamic: {err}"),
            })?;
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn write_section_headers(
    w: &mut Writer,
    o: &Offsets,
    end_rodata: usize,
    text_len: usize,
    note_len: usize,
    kernel_count: usize,
    note_name: ::object::write::StringId,
    rodata_name: ::object::write::StringId,
    text_name: ::object::write::StringId,
) {
    let alloc = u64::from(e::SHF_ALLOC);
    let progbits = |name, sh_type, flags, at: usize, size: usize, align: usize| SectionHeader {
        name: Some(name),
        sh_type,
        sh_flags: flags,
        sh_addr: at as u64,
        sh_offset: at as u64,
        sh_size: size as u64,
        sh_link: 0,
        sh_info: 0,
        sh_addralign: align as u64,
        sh_entsize: 0,
    };
    w.write_null_section_header();
    w.write_section_header(&progbits(
        note_name,
        e::SHT_NOTE,
        alloc,
        o.note,
        note_len,
        4,
    ));
    w.write_dynsym_section_header(o.dynsym as u64, 1);
    w.write_gnu_hash_section_header(o.gnu_hash as u64);
    w.write_hash_section_header(o.hash as u64);
    w.write_dynstr_section_header(o.dynstr as u64);
    let rodata_len = end_rodata - o.rodata;
    debug_assert_eq!(rodata_len, kernel_count * DESCRIPTOR_SIZE);
    w.write_section_header(&progbits(
        rodata_name,
        e::SHT_PROGBITS,
        alloc,
        o.rodata,
        rodata_len,
        DESCRIPTOR_SIZE,
    ));
    let exec = alloc | u64::from(e::SHF_EXECINSTR);
    w.write_section_header(&progbits(
        text_name,
        e::SHT_PROGBITS,
        exec,
        o.text,
        text_len,
        ENTRY_ALIGN,
    ));
    w.write_dynamic_section_header(o.dynamic as u64);
    // Locals: the null symbol and _DYNAMIC.
    w.write_symtab_section_header(2);
    w.write_shstrtab_section_header();
    w.write_strtab_section_header();
}
