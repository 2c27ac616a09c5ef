//! The `egpu` command, run in-process through `egpu::cli::run`: exit codes, messages, files.

use egpu_tests::cli::{egpu, npy_f32, npy_i32, npy_raw, write};
use egpu_tests::json::Json;
use std::process::{Command, Stdio};

/// Runs the built `egpu` binary (src/main.rs) with `args` and no stdin; returns (exit status,
/// stdout, stderr).
fn egpu_bin(args: &[&str]) -> (i32, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_egpu-cli"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (
        output.status.code().expect("egpu was killed by a signal"),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

const ADD: &str = "graph add(a: f32[4], b: f32[4]) {\n  y = add(a, b)\n  return y\n}\n";

#[test]
fn check_lists_inputs_and_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "add.egir", ADD.as_bytes());
    let (code, out, err) = egpu(&["check", file.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("inputs:\n  a: f32[4]\n  b: f32[4]\n"), "{out}");
    assert!(out.contains("outputs:\n  y: f32[4]\n"), "{out}");
}

#[test]
fn malformed_files_exit_1_with_file_line_col() {
    let cases: &[(&str, &str)] = &[
        (
            "graph g(x: f32[4]) {\n  y = softmx(x)\n  return y\n}\n",
            ":2:7: error: ",
        ),
        (
            "graph g(x: f32[4]) {\n  y = add(x)\n  return y\n}\n",
            ":2:7: error: ",
        ),
        (
            "graph g(x: f32[4], z: f32[3]) {\n  y = add(x, z)\n  return y\n}\n",
            ":2:7: error: ",
        ),
        ("graph g(x: f33[4]) {\n  return x\n}\n", ":1:12: error: "),
        (
            "graph g(x: f32[4]) {\n  y = neg(w)\n  return y\n}\n",
            ":2:11: error: ",
        ),
        ("", ":1:1: error: "),
        (
            "graph g(x: f32[4]) {\n  y = sum(x, axes=[3])\n  return y\n}\n",
            ":2:20: error: ",
        ),
    ];
    let dir = tempfile::tempdir().unwrap();
    for (i, (text, expected)) in cases.iter().enumerate() {
        let file = write(dir.path(), &format!("bad{i}.egir"), text.as_bytes());
        let (code, out, err) = egpu(&["check", file.to_str().unwrap()]);
        assert_eq!(code, 1, "case {i}: {out}{err}");
        let prefix = format!("{}{expected}", file.display());
        assert!(
            err.starts_with(&prefix),
            "case {i}: expected prefix {prefix:?}, got {err:?}"
        );
    }
}

#[test]
fn binary_junk_is_a_user_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "junk.egir", b"graph g(\xff\xfe\x00");
    let (code, _, err) = egpu(&["check", file.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(
        err.starts_with(&format!("{}:1:9: error: ", file.display())),
        "{err}"
    );
}

#[test]
fn missing_file_and_bad_flags_exit_1() {
    let (code, _, err) = egpu(&["check", "/nonexistent/x.egir"]);
    assert_eq!(code, 1);
    assert!(err.contains("cannot read /nonexistent/x.egir"), "{err}");
    let (code, _, _) = egpu(&["eval", "x.egir", "--seed", "minus-one"]);
    assert_eq!(code, 1);
    let (code, _, _) = egpu(&["frobnicate"]);
    assert_eq!(code, 1);
}

#[test]
fn help_and_version_exit_0() {
    let (code, out, _) = egpu(&["--help"]);
    assert_eq!(code, 0);
    for command in ["check", "fmt", "eval"] {
        assert!(out.contains(command), "{out}");
    }
    let (code, out, _) = egpu(&["eval", "--help"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("--input <NAME=FILE.npy>") && out.contains("--output-dir <DIR>"),
        "{out}"
    );
    assert_eq!(egpu(&["--version"]).0, 0);
    // The limits the help states are the ones the code applies.
    let (_, out, _) = egpu(&["--help"]);
    let graph_limit = egpu::bounded::size_text(egpu::bounded::GRAPH_FILE_LIMIT);
    let header_limit = egpu::npy::HEADER_LIMIT / 1024;
    assert!(
        out.contains(&format!("graph files at most {graph_limit}"))
            && out.contains(&format!("plus {header_limit} KiB of header")),
        "{out}"
    );
}

#[test]
fn fmt_check_fails_then_fmt_rewrites_canonically() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "add.egir", ADD.as_bytes());
    let path = file.to_str().unwrap();
    let (code, out, _) = egpu(&["fmt", "--check", path]);
    assert_eq!(code, 1);
    assert!(out.contains("not in canonical form"), "{out}");
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        ADD,
        "--check must not write"
    );
    let (code, out, err) = egpu(&["fmt", path]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("formatted"), "{out}");
    let canonical = std::fs::read_to_string(&file).unwrap();
    assert!(canonical.contains("y: f32[4] = add(a, b)"), "{canonical}");
    assert_eq!(egpu(&["fmt", "--check", path]).0, 0);
}

