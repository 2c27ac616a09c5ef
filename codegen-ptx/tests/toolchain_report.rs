//! Parsing ptxas's text: literal samples of what ptxas 13.5 printed (copied from real runs
//! of `ptxas -arch=sm_80 -v`), with the numbers read by eye from those samples.

use egpu_codegen_ptx::toolchain::{parse_info, parse_version};

/// Two entries (printed in reverse order) and a non-entry `.func` whose properties must not
/// land on the entry before it.
const TWO_ENTRIES_AND_A_FUNC: &str = "\
ptxas info    : 16 bytes gmem, 8 bytes cmem[4]
ptxas info    : Compiling entry function 'k2' for 'sm_80'
ptxas info    : Function properties for k2
    0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
ptxas info    : Used 8 registers, used 1 barriers, 64 bytes smem, 360 bytes cmem[0]
ptxas info    : Compile time = 3.134 ms
ptxas info    : Compiling entry function 'k' for 'sm_80'
ptxas info    : Function properties for k
    0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
ptxas info    : Used 10 registers, used 0 barriers, 360 bytes cmem[0]
ptxas info    : Compile time = 1.253 ms
ptxas info    : Function properties for twice
    24 bytes stack frame, 8 bytes spill stores, 4 bytes spill loads
";

const SPILLS: &str = "\
ptxas info    : 0 bytes gmem
ptxas info    : Compiling entry function 'heavy' for 'sm_89'
ptxas info    : Function properties for heavy
    168 bytes stack frame, 164 bytes spill stores, 164 bytes spill loads
ptxas info    : Used 32 registers, used 0 barriers, 168 bytes cumulative stack size, 360 bytes cmem[0]
ptxas info    : Compile time = 14.095 ms
";

const WARNINGS: &str = "\
ptxas warning : For entry w adjusting per thread register count of 16 to lower bound of 24
ptxas warning : Value of threads per SM for entry w is out of range. .minnctapersm will be ignored
ptxas info    : 0 bytes gmem
ptxas info    : Compiling entry function 'w' for 'sm_90'
ptxas info    : Function properties for w
    0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
ptxas info    : Used 8 registers, used 0 barriers
";

#[test]
fn entries_in_printed_order_with_their_numbers() {
    let info = parse_info(TWO_ENTRIES_AND_A_FUNC);
    let names: Vec<&str> = info.kernels.iter().map(|k| k.name.as_str()).collect();
    assert_eq!(names, ["k2", "k"]);
    let k2 = info.kernel("k2").expect("k2 reported");
    assert_eq!(
        (k2.arch.as_str(), k2.registers, k2.barriers, k2.shared_bytes),
        ("sm_80", 8, 1, 64)
    );
    let k = info.kernel("k").expect("k reported");
    // k has no smem in its line, and twice's frame (24/8/4) belongs to no entry.
    assert_eq!((k.registers, k.barriers, k.shared_bytes), (10, 0, 0));
    assert_eq!(
        (k.stack_frame_bytes, k.spill_store_bytes, k.spill_load_bytes),
        (0, 0, 0)
    );
    assert!(info.warnings.is_empty());
    assert_eq!(info.log, TWO_ENTRIES_AND_A_FUNC);
}

#[test]
fn spills_and_stack() {
    let info = parse_info(SPILLS);
    let h = info.kernel("heavy").expect("heavy reported");
    assert_eq!((h.arch.as_str(), h.registers), ("sm_89", 32));
    assert_eq!(
        (h.stack_frame_bytes, h.spill_store_bytes, h.spill_load_bytes),
        (168, 164, 164)
    );
}

#[test]
fn warnings_without_their_prefix() {
    let info = parse_info(WARNINGS);
    assert_eq!(
        info.warnings,
        [
            "For entry w adjusting per thread register count of 16 to lower bound of 24",
            "Value of threads per SM for entry w is out of range. .minnctapersm will be ignored",
        ]
    );
    assert_eq!(info.kernel("w").map(|k| k.registers), Some(8));
}

#[test]
fn text_that_is_not_a_report_gives_nothing() {
    let info = parse_info("hello\nptxas info    : Used many registers\n    x bytes stack frame\n");
    assert!(info.kernels.is_empty());
    assert!(info.warnings.is_empty());
}

#[test]
fn version_line() {
    let text = "ptxas: NVIDIA (R) Ptx optimizing assembler\n\
                Copyright (c) 2005-2026 NVIDIA Corporation\n\
                Built on Mon_Oct_12_19:25:48_PDT_2026\n\
                Cuda compilation tools, release 13.5, V13.5.37\n\
                Build cuda_13.5.r13.5/compiler.39125733_0\n";
    let v = parse_version(text).expect("a version");
    assert_eq!((v.release.as_str(), v.build.as_str()), ("13.5", "V13.5.37"));
    assert_eq!(parse_version("ptxas: no version here"), None);
}
