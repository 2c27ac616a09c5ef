//! Values without arithmetic: workgroup and local ids, constants, scalar parameters,
//! `vec`, `extract`, `where`.
