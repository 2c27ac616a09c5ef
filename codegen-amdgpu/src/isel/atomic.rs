//! Atomics without return: `global_atomic_add_f32`/`_add_u32`/`_max_i32`/`_min_i32`,
//! `ds_add_f32`/`ds_add_u32`/`ds_max_i32`/`ds_min_i32`.
