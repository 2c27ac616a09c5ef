//! Any bytes: the RDNA3 decoder must not panic, and whatever decodes must re-encode to
//! the same bytes and print text that parses back to the same instruction.
#![no_main]

use egpu_codegen_amdgpu::isa::{decode, encode, parse, print};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok((inst, len)) = decode(data) else {
        return;
    };
    assert!(len <= data.len(), "length {len} past the {} input bytes", data.len());
    let bytes = match encode(&inst) {
        Ok(b) => b,
        Err(e) => panic!("decoded {inst:?} does not encode: {e}"),
    };
    assert_eq!(bytes, data[..len], "{inst:?} re-encodes differently");
    let text = print(&inst);
    match parse(&text) {
        Ok(again) => assert_eq!(again, inst, "`{text}` parses to another instruction"),
        Err(e) => panic!("`{text}` does not parse: {e}"),
    }
});
