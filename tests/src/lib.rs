//! Shared helpers for egpu's cross-crate tests (random graph generators, tolerances).
