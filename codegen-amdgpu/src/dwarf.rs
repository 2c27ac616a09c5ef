//! DWARF line information (`.debug_line`, written with `gimli`) mapping each instruction's
//! address to the line of its kernel-IR statement in `NAME.kir`, so `llvm-dwarfdump-19
//! --debug-line` and debuggers show where machine code comes from.