#[test]
fn eval_reads_npy_inputs_and_writes_npy_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "add.egir", ADD.as_bytes());
    let a = [1.5f32, -2.0, 1e-8, 3.0];
    let b = [0.25f32, 2.0, 1.0, f32::MAX];
    let a_file = npy_f32(dir.path(), "a.npy", &a);
    let b_file = npy_f32(dir.path(), "b.npy", &b);
    let out_dir = dir.path().join("out");
    let (code, out, err) = egpu(&[
        "eval",
        file.to_str().unwrap(),
        "--input",
        &format!("a={}", a_file.display()),
        "--input",
        &format!("b={}", b_file.display()),
        "--output-dir",
        out_dir.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("output y: f32[4]"), "{out}");
    let bytes = std::fs::read(out_dir.join("y.npy")).unwrap();
    let y: Vec<f32> = npyz::NpyFile::new(&bytes[..]).unwrap().into_vec().unwrap();
    let expected: Vec<f32> = a.iter().zip(&b).map(|(x, y)| x + y).collect();
    assert_eq!(y, expected);
}

#[test]
fn eval_random_inputs_are_deterministic_and_seeded() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "add.egir", ADD.as_bytes());
    let path = file.to_str().unwrap();
    let first = egpu(&["eval", path, "--seed", "7"]);
    assert_eq!(first.0, 0, "{}", first.2);
    assert!(
        first.1.contains("input a: f32[4] from random (seed 7)"),
        "{}",
        first.1
    );
    assert_eq!(first, egpu(&["eval", path, "--seed", "7"]));
    assert_ne!(first.1, egpu(&["eval", path, "--seed", "8"]).1);
}

#[test]
fn eval_rejects_bad_inputs() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "add.egir", ADD.as_bytes());
    let path = file.to_str().unwrap();
    let short = npy_f32(dir.path(), "short.npy", &[1.0, 2.0]);
    let (code, _, err) = egpu(&["eval", path, "--input", &format!("a={}", short.display())]);
    assert_eq!(code, 1);
    assert!(
        err.contains("input 'a' is f32[4] but the file holds f32[2]"),
        "{err}"
    );
    let (code, _, err) = egpu(&["eval", path, "--input", &format!("q={}", short.display())]);
    assert_eq!(code, 1);
    assert!(err.contains("has no input 'q' (its inputs: a, b)"), "{err}");
    let junk = write(dir.path(), "junk.npy", b"not numpy at all");
    let (code, _, err) = egpu(&["eval", path, "--input", &format!("a={}", junk.display())]);
    assert_eq!(code, 1);
    assert!(err.contains("not a valid .npy file"), "{err}");
    let (code, _, err) = egpu(&["eval", path, "--input", "a"]);
    assert_eq!(code, 1);
    assert!(err.contains("expected NAME=FILE.npy"), "{err}");
}

