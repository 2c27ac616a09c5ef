//! The `.kir` text: every kernel the compiler makes prints, parses back and prints to the
//! same bytes (examples on every target, random graphs); malformed text is an error with
//! `line:col` (and, through `egpu run-kernel`, `file:line:col` and exit 1), never a panic.

use egpu_ir::Target;
use egpu_ir::kernel::text::{parse, parse_all, parse_bytes};
use egpu_ir::kernel::{Kernel, print, verify};
use egpu_passes::pipeline::{PipelineOptions, compile};
use egpu_passes::simplify::SimplifyOptions;
use egpu_tests::cli::{egpu, npy_f32, write};
use egpu_tests::random_graph::arb_graph;
use egpu_tests::{EXAMPLE_NAMES, example};
use proptest::prelude::*;

fn options(target: Target) -> PipelineOptions {
    PipelineOptions {
        target,
        disabled: vec![],
        simplify: SimplifyOptions::default(),
    }
}

/// print → parse → print gives the same bytes; the parsed kernel also passes the verifier
/// with the target's limits. Returns an error naming the kernel instead of panicking, for
/// proptest.
fn round_trip(kernel: &Kernel, target: &Target) -> Result<(), String> {
    let text = print(kernel);
    let again = parse(&text).map_err(|e| format!("{}\n{text}", e.render("printed.kir", &text)))?;
    let printed = print(&again);
    if printed != text {
        return Err(format!("printed differently:\n{text}\n---\n{printed}"));
    }
    verify(&again, Some(target)).map_err(|e| format!("{e:?}\n{text}"))
}

#[test]
fn every_example_kernel_round_trips_on_every_target() {
    let mut kernels = 0;
    for name in EXAMPLE_NAMES {
        let graph = example(name);
        for target in Target::ALL {
            let compiled = compile(&graph, &options(target)).unwrap();
            for kernel in &compiled.program.kernels {
                if let Err(e) = round_trip(kernel, &target) {
                    panic!("{name} on {}: {e}", target.name);
                }
                kernels += 1;
            }
        }
    }
    // Every example makes at least one kernel per target.
    assert!(kernels >= EXAMPLE_NAMES.len() * Target::ALL.len());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn random_graph_kernels_round_trip(g in arb_graph(), t in 0..Target::ALL.len()) {
        let target = Target::ALL[t];
        // Graphs the pipeline refuses make no kernels to print; the pipeline's own tests
        // cover its errors.
        if let Ok(compiled) = compile(&g, &options(target)) {
            for kernel in &compiled.program.kernels {
                round_trip(kernel, &target).map_err(TestCaseError::fail)?;
            }
        }
    }
}

/// A small kernel using every construct of the text.
const EVERY_CONSTRUCT: &str = "\
kernel every(a: global f32[64] read, b: global f16[256] read_write, c: global f32[64] write, n: i32)
  grid [2, 1, 1] workgroup [32, 1, 1] subgroup 32
  shared t: f32[64]
  shared ha: f16[256]
  shared hd: f32[256]
{
  v0: i32 = workgroup_id.x
  v1: i32 = local_id.x
  v2: i32 = const 32
  v3: i32 = param n
  v4: i32 = mul v0, v2
  v5: i32 = add v4, v1
  v6: bool = cmplt v5, v3
  v7: f32 = load a[v5] mask v6
  v8: f32 = const -1.5
  v9: f32 = max v7, v8
  v10: f32 = exp2 v9
  v11: f32 = subgroup_sum v10
  v12: i32 = const 0
  acc0: f32 = init v11
  for v13: i32 in v12..v2 step 4 unroll {
    v14: bool = cmpeq v13, v1
    if v14 {
      acc0 = sum acc0, v10
    } else {
      acc0 = v9
    }
  }
  v15: f32 = read acc0
  store t[v1] = v15
  barrier
  v16: f32x2 = vec v15, v15
  v17: f32 = extract v16, 1
  v18: f32 = where v6, v17, v8
  v19: i32 = bitcast v18
  v20: f64 = cast v19
  v21: f32 = cast v20
  store c[v5] = v21 mask v6
  matrix_tile hd[v12, stride 16] += ha[v12, stride 16] * ha[v12, stride 16]
  barrier
}
";

#[test]
fn a_kernel_with_every_construct_round_trips() {
    let kernel =
        parse(EVERY_CONSTRUCT).unwrap_or_else(|e| panic!("{}", e.render("k", EVERY_CONSTRUCT)));
    assert_eq!(print(&kernel), EVERY_CONSTRUCT);
}

