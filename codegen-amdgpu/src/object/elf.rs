//! The ELF container: sections, symbols and program headers of an HSA code object v5,
//! in ld.lld-19's order (`.note .dynsym .gnu.hash .hash .dynstr .rodata .text .dynamic
//! .symtab .shstrtab .strtab`) with PT_LOAD r / rx / rw, PT_DYNAMIC and PT_NOTE.
//! Addresses follow lld's rule: the read-only segment's equal its file offsets, and each
//! later segment starts on the page after the previous one ends, at its offset within a
//! page (so `.text` of a small object is at 0x1000 + offset). No `.comment`, `.relro_padding`,
//! PT_PHDR, PT_GNU_RELRO or PT_GNU_STACK: nothing in the HSA loader reads them.

use ::object::Endianness;
use ::object::elf as e;
use ::object::write::StringId;
use ::object::write::elf::{FileHeader, ProgramHeader, SectionHeader, SectionIndex, Sym, Writer};

use super::debug::{self, DebugSection};
use super::descriptor::{self, DESCRIPTOR_SIZE};
use super::{KernelCode, ObjectError, metadata};
use crate::dwarf::KernelLines;

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
        k.resources.check(&k.name)?;
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

/// What the write pass needs, computed before any byte is written.
struct Plan<'k> {
    kernels: &'k [KernelCode],
    note: Vec<u8>,
    text: Vec<u8>,
    /// Each kernel's entry offset in `.text`.
    entries: Vec<usize>,
    /// Symbol names in table order: NAME, NAME.kd, per kernel.
    names: Vec<Vec<u8>>,
    /// Symbols in each hash table (all but the null symbol).
    hashed: u32,
    /// Line tables to write as DWARF (none: no debug sections).
    lines: Option<&'k [KernelLines]>,
    /// The debug sections' names and sizes (addresses do not change their sizes).
    debug: Vec<DebugSection>,
}

impl<'k> Plan<'k> {
    fn new(
        kernels: &'k [KernelCode],
        lines: Option<&'k [KernelLines]>,
    ) -> Result<Self, ObjectError> {
        let (text, entries) = layout_text(kernels);
        let debug = match lines {
            Some(lines) => debug::sections(kernels, lines, &entries, 0)?,
            None => Vec::new(),
        };
        let names = kernels
            .iter()
            .flat_map(|k| {
                [
                    k.name.clone().into_bytes(),
                    format!("{}.kd", k.name).into_bytes(),
                ]
            })
            .collect::<Vec<_>>();
        let hashed = u32::try_from(names.len()).map_err(|_| ObjectError::TooLarge)?;
        Ok(Plan {
            kernels,
            note: metadata::note(kernels)?,
            text,
            entries,
            names,
            hashed,
            lines,
            debug,
        })
    }
}

/// Section indices and name ids, reserved in lld's order.
struct Sections {
    rodata: SectionIndex,
    text: SectionIndex,
    dynamic: SectionIndex,
    note_name: StringId,
    rodata_name: StringId,
    text_name: StringId,
    /// Each debug section's index and name, in [`Plan::debug`] order.
    debug: Vec<(SectionIndex, StringId)>,
}

/// File offsets of the allocated sections (= addresses in the read-only segment), and the
/// addresses of the two later segments' sections.
struct Offsets {
    note: usize,
    dynsym: usize,
    gnu_hash: usize,
    hash: usize,
    dynstr: usize,
    rodata: usize,
    text: usize,
    dynamic: usize,
    text_addr: usize,
    dynamic_addr: usize,
    /// File offset of each debug section.
    debug: Vec<usize>,
}

/// The address a segment starting at file offset `offset` gets when the previous segment
/// ends at address `prev_end`: the next page, at the same offset within the page.
fn next_segment(prev_end: usize, offset: usize) -> usize {
    prev_end.next_multiple_of(PAGE as usize) + offset % PAGE as usize
}