#[test]
fn eval_error_in_evaluation_is_a_user_error() {
    let dir = tempfile::tempdir().unwrap();
    let text = "graph g(a: i32[2]) {\n  y = idiv(a, 0)\n  return y\n}\n";
    let file = write(dir.path(), "div.egir", text.as_bytes());
    let (code, _, err) = egpu(&["eval", file.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(
        err.contains("evaluation failed") && err.contains("zero"),
        "{err}"
    );
}

fn example(name: &str) -> String {
    egpu_tests::example_path(name).display().to_string()
}

#[test]
fn compile_prints_each_stage() {
    let file = example("softmax");
    let (code, out, err) = egpu(&["compile", &file, "--target", "sm_90", "--emit", "schedule"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("schedule softmax: 1 kernel"), "{out}");
    let (code, out, _) = egpu(&["compile", &file, "--target", "gfx1100"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("kernel k0_softmax(") && out.contains("subgroup_sum"),
        "{out}"
    );
    let (code, out, _) = egpu(&["compile", &file, "--target", "gfx1100", "--emit", "graph"]);
    assert_eq!(code, 0);
    assert_eq!(out, std::fs::read_to_string(&file).unwrap());
}

#[test]
fn compile_verbose_reports_the_passes_on_stderr() {
    let (code, _, err) = egpu(&["compile", &example("layernorm"), "--target", "sm_80", "-v"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("simplify: ") && err.contains("saturated"),
        "{err}"
    );
    assert!(
        err.contains("schedule: 1 kernel(s)") && err.contains("optimize: k0_"),
        "{err}"
    );
}

#[test]
fn compile_rejects_unknown_targets_stages_and_passes() {
    let file = example("add");
    let (code, _, err) = egpu(&["compile", &file, "--target", "sm_70"]);
    assert_eq!(code, 1);
    assert!(err.contains("sm_70") && err.contains("gfx1100"), "{err}");
    let (code, _, err) = egpu(&["compile", &file, "--target", "sm_90", "--emit", "sass"]);
    assert_eq!(code, 1);
    assert!(err.contains("sass") && err.contains("ptx"), "{err}");
    let (code, _, err) = egpu(&["compile", &file, "--target", "gfx1100", "--emit", "ptx"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("gfx1100 is not an NVIDIA target") && err.contains("sm_80"),
        "{err}"
    );
    let (code, _, err) = egpu(&[
        "compile",
        &file,
        "--target",
        "sm_90",
        "--disable-pass",
        "lower",
    ]);
    assert_eq!(code, 1);
    assert!(
        err.contains("'lower'") && err.contains("simplify, optimize"),
        "{err}"
    );
}

#[test]
fn compile_writes_kernels_manifest_and_dumps() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("out");
    let dump_dir = dir.path().join("dump");
    let (code, out, err) = egpu(&[
        "compile",
        &example("mlp"),
        "--target",
        "sm_90",
        "-o",
        out_dir.to_str().unwrap(),
        "--dump-dir",
        dump_dir.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("wrote 3 kernel(s) ("), "{out}");
    let manifest = std::fs::read_to_string(out_dir.join("manifest.json")).unwrap();
    for needle in [
        "\"target\": \"sm_90\"",
        "\"name\": \"x\"",
        "\"role\": \"output\"",
        "\"grid\": [",
        "\"bindings\": [",
    ] {
        assert!(
            manifest.contains(needle),
            "{needle} missing from {manifest}"
        );
    }
    let kernels = manifest.matches("\"file\": \"k").count();
    assert_eq!(kernels, 3, "{manifest}");
    // Each kernel's PTX is written and named in the manifest beside its IR.
    let mut kernels: Vec<String> = std::fs::read_dir(&out_dir)
        .unwrap()
        .filter_map(|e| e.unwrap().file_name().into_string().ok())
        .filter_map(|f| f.strip_suffix(".kir").map(str::to_string))
        .collect();
    kernels.sort();
    assert_eq!(kernels.len(), 3, "{kernels:?}");
    for kernel in kernels {
        let ptx = std::fs::read_to_string(out_dir.join(format!("{kernel}.ptx"))).unwrap();
        assert!(ptx.contains(&format!(".visible .entry {kernel}(")), "{ptx}");
        assert!(ptx.contains(".target sm_90"), "{ptx}");
        assert!(
            manifest.contains(&format!("\"ptx\": \"{kernel}.ptx\"")),
            "{manifest}"
        );
    }
    for stage in ["0-graph", "1-simplified", "2-schedule", "3-kernels"] {
        assert!(dump_dir.join(format!("{stage}.txt")).exists(), "{stage}");
    }
}

#[test]
fn run_check_passes_on_examples() {
    for name in ["gelu_chain", "matmul_f16", "sum_rows"] {
        let (code, out, err) = egpu(&[
            "run",
            &example(name),
            "--device",
            "cpu",
            "--target",
            "sm_90",
            "--check",
        ]);
        assert_eq!(code, 0, "{name}: {out}{err}");
        assert!(
            out.contains("ran 1 kernel(s) on cpu") && out.contains(": ok"),
            "{out}"
        );
    }
}

#[test]
fn run_rejects_unknown_devices_and_a_missing_driver() {
    let (code, _, err) = egpu(&["run", &example("add"), "--device", "gpu"]);
    assert_eq!(code, 1);
    assert!(
        err.contains(
            "--device gpu: unknown device 'gpu' (devices: cpu, emu, cuda, cuda:N, hsa, hsa:N)"
        ),
        "{err}"
    );
    let (code, _, err) = egpu(&[
        "run",
        &example("add"),
        "--target",
        "gfx1100",
        "--device",
        "cuda",
    ]);
    // This machine has no CUDA driver: a clear one-line error, never a panic. (On a machine
    // with a GPU, gfx1100 code is refused for the cuda device instead.)
    assert_eq!(code, 1, "{err}");
    assert!(err.starts_with("error: --device cuda: "), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
}

/// The suite's graphs in the order of docs/architecture.md's table.
const SUITE: [&str; 8] = [
    "add",
    "gelu_chain",
    "sum_rows",
    "sum_all",
    "softmax",
    "layernorm",
    "matmul_f32",
    "matmul_f16",
];

/// The suite's metric per graph: TFLOP/s for the two matrix products, GB/s for the rest.
fn suite_unit(name: &str) -> &'static str {
    if name.starts_with("matmul") {
        "TFLOP/s"
    } else {
        "GB/s"
    }
}

fn parse_json(out: &str) -> Json {
    egpu_tests::json::parse(out).unwrap_or_else(|e| panic!("not JSON ({e}):\n{out}"))
}

/// `bench --device emu --size small` runs the built-in suite on the RDNA3 emulator: a row
/// per graph in the table's order, each verified against the reference interpreter, with a
/// positive run time and rate, and the copy bandwidth measured in the header.
#[test]
fn bench_runs_the_suite_on_the_emulator_and_verifies_every_row() {
    let args = ["bench", "--device", "emu", "--size", "small", "--runs", "2"];
    let (code, out, err) = egpu_bin(&args);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        err.is_empty(),
        "no progress bar when stderr is not a terminal: {err}"
    );
    let mut lines = out.lines();
    let header = lines.next().unwrap();
    assert!(
        header.starts_with("device emu (")
            && header.contains("size small")
            && header.contains("2 timed runs"),
        "{header}"
    );
    let copy = lines.next().unwrap();
    assert!(
        copy.starts_with("copy (y = x, 2^16 f32, read + write) "),
        "{copy}"
    );
    let columns = lines.next().unwrap();
    for column in [
        "graph",
        "kernels",
        "compile ms",
        "run ms",
        "rate",
        "% copy",
        "check",
    ] {
        assert!(columns.contains(column), "{columns}");
    }
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), SUITE.len(), "{out}");
    for (row, name) in rows.iter().zip(SUITE) {
        let fields: Vec<&str> = row.split_whitespace().collect();
        assert_eq!(fields[0], name, "{row}");
        let kernels: usize = fields[1].parse().unwrap();
        assert!(kernels >= 1, "{row}");
        for number in [fields[2], fields[3], fields[4]] {
            let value: f64 = number.parse().unwrap_or_else(|_| panic!("{row}"));
            assert!(value > 0.0, "{row}");
        }
        assert_eq!(fields[5], suite_unit(name), "{row}");
        assert!(row.ends_with("ok (every element)"), "{row}");
    }
}

/// `--json`: one object with the device, size, measured bandwidths and one row per suite
/// graph, each verified, with the fields docs/benchmarks.md lists.
#[test]
fn bench_json_has_a_verified_row_per_suite_graph() {
    let (code, out, err) = egpu(&["bench", "--device", "emu", "--runs", "1", "--json"]);
    assert_eq!(code, 0, "{err}");
    let json = parse_json(&out);
    let device = json["device"].as_str().unwrap();
    assert!(device.starts_with("emu "), "{device}");
    assert_eq!(json["size"], "small", "the emulator's default size");
    assert_eq!(json["target"], "gfx1100");
    assert_eq!(json["warmup"].as_u64(), Some(1));
    assert_eq!(json["runs"].as_u64(), Some(1));
    for key in ["copy_gbps", "upload_gbps", "download_gbps"] {
        assert!(json[key].as_f64().is_some_and(|v| v > 0.0), "{key}: {out}");
    }
    let rows = json["rows"].as_array().unwrap();
    let names: Vec<&str> = rows.iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert_eq!(names, SUITE);
    let copy_gbps = json["copy_gbps"].as_f64().unwrap();
    for row in rows {
        let name = row["name"].as_str().unwrap();
        assert_eq!(row["verified"], true, "{row}");
        assert_eq!(row["check"], "every element", "{row}");
        assert_eq!(row["unit"], suite_unit(name), "{row}");
        assert!(row["kernels"].as_u64().is_some_and(|k| k >= 1), "{row}");
        for key in ["compile_ms", "run_ms", "value"] {
            assert!(row[key].as_f64().is_some_and(|v| v > 0.0), "{key}: {row}");
        }
        let percent = &row["percent_of_copy"];
        if suite_unit(name) == "GB/s" {
            let want = 100.0 * row["value"].as_f64().unwrap() / copy_gbps;
            let got = percent.as_f64().unwrap();
            assert!((got - want).abs() <= 0.01 * want, "{row}: {got} vs {want}");
        } else {
            assert!(percent.is_null(), "{row}");
        }
    }
}

/// `--device cpu` with files: the kernel-IR interpreter runs each file, checked whole; the
/// matrix product is measured in TFLOP/s.
#[test]
fn bench_device_cpu_runs_files() {
    let (code, out, err) = egpu(&[
        "bench",
        "--device",
        "cpu",
        "--runs",
        "1",
        "--json",
        &example("add"),
        &example("matmul_f32"),
    ]);
    assert_eq!(code, 0, "{err}");
    let json = parse_json(&out);
    assert_eq!(json["device"], "cpu (kernel-IR interpreter)");
    let rows = json["rows"].as_array().unwrap();
    let summary: Vec<(&str, &str, bool)> = rows
        .iter()
        .map(|r| {
            let verified = r["verified"] == true;
            (
                r["name"].as_str().unwrap(),
                r["unit"].as_str().unwrap(),
                verified,
            )
        })
        .collect();
    assert_eq!(
        summary,
        [("add", "GB/s", true), ("matmul_f32", "TFLOP/s", true)]
    );
}

/// Bad --size and unknown devices are one-line user errors (exit 1).
#[test]
fn bench_rejects_a_bad_size_and_an_unknown_device() {
    let (code, out, err) = egpu(&["bench", "--device", "emu", "--size", "medium"]);
    assert_eq!(code, 1, "{out}{err}");
    assert_eq!(err, "error: --size medium: expected small or full\n");
    let (code, _, err) = egpu(&["bench", "--device", "tpu"]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("error: --device tpu: unknown device 'tpu'"),
        "{err}"
    );
    let (code, _, err) = egpu(&["bench", "--device", "emu", "--target", "sm_90"]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(err, "error: --target sm_90: device emu runs gfx1100 code\n");
    let (code, _, err) = egpu(&["bench", "--compile-only", "--device", "emu"]);
    assert_eq!(code, 1, "{err}");
}

#[test]
fn bench_compile_only_prints_a_table_or_json() {
    let (code, out, err) = egpu(&["bench", "--compile-only", &example("add")]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("\nadd ") && out.contains("(ms)"), "{out}");
    let header = out.lines().nth(1).unwrap();
    for column in [
        "kernels", "total", "simplify", "schedule", "optimize", "lower", "hsaco",
    ] {
        assert!(header.contains(column), "{header}");
    }
    let (code, out, err) = egpu(&[
        "bench",
        "--compile-only",
        "--json",
        "--target",
        "sm_90",
        &example("add"),
        &example("softmax"),
    ]);
    assert_eq!(code, 0, "{err}");
    let json = parse_json(&out);
    assert_eq!(json["target"], "sm_90");
    let rows = json["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    for (row, name) in rows.iter().zip(["add", "softmax"]) {
        assert_eq!(row["name"], name);
        assert!(row["compile_ms"].as_f64().is_some_and(|v| v > 0.0), "{row}");
        assert!(row["ptx_ms"].as_f64().is_some_and(|v| v > 0.0), "{row}");
        assert!(row["passes"]["simplify"].as_f64().is_some(), "{row}");
    }
}

/// A graph too large for the interpreters is refused before anything is allocated.
#[test]
fn graphs_too_large_for_the_interpreter_are_refused_not_allocated() {
    let dir = tempfile::tempdir().unwrap();
    let text = "graph big(x: f32[100000, 100000]) {\n  y = neg(x)\n  return y\n}\n";
    let file = write(dir.path(), "big.egir", text.as_bytes());
    for command in ["eval", "run"] {
        let (code, _, err) = egpu(&[command, file.to_str().unwrap()]);
        assert_eq!(code, 1, "{command}");
        assert!(
            err.contains("input 'x' (f32[100000, 100000]) has 10000000000 elements"),
            "{command}: {err}"
        );
    }
    let (code, out, err) = egpu(&["check", file.to_str().unwrap()]);
    assert_eq!(code, 0, "checking a large graph is fine: {err}");
    assert!(out.contains("x: f32[100000, 100000]"), "{out}");
}

// ---- exit codes: 0 success, 1 the user's to fix, 2 a bug or a tool failure ----

/// Every command that succeeds exits 0 from the real binary.
#[test]
fn exit_0_for_every_command_that_succeeds() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "add.egir", ADD.as_bytes());
    let path = file.to_str().unwrap();
    let out = dir.path().join("out");
    let out = out.to_str().unwrap();
    for args in [
        vec!["check", path],
        vec!["fmt", path],
        vec!["fmt", "--check", path],
        vec!["eval", path, "--output-dir", out],
        vec!["compile", path, "--target", "sm_90", "-o", out],
        vec!["run", path, "--check", "--output-dir", out],
        vec!["bench", "--device", "cpu", "--runs", "1", path],
    ] {
        let (code, _, err) = egpu_bin(&args);
        assert_eq!(code, 0, "{args:?}: {err}");
        assert!(err.is_empty(), "{args:?}: {err}");
    }
}

/// A graph that does not parse, for each command that reads one.
#[test]
fn exit_1_for_a_bad_graph() {
    let dir = tempfile::tempdir().unwrap();
    let text = "graph g(x: f32[4]) {\n  y = softmx(x)\n  return y\n}\n";
    let file = write(dir.path(), "bad.egir", text.as_bytes());
    let path = file.to_str().unwrap();
    for args in [
        vec!["check", path],
        vec!["fmt", path],
        vec!["eval", path],
        vec!["compile", path, "--target", "sm_90"],
        vec!["run", path],
        vec!["bench", "--compile-only", path],
        vec!["bench", "--device", "cpu", path],
    ] {
        let (code, _, err) = egpu_bin(&args);
        assert_eq!(code, 1, "{args:?}: {err}");
        assert!(
            err.starts_with(&format!("{path}:2:7: error: unknown op 'softmx'")),
            "{args:?}: {err}"
        );
    }
}

#[test]
fn exit_1_for_a_bad_flag() {
    let file = example("add");
    for args in [
        vec!["check", &file, "--frobnicate"],
        vec!["compile", &file, "--target", "sm_70"],
        vec!["eval", &file, "--seed", "-"],
        vec!["run", &file, "--device", "tpu"],
        vec!["eval", &file, "--input", "nosuch=x.npy"],
    ] {
        let (code, _, err) = egpu_bin(&args);
        assert_eq!(code, 1, "{args:?}: {err}");
        assert!(err.starts_with("error: "), "{args:?}: {err}");
    }
}

/// Bad `.npy` inputs: not a .npy, the wrong dtype, the wrong shape, bytes after the array, a
/// truncated array. Each names the file and the problem.
#[test]
fn exit_1_for_a_bad_npy() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "add.egir", ADD.as_bytes());
    let path = file.to_str().unwrap();
    let good: Vec<u8> = [1f32, 2.0, 3.0, 4.0]
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    let mut trailing = good.clone();
    trailing.extend_from_slice(b"junk");
    let cases = [
        (
            write(dir.path(), "junk.npy", b"not numpy"),
            "not a valid .npy file",
        ),
        (
            npy_i32(dir.path(), "int.npy", &[1, 2, 3, 4]),
            "input 'a' is f32[4] but the file holds i32[4]",
        ),
        (
            npy_f32(dir.path(), "short.npy", &[1.0, 2.0]),
            "input 'a' is f32[4] but the file holds f32[2]",
        ),
        (
            npy_raw(dir.path(), "trailing.npy", "<f4", 4, &trailing),
            "4 bytes of trailing data after the array",
        ),
        (
            npy_raw(dir.path(), "truncated.npy", "<f4", 4, &good[..12]),
            "the file is truncated",
        ),
    ];
    for (npy, message) in cases {
        for command in ["eval", "run"] {
            let input = format!("a={}", npy.display());
            let (code, _, err) = egpu_bin(&[command, path, "--input", &input]);
            assert_eq!(code, 1, "{command} {input}: {err}");
            assert!(
                err.starts_with(&format!("error: {}: ", npy.display())) && err.contains(message),
                "{command} {input}: want {message:?}, got {err}"
            );
        }
    }
    // The same bytes without the trailing junk are accepted.
    let exact = npy_raw(dir.path(), "exact.npy", "<f4", 4, &good);
    let (code, _, err) = egpu_bin(&["eval", path, "--input", &format!("a={}", exact.display())]);
    assert_eq!(code, 0, "{err}");
}

