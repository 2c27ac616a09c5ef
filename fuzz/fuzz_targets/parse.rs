//! Any bytes: the parser must not panic, and whatever parses must print to a canonical form
//! that parses back to the same graph and prints to the same bytes.
#![no_main]

use egpu_ir::text::{parse, parse_bytes, print};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(graph) = parse_bytes(data) else {
        return;
    };
    let first = print(&graph);
    let again = match parse(&first) {
        Ok(again) => again,
        Err(e) => panic!(
            "the canonical form does not parse:\n{}",
            e.render("printed", &first)
        ),
    };
    assert!(
        again.same_structure(&graph),
        "not the same structure after printing:\n{first}"
    );
    assert_eq!(print(&again), first, "printing is not stable");
});