#[test]
fn names_are_renumbered_and_comments_and_layout_are_free() {
    let text = "# a comment\nkernel k(a: global f32[4] read_write) grid [1,1,1] workgroup [4,1,1] \
                subgroup 32 { x: i32 = local_id.x  y: f32 = load a[x] # two per line\n \
                z: f32 = add y, y store a[x] = z }";
    let kernel = parse(text).unwrap_or_else(|e| panic!("{}", e.render("k", text)));
    let want = "\
kernel k(a: global f32[4] read_write)
  grid [1, 1, 1] workgroup [4, 1, 1] subgroup 32
{
  v0: i32 = local_id.x
  v1: f32 = load a[v0]
  v2: f32 = add v1, v1
  store a[v0] = v2
}
";
    assert_eq!(print(&kernel), want);
}

#[test]
fn several_kernels_parse_with_parse_all_only() {
    let one = "kernel a() grid [1, 1, 1] workgroup [1, 1, 1] subgroup 32 {\n}\n";
    let two = format!("{one}\n{}", one.replace("kernel a", "kernel b"));
    let kernels = parse_all(&two).unwrap();
    let names: Vec<&str> = kernels.iter().map(|k| k.name()).collect();
    assert_eq!(names, ["a", "b"]);
    let e = parse(&two).unwrap_err();
    assert_eq!((e.line, e.col), (4, 1), "{e}");
    let dup = format!("{one}{one}");
    let e = parse_all(&dup).unwrap_err();
    assert!(
        e.message.contains("'a' is already defined at line 1"),
        "{e}"
    );
}

/// (text, line, col, part of the message)
const MALFORMED: &[(&str, usize, usize, &str)] = &[
    ("", 1, 1, "expected 'kernel'"),
    ("kernel k(", 1, 10, "expected a parameter name"),
    (
        "kernel k(a: global f33[4] read) grid [1, 1, 1] workgroup [1, 1, 1] subgroup 32 {}",
        1,
        20,
        "unknown dtype 'f33' (did you mean 'f32'?)",
    ),
    (
        "kernel k() grid [1, 1, 99999999999] workgroup [1, 1, 1] subgroup 32 {}",
        1,
        24,
        "too large",
    ),
    (
        "kernel k() grid [1, 1, 1] workgroup [2048, 1, 1] subgroup 32 {}",
        1,
        12,
        "2048 lanes per workgroup; at most 1024",
    ),
    (
        "kernel k() grid [1, 1, 1] workgroup [1, 1, 1] subgroup 32 {\n  v0: i32 = add v1, v1\n}",
        2,
        17,
        "'v1' is not defined",
    ),
    (
        "kernel k() grid [1, 1, 1] workgroup [1, 1, 1] subgroup 32 {\n  v0: i32 = local_id.x\n  v1: f32 = add v0, v0\n}",
        3,
        7,
        "written f32, but the definition gives i32",
    ),
    (
        "kernel k() grid [1, 1, 1] workgroup [1, 1, 1] subgroup 32 {\n  v0: i32 = local_id.x\n  v1: f32 = cast v0\n  v2: f32 = add v0, v1\n}",
        4,
        13,
        "operands v0: i32 and v1: f32 differ in type",
    ),
    (
        "kernel k() grid [1, 1, 1] workgroup [1, 1, 1] subgroup 32 {\n  v0: i32 = lcoal_id.x\n}",
        2,
        13,
        "unknown operation 'lcoal_id' (did you mean 'local_id'?)",
    ),
    (
        "kernel k() grid [1, 1, 1] workgroup [1, 1, 1] subgroup 32 {\n  v0: i32 = const 99999999999\n}",
        2,
        13,
        "99999999999 is not a value of i32",
    ),
    (
        "kernel k() grid [1, 1, 1] workgroup [1, 1, 1] subgroup 32 {\n  v0: i32 = const 0\n  for v1: i32 in v0..v0 {\n    v2: i32 = add v1, v1\n  }\n  v3: i32 = add v2, v2\n}",
        6,
        17,
        "'v2' is not defined here: it was defined at line 4 in a block that has ended",
    ),
    (
        "kernel k() grid [1, 1, 1] workgroup [1, 1, 1] subgroup 32 {\n  v0: i32 = const 0\n  v0: i32 = const 1\n}",
        3,
        3,
        "'v0' is already defined at line 2",
    ),
    (
        "kernel k() grid [1, 1, 1] workgroup [1, 1, 1] subgroup 32 {\n  v0: i32 = const 0\n",
        3,
        1,
        "expected '}' to close the kernel body",
    ),
    (
        "kernel k() grid [1, 1, 1] workgroup [64, 1, 1] subgroup 32 {\n  v0: i32 = local_id.x\n  v1: i32 = const 3\n  v2: bool = cmplt v0, v1\n  if v2 {\n    barrier\n  }\n}",
        6,
        5,
        "barrier: it is inside an if or loop whose condition or bounds differ",
    ),
    (
        "kernel k(a: global f32[8] read) grid [1, 1, 1] workgroup [1, 1, 1] subgroup 32 {\n  v0: i32 = const 2\n  v1: f32x4 = load a[v0]\n}",
        3,
        3,
        "the constant index 2 is not a multiple of the width 4",
    ),
    (
        "kernel k(a: global f32[8] read) grid [1, 1, 1] workgroup [1, 1, 1] subgroup 32 {\n  v0: i32 = const 0\n  v1: f32 = load a[v0] mask v0\n}",
        3,
        13,
        "the mask v0 is i32",
    ),
];

