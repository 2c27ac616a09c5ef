//! Any bytes: the `.kir` parser must not panic, and whatever parses must pass the verifier
//! and print to text that parses back and prints to the same bytes.
#![no_main]

use egpu_ir::kernel::text::{parse_all, parse_all_bytes};
use egpu_ir::kernel::{print, verify};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(kernels) = parse_all_bytes(data) else {
        return;
    };
    let first: String = kernels.iter().map(print).collect();
    if let Some(bad) = kernels.iter().find_map(|k| verify(k, None).err()) {
        panic!("a parsed kernel fails the verifier: {bad:?}\n{first}");
    }
    let again = match parse_all(&first) {
        Ok(again) => again,
        Err(e) => panic!(
            "the printed form does not parse:\n{}",
            e.render("printed", &first)
        ),
    };
    let second: String = again.iter().map(print).collect();
    assert_eq!(second, first, "printing is not stable");
});
