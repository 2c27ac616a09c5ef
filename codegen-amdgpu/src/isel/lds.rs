//! Shared arrays in LDS: loads and stores (`ds_load`/`ds_store`, byte addresses from the
//! array's offset), and `barrier` (`s_waitcnt` is the waitcnt pass's; here
//! `s_barrier` with the release/acquire the memory model needs).