#[test]
fn malformed_text_is_an_error_at_its_line_and_column() {
    for &(text, line, col, message) in MALFORMED {
        let e = match parse(text) {
            Ok(k) => panic!("parsed:\n{text}\nas\n{}", print(&k)),
            Err(e) => e,
        };
        assert_eq!(
            (e.line, e.col),
            (line, col),
            "{text}\n{}",
            e.render("k.kir", text)
        );
        assert!(e.message.contains(message), "{text}\n{}", e.message);
    }
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    let depth = 100_000;
    let mut text = String::from(
        "kernel k() grid [1, 1, 1] workgroup [1, 1, 1] subgroup 32 {\n  v0: bool = const true\n",
    );
    text += &"if v0 {\n".repeat(depth);
    text += &"}\n".repeat(depth + 1);
    let e = parse(&text).unwrap_err();
    assert!(e.message.contains("nest more than 256 deep"), "{e}");
    assert_eq!(e.line, 3 + 256);
}

#[test]
fn invalid_utf8_is_an_error_at_the_byte() {
    let e = parse_bytes(b"kernel k() grid [1, 1, 1]\n  \xff").unwrap_err();
    assert_eq!((e.line, e.col), (2, 3));
    assert!(e.message.contains("not valid UTF-8"), "{e}");
}

/// Bytes that keep edits near valid text.
const ALPHABET: &[u8] = b"kv0123456789:=,.[]{}() \n#-+*xif32acc";

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Random edits of valid text: the parser either accepts (and then the kernel prints
    /// and parses back to the same bytes) or reports a position inside the text; it never
    /// panics.
    #[test]
    fn mutated_text_never_panics(
        edits in prop::collection::vec((any::<u16>(), 0u8..3, 0..ALPHABET.len()), 1..6)
    ) {
        let mut bytes = EVERY_CONSTRUCT.as_bytes().to_vec();
        for (at, kind, c) in edits {
            let at = usize::from(at) % (bytes.len() + 1);
            match kind {
                0 if at < bytes.len() => { bytes.remove(at); }
                1 => bytes.insert(at, ALPHABET[c]),
                _ if at < bytes.len() => bytes[at] = ALPHABET[c],
                _ => {}
            }
        }
        match parse_bytes(&bytes) {
            Ok(kernel) => {
                let text = print(&kernel);
                let again = parse(&text).map_err(|e| TestCaseError::fail(e.to_string()))?;
                prop_assert_eq!(print(&again), text);
            }
            Err(e) => {
                let lines = bytes.split(|&b| b == b'\n').count();
                prop_assert!(e.line >= 1 && e.line <= lines, "{} of {} lines", e.line, lines);
                prop_assert!(e.col >= 1);
            }
        }
    }
}

// ----- egpu run-kernel -----