/// Output folders that are files, or lie under a file, for every command that writes one.
#[test]
fn exit_1_for_an_output_dir_that_is_a_file_or_unwritable() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "add.egir", ADD.as_bytes());
    let path = file.to_str().unwrap();
    let taken = write(dir.path(), "taken", b"a file");
    let taken = taken.to_str().unwrap();
    let under = format!("{taken}/sub");
    for (target, message) in [
        (taken, "it exists and is not a folder"),
        (&under, "cannot write"),
    ] {
        for args in [
            vec!["eval", path, "--output-dir", target],
            vec!["run", path, "--output-dir", target],
            vec!["compile", path, "--target", "sm_90", "-o", target],
            vec!["compile", path, "--target", "sm_90", "--dump-dir", target],
        ] {
            let (code, _, err) = egpu_bin(&args);
            assert_eq!(code, 1, "{args:?}: {err}");
            assert!(
                err.starts_with("error: cannot write") && err.contains(message),
                "{args:?}: {err}"
            );
            assert_eq!(err.matches("error:").count(), 1, "one prefix: {err}");
        }
    }
}

/// An integer division by zero in the user's data is theirs to fix, in the reference
/// interpreter (`eval`) and in the kernels run by the kernel-IR interpreter (`run --device
/// cpu`) alike. (A GPU or the emulator computes the hardware's quotient without a trap;
/// `run --check` then reports the division by zero from the reference.)
#[test]
fn exit_1_for_a_division_by_zero_in_the_data() {
    let dir = tempfile::tempdir().unwrap();
    let text = "graph g(a: i32[4], b: i32[4]) {\n  y = idiv(a, b)\n  return y\n}\n";
    let file = write(dir.path(), "div.egir", text.as_bytes());
    let a = npy_i32(dir.path(), "a.npy", &[1, 2, 3, 4]);
    let b = npy_i32(dir.path(), "b.npy", &[1, 2, 0, 4]);
    let inputs = [format!("a={}", a.display()), format!("b={}", b.display())];
    for command in [
        vec!["eval"],
        vec!["run", "--device", "cpu"],
        vec!["run", "--check"],
    ] {
        let mut args = command.clone();
        args.extend([
            file.to_str().unwrap(),
            "--input",
            &inputs[0],
            "--input",
            &inputs[1],
        ]);
        let (code, _, err) = egpu_bin(&args);
        assert_eq!(code, 1, "{command:?}: {err}");
        assert!(
            err.starts_with("error: ") && err.contains("division by zero"),
            "{command:?}: {err}"
        );
    }
}

