//! Global loads and stores: `global_load`/`global_store` of 1 to 16 bytes with the
//! buffer's base in an SGPR pair and a 32-bit lane offset, or a 64-bit VGPR address where
//! a buffer exceeds 4 GiB; masks through EXEC.