#[test]
fn run_kernel_reports_malformed_files_with_file_line_col_and_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    for &(text, line, col, message) in MALFORMED {
        let file = write(dir.path(), "bad.kir", text);
        let path = file.to_str().unwrap();
        let (code, out, err) = egpu(&["run-kernel", path]);
        assert_eq!(code, 1, "{text}\n{out}{err}");
        let want = format!("{path}:{line}:{col}: error: ");
        assert!(err.starts_with(&want), "{err}");
        assert!(err.contains(message), "{err}");
        // The source line and a caret under the column follow.
        assert!(
            err.lines().nth(2).is_some_and(|l| l.ends_with('^')),
            "{err}"
        );
    }
}

#[test]
fn the_example_of_docs_kir_md_parses_in_canonical_form() {
    let doc =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/kir.md")).unwrap();
    let start = doc
        .find("```\nkernel ")
        .expect("docs/kir.md has an example kernel")
        + 4;
    let len = doc[start..].find("```").expect("the example ends");
    let example = &doc[start..start + len];
    let kernel = parse(example).unwrap_or_else(|e| panic!("{}", e.render("docs/kir.md", example)));
    assert_eq!(print(&kernel), example);
}

const SAXPY: &str = "\
kernel saxpy(x: global f32[8] read, y: global f32[8] read_write, n: i32)
  grid [2, 1, 1] workgroup [4, 1, 1] subgroup 32
{
  v0: i32 = workgroup_id.x
  v1: i32 = local_id.x
  v2: i32 = const 4
  v3: i32 = mul v0, v2
  v4: i32 = add v3, v1
  v5: i32 = param n
  v6: bool = cmplt v4, v5
  v7: f32 = load x[v4] mask v6
  v8: f32 = load y[v4] mask v6
  v9: f32 = const 2.0
  v10: f32 = mul v7, v9
  v11: f32 = add v10, v8
  store y[v4] = v11 mask v6
}
";

#[test]
fn run_kernel_takes_buffers_and_params_and_writes_the_written_buffers() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "saxpy.kir", SAXPY);
    let x: Vec<f32> = (0..8).map(|i| i as f32 * 0.5 - 1.0).collect();
    let y: Vec<f32> = (0..8).map(|i| 1.0 / (i as f32 + 3.0)).collect();
    let x_file = npy_f32(dir.path(), "x.npy", &x);
    let y_file = npy_f32(dir.path(), "y.npy", &y);
    let out_dir = dir.path().join("out");
    let (code, out, err) = egpu(&[
        "run-kernel",
        file.to_str().unwrap(),
        "--input",
        &format!("x={}", x_file.display()),
        "--input",
        &format!("y={}", y_file.display()),
        "--param",
        "n=6",
        "--output-dir",
        out_dir.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("ran kernel saxpy"), "{out}");
    // Only the writable buffer is written out.
    assert!(!out_dir.join("x.npy").exists());
    let bytes = std::fs::read(out_dir.join("y.npy")).unwrap();
    let got: Vec<f32> = npyz::NpyFile::new(&bytes[..]).unwrap().into_vec().unwrap();
    // Lanes 0..6 compute 2x + y (two f32 roundings); lanes 6 and 7 are masked off.
    let want: Vec<f32> = (0..8)
        .map(|i| if i < 6 { x[i] * 2.0 + y[i] } else { y[i] })
        .collect();
    assert_eq!(got, want);
}

#[test]
fn run_kernel_random_buffers_are_seeded_and_a_summary_is_printed() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "saxpy.kir", SAXPY);
    let path = file.to_str().unwrap();
    let first = egpu(&["run-kernel", path, "--param", "n=8", "--seed", "3"]);
    assert_eq!(first.0, 0, "{}", first.2);
    assert!(
        first
            .1
            .contains("buffer x: f32[8] read from random (seed 3)"),
        "{}",
        first.1
    );
    assert!(first.1.contains("buffer y: f32[8]\n  min "), "{}", first.1);
    assert_eq!(
        first,
        egpu(&["run-kernel", path, "--param", "n=8", "--seed", "3"])
    );
    assert_ne!(
        first.1,
        egpu(&["run-kernel", path, "--param", "n=8", "--seed", "4"]).1
    );
}

