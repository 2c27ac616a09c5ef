//! The code object's DWARF sections: [`crate::dwarf`]'s line tables placed at each kernel's
//! address in `.text`, written after `.dynamic` as non-allocated sections (nothing loads
//! them; `llvm-dwarfdump` and debuggers read them from the file).

use super::{KernelCode, ObjectError};
use crate::dwarf::{self, KernelLines, Placement};

/// A debug section's name and bytes.
pub type DebugSection = (&'static str, Vec<u8>);

/// The debug sections for `kernels` whose entries lie at `entries[i]` in a `.text` placed at
/// `text_addr`. `lines` must hold one table per kernel, named as the kernel.
pub fn sections(
    kernels: &[KernelCode],
    lines: &[KernelLines],
    entries: &[usize],
    text_addr: u64,
) -> Result<Vec<DebugSection>, ObjectError> {
    if lines.len() != kernels.len() {
        return Err(ObjectError::Malformed {
            what: format!(
                "{} line tables given for {} kernels",
                lines.len(),
                kernels.len()
            ),
        });
    }
    if let Some((k, l)) = kernels.iter().zip(lines).find(|(k, l)| k.name != l.kernel) {
        return Err(ObjectError::Malformed {
            what: format!("line table of {} given for kernel {}", l.kernel, k.name),
        });
    }
    let placed: Vec<Placement> = kernels
        .iter()
        .zip(entries)
        .map(|(k, &entry)| Placement {
            address: text_addr + entry as u64,
            len: k.code.len() as u64,
        })
        .collect();
    Ok(dwarf::sections(lines, &placed)?)
}

/// The sections' sizes were planned before the addresses were known; DWARF's address
/// fields have fixed sizes, so the final sections must match the plan exactly.
pub fn same_sizes(planned: &[DebugSection], placed: &[DebugSection]) -> Result<(), ObjectError> {
    let sizes = |s: &[DebugSection]| s.iter().map(|(n, b)| (*n, b.len())).collect::<Vec<_>>();
    if sizes(planned) != sizes(placed) {
        return Err(ObjectError::Write(
            "debug sections changed size once addresses were known (a bug in egpu)".into(),
        ));
    }
    Ok(())
}