/// A failing tool, here a terminal that takes no output (/dev/full), is exit 2 with one
/// prefix.
#[test]
fn exit_2_for_a_tool_failure() {
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_egpu-cli"))
        .args(["check", &example("add")])
        .stdout(full)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert!(
        err.starts_with("internal error: cannot write output: "),
        "{err}"
    );
    assert_eq!(err.matches("error:").count(), 1, "one prefix: {err}");
}

/// Several files given to `fmt`: each failure printed once with its own prefix.
#[test]
fn fmt_reports_each_failing_file_once() {
    let dir = tempfile::tempdir().unwrap();
    let bad = write(
        dir.path(),
        "bad.egir",
        b"graph g(x: f32[4]) {\n  return z\n}\n",
    );
    let good = write(dir.path(), "good.egir", ADD.as_bytes());
    let missing = dir.path().join("missing.egir");
    let (code, out, err) = egpu_bin(&[
        "fmt",
        bad.to_str().unwrap(),
        good.to_str().unwrap(),
        missing.to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(
        out.contains(&format!("formatted {}", good.display())),
        "{out}"
    );
    let lines: Vec<&str> = err.lines().filter(|l| l.contains("error")).collect();
    assert_eq!(lines.len(), 2, "{err}");
    assert!(
        lines[0].starts_with(&format!("{}:2:10: error: ", bad.display())),
        "{err}"
    );
    assert!(
        lines[1].starts_with(&format!("error: cannot read {}", missing.display())),
        "{err}"
    );
}

// ---- input caps ----

/// `/dev/zero` as a graph file is cut off at the documented limit, not read until memory
/// runs out.
#[test]
fn dev_zero_as_a_graph_file_fails_at_the_limit() {
    for command in ["check", "fmt"] {
        let (code, _, err) = egpu_bin(&[command, "/dev/zero"]);
        assert_eq!(code, 1, "{err}");
        assert_eq!(
            err.trim_end(),
            "error: /dev/zero is larger than 128 MiB, the limit for a graph file"
        );
    }
}

/// `/dev/zero` as an input: the limit is the input's size plus the largest header.
#[test]
fn dev_zero_as_an_input_fails_at_the_limit() {
    for command in ["eval", "run"] {
        let (code, _, err) = egpu_bin(&[command, &example("add"), "--input", "a=/dev/zero"]);
        assert_eq!(code, 1, "{err}");
        assert!(
            err.starts_with("error: /dev/zero is larger than ")
                && err.contains("the limit for input 'a'")
                && err.contains("plus at most 65536 bytes of header"),
            "{err}"
        );
    }
}

/// An error on a 1 MB line shows a window of it, with the caret under the right character.
#[test]
fn a_diagnostic_on_a_long_line_stays_short() {
    let dir = tempfile::tempdir().unwrap();
    let spaces = " ".repeat(1 << 20);
    let text = format!("graph g(x: f32[4]) {{\n  y ={spaces}neg(w){spaces}\n  return y\n}}\n");
    let file = write(dir.path(), "long.egir", text.as_bytes());
    let (code, _, err) = egpu_bin(&["check", file.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(err.len() < 600, "{} bytes: {err:.600}", err.len());
    let lines: Vec<&str> = err.lines().collect();
    let col = 2 + 3 + (1 << 20) + 5;
    assert!(
        lines[0].ends_with(&format!(":2:{col}: error: undefined value 'w'")),
        "{err}"
    );
    let at = lines[2].find('^').unwrap();
    assert_eq!(&lines[1][at - 4..at + 2], "neg(w)", "{err}");
}

/// A malformed 60 KB `.npy` header is refused with a short message, not echoed whole.
#[test]
fn a_bad_npy_header_is_not_echoed_whole() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "add.egir", ADD.as_bytes());
    let mut header = b"{'descr': '<f4', 'fortran_order': False, 'shape': (4,), ".to_vec();
    header.resize(60_000, b'x');
    header.extend_from_slice(b"}\n");
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    bytes.extend_from_slice(&(header.len() as u16).to_le_bytes());
    bytes.extend_from_slice(&header);
    bytes.extend_from_slice(&[0; 16]);
    let npy = write(dir.path(), "bad.npy", &bytes);
    let input = format!("a={}", npy.display());
    let (code, _, err) = egpu_bin(&["eval", file.to_str().unwrap(), "--input", &input]);
    assert_eq!(code, 1, "{err:.500}");
    assert!(err.contains("not a valid .npy file"), "{err:.500}");
    assert!(err.len() < 600, "{} bytes: {err:.600}", err.len());
}

/// `run -v` says where the time and the bytes went: one line per launch naming its kernel,
/// and the transfer account, whose byte counts are the graph's inputs (host → device) and
/// outputs (device → host), computed here from the declared shapes.
#[test]
fn run_verbose_names_each_launch_and_counts_the_bytes_each_way() {
    let file = example("mlp");
    let (code, out, err) = egpu(&["run", &file, "--device", "emu", "-v"]);
    assert_eq!(code, 0, "{err}");
    let graph = egpu_ir::text::parse(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let bytes = |ids: Vec<egpu_ir::NodeId>| -> usize {
        ids.iter()
            .map(|&id| {
                let node = graph.node(id);
                node.shape.numel() * node.dtype.size_bytes()
            })
            .sum()
    };
    let to_device = bytes(graph.inputs().to_vec());
    let to_host = bytes(graph.outputs().iter().map(|o| o.node).collect());
    assert_eq!(
        (to_device, to_host),
        (46_632, 1_280),
        "mlp's inputs and output"
    );
    assert!(
        out.contains("transfers: host->device 45.5 KiB in 5 copies")
            && out.contains("device->host 1.2 KiB in 1 copies"),
        "{out}"
    );
    let launches: Vec<&str> = out.lines().filter(|l| l.starts_with("  launch ")).collect();
    assert_eq!(launches.len(), 3, "{out}");
    assert!(
        launches[0].starts_with("  launch 0 k0_") && launches[0].ends_with(" ms"),
        "{out}"
    );
}