#[test]
fn run_kernel_rejects_bad_arguments_with_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "saxpy.kir", SAXPY);
    let path = file.to_str().unwrap();
    let two = write(
        dir.path(),
        "two.kir",
        format!("{SAXPY}{}", SAXPY.replace("saxpy(", "other(")),
    );
    let big = write(
        dir.path(),
        "big.kir",
        "kernel big() grid [100000, 1000, 1] workgroup [1, 1, 1] subgroup 32 {\n}\n",
    );
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec![path], "kernel saxpy needs --param n=VALUE (i32)"),
        (
            vec![path, "--param", "n=99999999999"],
            "--param n=99999999999: not a value of i32",
        ),
        (
            vec![path, "--param", "m=1"],
            "has no scalar parameter 'm' (its scalar parameters: n)",
        ),
        (
            vec![path, "--param", "n=1", "--input", "z=a.npy"],
            "has no buffer 'z' (its buffers: x, y)",
        ),
        (
            vec![path, "--param", "n=1", "--input", "x=/nonexistent.npy"],
            "/nonexistent.npy",
        ),
        (
            vec![two.to_str().unwrap(), "--param", "n=1"],
            "holds 2 kernels (saxpy, other): choose one with --kernel NAME",
        ),
        (
            vec![two.to_str().unwrap(), "--kernel", "nope"],
            "holds no such kernel (it holds saxpy, other)",
        ),
        (
            vec![big.to_str().unwrap()],
            "100000000 lanes; the interpreter runs at most 16777216",
        ),
        (vec!["/nonexistent.kir"], "cannot read /nonexistent.kir"),
    ];
    for (args, message) in cases {
        let mut argv = vec!["run-kernel"];
        argv.extend(args);
        let (code, out, err) = egpu(&argv);
        assert_eq!(code, 1, "{argv:?}\n{out}{err}");
        assert!(err.contains(message), "{argv:?}: {err}");
    }
    // --kernel picks one of several.
    let (code, out, err) = egpu(&[
        "run-kernel",
        two.to_str().unwrap(),
        "--kernel",
        "other",
        "--param",
        "n=2",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("ran kernel other"), "{out}");
}

#[test]
fn run_kernel_checks_a_target_s_limits_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "wide.kir",
        "kernel wide() grid [1, 1, 1] workgroup [64, 1, 1] subgroup 64 {\n}\n",
    );
    let path = file.to_str().unwrap();
    assert_eq!(egpu(&["run-kernel", path]).0, 0);
    let (code, _, err) = egpu(&["run-kernel", path, "--target", "sm_90"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("size 64, but sm_90 runs subgroups of 32"),
        "{err}"
    );
}

#[test]
fn run_kernel_reports_a_failing_kernel_with_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    // Workgroups 8 elements apart: workgroup 1 reads x[8], out of bounds at run time (the
    // index is not a constant, so the verifier cannot know).
    let file = write(
        dir.path(),
        "oob.kir",
        SAXPY.replace("v2: i32 = const 4", "v2: i32 = const 8"),
    );
    let (code, _, err) = egpu(&["run-kernel", file.to_str().unwrap(), "--param", "n=100"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("the kernel failed: kernel saxpy: index 8 is outside buffer x"),
        "{err}"
    );
}

const SPIN: &str = "\
kernel spin(y: global i32[1] write, n: i32)
  grid [1, 1, 1] workgroup [1, 1, 1] subgroup 32
{
  v0: i32 = const 0
  v1: i32 = param n
  acc0: i32 = init v0
  for v2: i32 in v0..v1 {
    v3: i32 = const 1
    acc0 = sum acc0, v3
  }
  v4: i32 = read acc0
  store y[v0] = v4
}
";

/// A kernel whose loop would run for hours stops at `--max-steps` with exit 1 and a message
/// naming the limit and the flag; the same kernel with a short loop runs under that limit.
#[test]
fn run_kernel_stops_a_runaway_loop_at_max_steps() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "spin.kir", SPIN);
    let path = file.to_str().unwrap();
    let long = [
        "run-kernel",
        path,
        "--param",
        "n=2000000000",
        "--max-steps",
        "100000",
    ];
    let (code, _, err) = egpu(&long);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("stopped after 100000 interpreter steps"),
        "{err}"
    );
    assert!(err.contains("--max-steps"), "{err}");
    let out_dir = dir.path().join("out");
    let short = [
        "run-kernel",
        path,
        "--param",
        "n=1000",
        "--max-steps",
        "100000",
        "--output-dir",
        out_dir.to_str().unwrap(),
    ];
    let (code, _, err) = egpu(&short);
    assert_eq!(code, 0, "{err}");
    let bytes = std::fs::read(out_dir.join("y.npy")).unwrap();
    let got: Vec<i32> = npyz::NpyFile::new(&bytes[..]).unwrap().into_vec().unwrap();
    assert_eq!(got, vec![1000]);
}