/// Symbol name ids: `.dynsym`'s and `.symtab`'s, in [`Plan::names`] order, and `_DYNAMIC`.
struct Symbols {
    dynamic: Vec<StringId>,
    local: Vec<StringId>,
    dynamic_label: StringId,
}

/// Where everything goes.
struct Layout {
    s: Sections,
    o: Offsets,
    syms: Symbols,
    /// The debug sections with the kernels' final addresses.
    debug: Vec<DebugSection>,
}

const DYNAMIC_ENTRIES: usize = 7;
const PROGRAM_HEADERS: u32 = 5;

/// Write the code object, with DWARF line tables when `lines` are given (one per kernel).
pub fn write(
    kernels: &[KernelCode],
    lines: Option<&[KernelLines]>,
) -> Result<Vec<u8>, ObjectError> {
    validate(kernels)?;
    let plan = Plan::new(kernels, lines)?;
    let mut buf = Vec::new();
    let mut w = Writer::new(Endianness::Little, true, &mut buf);
    let layout = reserve(&mut w, &plan)?;
    emit(&mut w, &plan, &layout)?;
    Ok(buf)
}

fn reserve_sections(w: &mut Writer, plan: &Plan) -> Sections {
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
    let text = w.reserve_section_index();
    let dynamic = w.reserve_dynamic_section_index();
    let debug = plan
        .debug
        .iter()
        .map(|(name, _)| {
            let name = w.add_section_name(name.as_bytes());
            (w.reserve_section_index(), name)
        })
        .collect();
    w.reserve_symtab_section_index();
    w.reserve_shstrtab_section_index();
    w.reserve_strtab_section_index();
    Sections {
        rodata,
        text,
        dynamic,
        note_name,
        rodata_name,
        text_name,
        debug,
    }
}

/// Symbols: per kernel NAME then NAME.kd, in both tables; `.symtab` also has lld's
/// `_DYNAMIC` (local, hidden).
fn reserve_symbols<'a>(w: &mut Writer<'a>, s: &Sections, names: &'a [Vec<u8>]) -> Symbols {
    w.reserve_null_dynamic_symbol_index();
    w.reserve_null_symbol_index();
    let dynamic_label = w.add_string(b"_DYNAMIC");
    w.reserve_symbol_index(Some(s.dynamic));
    let mut dynamic = Vec::with_capacity(names.len());
    let mut local = Vec::with_capacity(names.len());
    for (j, name) in names.iter().enumerate() {
        dynamic.push(w.add_dynamic_string(name));
        local.push(w.add_string(name));
        w.reserve_dynamic_symbol_index();
        w.reserve_symbol_index(Some(if j % 2 == 0 { s.text } else { s.rodata }));
    }
    Symbols {
        dynamic,
        local,
        dynamic_label,
    }
}

fn reserve<'a>(w: &mut Writer<'a>, plan: &'a Plan) -> Result<Layout, ObjectError> {
    w.reserve_file_header();
    w.reserve_program_headers(PROGRAM_HEADERS);
    let s = reserve_sections(w, plan);
    let syms = reserve_symbols(w, &s, &plan.names);
    let note = w.reserve(plan.note.len(), 4);
    let dynsym = w.reserve_dynsym();
    let gnu_hash = w.reserve_gnu_hash(1, 1, plan.hashed);
    let hash = w.reserve_hash(1, plan.hashed + 1);
    let dynstr = w.reserve_dynstr();
    let rodata_len = DESCRIPTOR_SIZE * plan.kernels.len();
    let rodata = w.reserve(rodata_len, DESCRIPTOR_SIZE);
    let text = w.reserve(plan.text.len(), ENTRY_ALIGN);
    let dynamic = w.reserve_dynamic(DYNAMIC_ENTRIES);
    let text_addr = next_segment(rodata + rodata_len, text);
    let dynamic_addr = next_segment(text_addr + plan.text.len(), dynamic);
    let debug = match plan.lines {
        Some(lines) => debug::sections(plan.kernels, lines, &plan.entries, text_addr as u64)?,
        None => Vec::new(),
    };
    debug::same_sizes(&plan.debug, &debug)?;
    let debug_offsets = debug.iter().map(|(_, b)| w.reserve(b.len(), 1)).collect();
    let o = Offsets {
        note,
        dynsym,
        gnu_hash,
        hash,
        dynstr,
        rodata,
        text,
        dynamic,
        text_addr,
        dynamic_addr,
        debug: debug_offsets,
    };
    w.reserve_symtab();
    w.reserve_shstrtab();
    w.reserve_strtab();
    w.reserve_section_headers();
    // Offsets stay far inside i64 and the 32-bit sizes the note and tables use.
    if u32::try_from(w.reserved_len()).is_err() {
        return Err(ObjectError::TooLarge);
    }
    Ok(Layout { s, o, syms, debug })
}

