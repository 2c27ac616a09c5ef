//! DWARF line information (`.debug_line`, written with `gimli`) mapping each instruction's
//! address to the line of its kernel-IR statement in `NAME.kir`, so `llvm-dwarfdump-19
//! --debug-line` and debuggers show where machine code comes from.
//!
//! One DWARF 5 compile unit per kernel: its name is the kernel's `.kir` file (`NAME.kir`,
//! the text `egpu_ir::kernel::print` writes and `egpu compile -o` saves), its address range
//! the kernel's code in `.text`, and its line program one row per change of line, ending at
//! the kernel's last byte. The unit is there so a debugger that starts from `.debug_info`
//! (as all do) finds the line table; it says nothing else.

use egpu_ir::kernel::{Kernel, print_with_lines};
use gimli::write::{
    Address, AttributeValue, Dwarf, EndianVec, LineProgram, LineString, Sections, Unit,
};
use gimli::{Encoding, Format, LineEncoding, LittleEndian};

/// One kernel's line table: `(byte offset from the kernel's entry, 1-based .kir line)` for
/// the first instruction of each run of instructions from one statement, in address order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KernelLines {
    pub kernel: String,
    pub rows: Vec<(u32, u32)>,
}

/// Why no line table could be written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DwarfError {
    #[error("line table of kernel {kernel}: {what}")]
    Rows { kernel: String, what: String },
    #[error("line table: {0}")]
    Write(String),
}

/// A kernel's line table from its assembled `(byte offset, statement number)` pairs: each
/// statement number becomes the line `print(kernel)` gives the statement. Rows that
/// repeat the previous line are dropped (one row per run, as compilers write them); a
/// statement number the kernel does not have maps to line 0 ("no source line").
pub fn kernel_lines(kernel: &Kernel, stmt_rows: &[(u32, u32)]) -> KernelLines {
    let (_, lines) = print_with_lines(kernel);
    let mut rows: Vec<(u32, u32)> = Vec::with_capacity(stmt_rows.len());
    for &(offset, stmt) in stmt_rows {
        let line = lines.get(stmt as usize).copied().unwrap_or(0);
        if rows.last().is_none_or(|&(_, last)| last != line) {
            rows.push((offset, line));
        }
    }
    KernelLines {
        kernel: kernel.name().to_string(),
        rows,
    }
}

/// Where a kernel's code was placed: its address in `.text` and its length in bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Placement {
    pub address: u64,
    pub len: u64,
}

/// The debug sections for these kernels, as `(section name, bytes)` in the order a linker
/// lays them out, each non-empty one once. `kernels[i]` was placed at `placed[i]`.
pub fn sections(
    kernels: &[KernelLines],
    placed: &[Placement],
) -> Result<Vec<(&'static str, Vec<u8>)>, DwarfError> {
    if kernels.len() != placed.len() {
        return Err(DwarfError::Write(format!(
            "{} line tables for {} kernels",
            kernels.len(),
            placed.len()
        )));
    }
    let mut dwarf = Dwarf::new();
    for (lines, &place) in kernels.iter().zip(placed) {
        check(lines, place)?;
        add_unit(&mut dwarf, lines, place);
    }
    let mut sections = Sections::new(EndianVec::new(LittleEndian));
    dwarf
        .write(&mut sections)
        .map_err(|e| DwarfError::Write(e.to_string()))?;
    let mut out = Vec::new();
    let named = [
        (".debug_abbrev", sections.debug_abbrev.0.slice()),
        (".debug_info", sections.debug_info.0.slice()),
        (".debug_str", sections.debug_str.0.slice()),
        (".debug_line", sections.debug_line.0.slice()),
        (".debug_line_str", sections.debug_line_str.0.slice()),
    ];
    for (name, bytes) in named {
        if !bytes.is_empty() {
            out.push((name, bytes.to_vec()));
        }
    }
    Ok(out)
}

/// The rows must be ascending offsets inside the code (gimli panics on a decreasing address),
/// and the name usable as a file name in the table (gimli panics on an empty one or a NUL).
fn check(lines: &KernelLines, place: Placement) -> Result<(), DwarfError> {
    let bad = |what: String| DwarfError::Rows {
        kernel: lines.kernel.clone(),
        what,
    };
    if lines.kernel.is_empty() || lines.kernel.contains('\0') {
        return Err(bad("the kernel name is empty or holds a NUL".into()));
    }
    if let Some(w) = lines.rows.windows(2).find(|w| w[1].0 < w[0].0) {
        return Err(bad(format!(
            "offset {:#x} comes after {:#x}",
            w[1].0, w[0].0
        )));
    }
    if let Some(&(offset, _)) = lines.rows.last()
        && u64::from(offset) >= place.len
    {
        return Err(bad(format!(
            "offset {offset:#x} lies past the code's {} bytes",
            place.len
        )));
    }
    Ok(())
}

/// DWARF 5, 32-bit format, 8-byte addresses; `min_inst_length` 4: every gfx11 instruction
/// is a whole number of dwords, so address advances are counted in dwords.
fn encoding() -> (Encoding, LineEncoding) {
    let encoding = Encoding {
        format: Format::Dwarf32,
        version: 5,
        address_size: 8,
    };
    let line = LineEncoding {
        minimum_instruction_length: 4,
        ..LineEncoding::default()
    };
    (encoding, line)
}

/// A compile unit named `NAME.kir` covering the kernel's code, with its line program.
fn add_unit(dwarf: &mut Dwarf, lines: &KernelLines, place: Placement) {
    let (encoding, line_encoding) = encoding();
    let file = format!("{}.kir", lines.kernel).into_bytes();
    let strings = &mut dwarf.line_strings;
    let dir = LineString::new(&b"."[..], encoding, strings);
    let name = LineString::new(file.clone(), encoding, strings);
    let mut program = LineProgram::new(encoding, line_encoding, dir, None, name, None);
    // DWARF 5 makes the unit's own file entry 0; adding the same name again returns it.
    let file_name = LineString::new(file.clone(), encoding, strings);
    let file_id = program.add_file(file_name, program.default_directory(), None);
    program.begin_sequence(Some(Address::Constant(place.address)));
    for &(offset, line) in &lines.rows {
        let row = program.row();
        row.address_offset = u64::from(offset);
        row.file = file_id;
        row.line = u64::from(line);
        program.generate_row();
    }
    program.end_sequence(place.len);
    let id = dwarf.units.add(Unit::new(encoding, program));
    let unit = dwarf.units.get_mut(id);
    let root = unit.root();
    let entry = unit.get_mut(root);
    entry.set(gimli::DW_AT_name, AttributeValue::String(file));
    entry.set(
        gimli::DW_AT_producer,
        AttributeValue::String(b"egpu".to_vec()),
    );
    entry.set(
        gimli::DW_AT_low_pc,
        AttributeValue::Address(Address::Constant(place.address)),
    );
    entry.set(gimli::DW_AT_high_pc, AttributeValue::Udata(place.len));
}
