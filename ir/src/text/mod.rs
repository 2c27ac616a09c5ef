//! The `.egir` text format (see docs/egir.md): parser with file:line:col diagnostics and the
//! canonical printer.