fn emit(w: &mut Writer, plan: &Plan, l: &Layout) -> Result<(), ObjectError> {
    let o = &l.o;
    w.write_file_header(&FileHeader {
        os_abi: OSABI_AMDGPU_HSA,
        abi_version: ABI_VERSION_V5,
        e_type: e::ET_DYN,
        e_machine: e::EM_AMDGPU,
        e_entry: 0,
        e_flags: EF_GFX1100,
    })
    .map_err(|err| ObjectError::Write(err.to_string()))?;
    write_program_headers(w, plan, o);
    w.write_align(4);
    w.write(&plan.note);
    w.write_null_dynamic_symbol();
    for (j, &name) in l.syms.dynamic.iter().enumerate() {
        w.write_dynamic_symbol(&kernel_sym(plan, l, j, name));
    }
    w.write_gnu_hash(1, 6, 1, 1, plan.hashed, |i| {
        ::object::elf::gnu_hash(&plan.names[i as usize])
    });
    w.write_hash(1, plan.hashed + 1, |i| {
        let name = plan.names.get(i.checked_sub(1)? as usize)?;
        Some(::object::elf::hash(name))
    });
    w.write_dynstr();
    w.write_align(DESCRIPTOR_SIZE);
    for (i, k) in plan.kernels.iter().enumerate() {
        let kd_at = (o.rodata + i * DESCRIPTOR_SIZE) as i64;
        let entry_at = (o.text_addr + plan.entries[i]) as i64;
        let fields = k.resources.descriptor_fields(entry_at - kd_at);
        w.write(&descriptor::encode(&k.name, &fields)?);
    }
    w.write_align(ENTRY_ALIGN);
    w.write(&plan.text);
    write_dynamic(w, o)?;
    for (_, bytes) in &l.debug {
        w.write(bytes);
    }
    write_symtab(w, plan, l);
    w.write_shstrtab();
    w.write_strtab();
    write_section_headers(w, plan, l);
    Ok(())
}

/// A program header for `len` bytes at file offset `offset`, loaded at `addr`.
fn phdr(
    p_type: u32,
    p_flags: u32,
    (offset, addr): (usize, usize),
    len: usize,
    p_align: u64,
) -> ProgramHeader {
    ProgramHeader {
        p_type,
        p_flags,
        p_offset: offset as u64,
        p_vaddr: addr as u64,
        p_paddr: addr as u64,
        p_filesz: len as u64,
        p_memsz: len as u64,
        p_align,
    }
}

fn write_program_headers(w: &mut Writer, plan: &Plan, o: &Offsets) {
    let (r, rx, rw) = (e::PF_R, e::PF_R | e::PF_X, e::PF_R | e::PF_W);
    let read_only_len = o.rodata + DESCRIPTOR_SIZE * plan.kernels.len();
    let text = (o.text, o.text_addr);
    let dynamic = (o.dynamic, o.dynamic_addr);
    let dynamic_len = DYNAMIC_ENTRIES * 16;
    w.write_align_program_headers();
    w.write_program_header(&phdr(e::PT_LOAD, r, (0, 0), read_only_len, PAGE));
    w.write_program_header(&phdr(e::PT_LOAD, rx, text, plan.text.len(), PAGE));
    w.write_program_header(&phdr(e::PT_LOAD, rw, dynamic, dynamic_len, PAGE));
    w.write_program_header(&phdr(e::PT_DYNAMIC, rw, dynamic, dynamic_len, 8));
    let note = (o.note, o.note);
    w.write_program_header(&phdr(e::PT_NOTE, r, note, plan.note.len(), 4));
}

/// Symbol `j` of [`Plan::names`]: kernel `j / 2`'s code (even) or descriptor (odd).
/// Both PROTECTED, as clang-19 + lld-19 make them.
fn kernel_sym(plan: &Plan, l: &Layout, j: usize, name: StringId) -> Sym {
    let i = j / 2;
    let (section, st_type, value, size) = if j % 2 == 1 {
        let at = l.o.rodata + i * DESCRIPTOR_SIZE;
        (l.s.rodata, e::STT_OBJECT, at, DESCRIPTOR_SIZE)
    } else {
        let code = plan.kernels[i].code.len();
        (l.s.text, e::STT_FUNC, l.o.text_addr + plan.entries[i], code)
    };
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

fn write_symtab(w: &mut Writer, plan: &Plan, l: &Layout) {
    w.write_null_symbol();
    w.write_symbol(&Sym {
        name: Some(l.syms.dynamic_label),
        section: Some(l.s.dynamic),
        st_info: (e::STB_LOCAL << 4) | e::STT_NOTYPE,
        st_other: e::STV_HIDDEN,
        st_shndx: 0,
        st_value: l.o.dynamic_addr as u64,
        st_size: 0,
    });
    for (j, &name) in l.syms.local.iter().enumerate() {
        w.write_symbol(&kernel_sym(plan, l, j, name));
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
            .map_err(|err| ObjectError::Write(err.to_string()))?;
    }
    Ok(())
}

fn write_section_headers(w: &mut Writer, plan: &Plan, l: &Layout) {
    let (o, s) = (&l.o, &l.s);
    let alloc = u64::from(e::SHF_ALLOC);
    let header = |name, sh_type, flags, (at, addr): (usize, usize), size: usize, align: usize| {
        SectionHeader {
            name: Some(name),
            sh_type,
            sh_flags: flags,
            sh_addr: addr as u64,
            sh_offset: at as u64,
            sh_size: size as u64,
            sh_link: 0,
            sh_info: 0,
            sh_addralign: align as u64,
            sh_entsize: 0,
        }
    };
    let note = header(
        s.note_name,
        e::SHT_NOTE,
        alloc,
        (o.note, o.note),
        plan.note.len(),
        4,
    );
    let rodata_len = DESCRIPTOR_SIZE * plan.kernels.len();
    let rodata = header(
        s.rodata_name,
        e::SHT_PROGBITS,
        alloc,
        (o.rodata, o.rodata),
        rodata_len,
        DESCRIPTOR_SIZE,
    );
    let exec = alloc | u64::from(e::SHF_EXECINSTR);
    let text = header(
        s.text_name,
        e::SHT_PROGBITS,
        exec,
        (o.text, o.text_addr),
        plan.text.len(),
        ENTRY_ALIGN,
    );
    w.write_null_section_header();
    w.write_section_header(&note);
    w.write_dynsym_section_header(o.dynsym as u64, 1);
    w.write_gnu_hash_section_header(o.gnu_hash as u64);
    w.write_hash_section_header(o.hash as u64);
    w.write_dynstr_section_header(o.dynstr as u64);
    w.write_section_header(&rodata);
    w.write_section_header(&text);
    w.write_dynamic_section_header(o.dynamic_addr as u64);
    for ((&(_, name), (_, bytes)), &at) in s.debug.iter().zip(&l.debug).zip(&o.debug) {
        w.write_section_header(&header(name, e::SHT_PROGBITS, 0, (at, 0), bytes.len(), 1));
    }
    // Locals: the null symbol and _DYNAMIC.
    w.write_symtab_section_header(2);
    w.write_shstrtab_section_header();
    w.write_strtab_section_header();
}
