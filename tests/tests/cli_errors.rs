//! The `egpu` binary's error paths and `devices`: every usage or input mistake is exit 1 with
//! one line on stderr; `devices` lists what opens here and marks what `run` would pick.

#[path = "../../runtime/tests/mock_lib/mod.rs"]
mod mock_lib;

use egpu_runtime::{CudaDevice, DeviceError};
use egpu_tests::example_path;
use egpu_tests::json::{self, Json};
use std::process::{Command, Stdio};

/// Runs the built `egpu` binary with `args` and `EGPU_DEVICE` set to `device` (or unset);
/// returns (exit status, stdout, stderr).
fn egpu_env(args: &[&str], device: Option<&str>) -> (i32, String, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_egpu-cli"));
    command.args(args).stdin(Stdio::null());
    match device {
        Some(name) => command.env("EGPU_DEVICE", name),
        None => command.env_remove("EGPU_DEVICE"),
    };
    let output = command.output().unwrap();
    (
        output.status.code().expect("egpu was killed by a signal"),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn egpu(args: &[&str]) -> (i32, String, String) {
    egpu_env(args, None)
}

/// Asserts `args` exits 1 with exactly one `error: ` line on stderr containing `needle`.
fn assert_one_line_error(args: &[&str], device: Option<&str>, needle: &str) {
    let (code, out, err) = egpu_env(args, device);
    assert_eq!(code, 1, "{args:?}: {out}{err}");
    assert_eq!(err.lines().count(), 1, "{args:?}: {err:?}");
    assert!(err.starts_with("error: "), "{args:?}: {err:?}");
    assert!(err.contains(needle), "{args:?}: want {needle:?} in {err:?}");
}

/// The subcommands that read one input file, with the flags each needs besides it.
const FILE_COMMANDS: [&[&str]; 9] = [
    &["check"],
    &["fmt"],
    &["fmt", "--check"],
    &["eval"],
    &["compile", "--target", "sm_90"],
    &["disasm"],
    &["run"],
    &["run-kernel"],
    &["bench", "--compile-only"],
];

#[test]
fn a_missing_or_unreadable_file_is_one_line_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().to_str().unwrap();
    for command in FILE_COMMANDS {
        let missing = [command, &["/nonexistent/x.egir"]].concat();
        assert_one_line_error(&missing, None, "cannot read /nonexistent/x.egir");
        // A folder where a file is wanted (tests may run as root, who can read any file).
        let unreadable = [command, &[folder]].concat();
        assert_one_line_error(&unreadable, None, &format!("cannot read {folder}"));
    }
}

#[test]
fn a_bad_flag_is_one_line_pointing_at_the_help() {
    let add = example_path("add");
    let add = add.to_str().unwrap();
    for command in FILE_COMMANDS {
        let args = [command, &[add, "--frobnicate"]].concat();
        let see = format!("(see 'egpu {} --help')", command[0]);
        assert_one_line_error(&args, None, "unexpected argument '--frobnicate'");
        assert_one_line_error(&args, None, &see);
    }
    assert_one_line_error(&["devices", "--frob"], None, "'--frob'");
    assert_one_line_error(&["devices", "extra"], None, "unexpected argument 'extra'");
    assert_one_line_error(&["frobnicate"], None, "unrecognized subcommand");
    assert_one_line_error(&[], None, "no command given (commands: check,");
    // A missing argument names it; a missing flag value names the flag.
    assert_one_line_error(
        &["eval"],
        None,
        "required arguments were not provided: <FILE>",
    );
    assert_one_line_error(&["run", add, "--device"], None, "'--device <DEVICE>'");
}

#[test]
fn a_bad_target_is_one_line_listing_the_targets() {
    let add = example_path("add");
    let add = add.to_str().unwrap();
    // Flags are checked before any file is read, so the .kir file need not exist.
    for args in [
        vec!["compile", add, "--target", "sm_70"],
        vec!["run", add, "--target", "sm_70"],
        vec!["run-kernel", "k.kir", "--target", "sm_70"],
        vec!["bench", "--compile-only", add, "--target", "sm_70"],
    ] {
        assert_one_line_error(&args, None, "invalid value 'sm_70' for '--target <TARGET>'");
        assert_one_line_error(&args, None, "[possible values: gfx1100, sm_80");
    }
}

#[test]
fn a_bad_device_is_one_line_listing_the_devices() {
    let add = example_path("add");
    let add = add.to_str().unwrap();
    for args in [
        vec!["run", add, "--device", "tpu"],
        vec!["bench", "--device", "tpu", add],
    ] {
        assert_one_line_error(
            &args,
            None,
            "--device tpu: unknown device 'tpu' (devices: cpu,",
        );
    }
}

#[test]
fn help_and_version_still_print_in_full_and_exit_0() {
    for args in [
        &["--help"][..],
        &["help"],
        &["devices", "--help"],
        &["help", "run"],
    ] {
        let (code, out, err) = egpu(args);
        assert_eq!(code, 0, "{args:?}: {err}");
        assert!(out.lines().count() > 5 && out.contains("Usage:"), "{out}");
    }
    let (code, out, _) = egpu(&["--version"]);
    assert_eq!(code, 0);
    assert_eq!(out, format!("egpu {}\n", env!("CARGO_PKG_VERSION")));
}

/// One row of `devices`' table: (marked default, name, target column, status word, text).
fn table(out: &str) -> Vec<(bool, String, String, String, String)> {
    out.lines()
        .filter(|l| !l.starts_with("* = "))
        .map(|line| {
            let mark = line.starts_with('*');
            let mut words = line[1..].split_whitespace();
            let mut next = || words.next().unwrap_or_default().to_string();
            let (name, target, status) = (next(), next(), next());
            let rest = line.split_once(&status).map_or("", |(_, r)| r.trim());
            (mark, name, target, status, rest.to_string())
        })
        .collect()
}

/// Whether this machine has a CUDA GPU; the facts `devices` must show differ.
fn has_cuda_gpu() -> bool {
    matches!(CudaDevice::device_count(), Ok(n) if n > 0)
}

#[test]
fn devices_lists_each_kind_and_marks_the_default() {
    let (code, out, err) = egpu(&["devices"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.is_empty(), "{err}");
    let rows = table(&out);
    let row = |name: &str| rows.iter().find(|r| r.1 == name).cloned();
    let cpu = row("cpu").expect("cpu listed");
    assert_eq!((cpu.2.as_str(), cpu.3.as_str()), ("any", "available"));
    let emu = row("emu").expect("emu listed");
    assert_eq!((emu.2.as_str(), emu.3.as_str()), ("gfx1100", "available"));
    assert!(emu.4.contains("RDNA3"), "{out}");
    assert!(row("hsa").is_some(), "{out}");
    assert_eq!(rows.iter().filter(|r| r.0).count(), 1, "{out}");
    if has_cuda_gpu() {
        // The first GPU is preferred over the emulator.
        let gpu = row("cuda:0").expect("cuda:0 listed");
        assert!(
            gpu.0 && gpu.3 == "available" && gpu.2.starts_with("sm_"),
            "{out}"
        );
    } else {
        // No GPU: the emulator is the default and CUDA says why it is missing.
        assert!(emu.0, "{out}");
        let cuda = row("cuda").expect("cuda listed once");
        assert!(!cuda.0 && cuda.2 == "-" && cuda.3 == "unavailable", "{out}");
        assert!(!cuda.4.is_empty(), "{out}");
        if CudaDevice::device_count() == Err(DeviceError::NoDriver) {
            assert!(cuda.4.starts_with("no CUDA driver"), "{out}");
        }
    }
}

#[test]
fn devices_json_has_the_same_facts_in_a_stable_key_order() {
    let (_, text, _) = egpu(&["devices"]);
    let (code, out, err) = egpu(&["devices", "--json"]);
    assert_eq!(code, 0, "{err}");
    let value = json::parse(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert_eq!(value.keys(), ["devices"]);
    let devices = value.get("devices").and_then(Json::as_array).unwrap();
    let rows = table(&text);
    assert_eq!(devices.len(), rows.len(), "{out}\n{text}");
    for (device, row) in devices.iter().zip(&rows) {
        let keys = [
            "name",
            "available",
            "default",
            "target",
            "description",
            "reason",
        ];
        assert_eq!(device.keys(), keys, "{out}");
        let field = |k: &str| device.get(k).unwrap();
        assert_eq!(field("name").as_str(), Some(row.1.as_str()));
        assert_eq!(field("default").as_bool(), Some(row.0));
        let available = row.3 == "available";
        assert_eq!(field("available").as_bool(), Some(available));
        let target = match field("target") {
            Json::Null if available => "any",
            Json::Null => "-",
            t => t.as_str().unwrap(),
        };
        assert_eq!(target, row.2);
        let (said, null) = if available {
            ("description", "reason")
        } else {
            ("reason", "description")
        };
        assert_eq!(field(said).as_str(), Some(row.4.as_str()), "{out}");
        assert_eq!(field(null), &Json::Null, "{out}");
    }
}

#[test]
fn devices_honours_egpu_device() {
    for json in [false, true] {
        let args: &[&str] = if json {
            &["devices", "--json"]
        } else {
            &["devices"]
        };
        let (code, out, err) = egpu_env(args, Some("cpu"));
        assert_eq!(code, 0, "{err}");
        if json {
            let value = json::parse(&out).unwrap();
            let marked: Vec<&str> = value
                .get("devices")
                .and_then(Json::as_array)
                .unwrap()
                .iter()
                .filter(|d| d.get("default") == Some(&Json::Bool(true)))
                .filter_map(|d| d.get("name").and_then(Json::as_str))
                .collect();
            assert_eq!(marked, ["cpu"], "{out}");
        } else {
            let marked: Vec<String> = table(&out)
                .into_iter()
                .filter(|r| r.0)
                .map(|r| r.1)
                .collect();
            assert_eq!(marked, ["cpu"], "{out}");
        }
        assert_one_line_error(
            args,
            Some("nonsense"),
            "EGPU_DEVICE: unknown device 'nonsense'",
        );
    }
}

/// The stand-in CUDA driver (runtime/tests/mock_cuda/libcuda.c: one "Mock GPU" whose compute
/// capability major is MOCK_CUDA_CC_MAJOR, minor 0) built with `cc`; `None` (after saying why)
/// without a C compiler outside CI.
fn mock_driver() -> Option<std::path::PathBuf> {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("mock_cuda_cli");
    let source = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../runtime/tests/mock_cuda/libcuda.c");
    mock_lib::build_c_library(&source, &dir, "libcuda.so", &[])
}

/// With a driver that reports one GPU: a new enough one is listed as cuda:0 with the target
/// for its capability (12.0 → sm_90, the newest egpu has) and marked default over the
/// emulator; one too old (7.0) is listed unavailable with the reason and emu stays default.
#[test]
fn devices_with_a_gpu_prefers_it_and_says_why_an_old_one_is_not_used() {
    let Some(dir) = mock_driver() else {
        return;
    };
    let devices = |major: &str| {
        let output = Command::new(env!("CARGO_BIN_EXE_egpu-cli"))
            .arg("devices")
            .env("LD_LIBRARY_PATH", &dir)
            .env("MOCK_CUDA_CC_MAJOR", major)
            .env_remove("EGPU_DEVICE")
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(0), "{output:?}");
        let out = String::from_utf8(output.stdout).unwrap();
        (table(&out), out)
    };
    let (rows, out) = devices("12");
    let gpu = rows.iter().find(|r| r.1 == "cuda:0").expect(&out);
    assert!(gpu.0 && gpu.2 == "sm_90" && gpu.3 == "available", "{out}");
    assert!(gpu.4.contains("Mock GPU"), "{out}");
    assert_eq!(rows.iter().filter(|r| r.0).count(), 1, "{out}");
    let (rows, out) = devices("7");
    let gpu = rows.iter().find(|r| r.1 == "cuda:0").expect(&out);
    assert!(!gpu.0 && gpu.3 == "unavailable", "{out}");
    assert!(
        gpu.4.contains("compute capability 7.0; egpu needs 8.0"),
        "{out}"
    );
    let emu = rows.iter().find(|r| r.1 == "emu").expect(&out);
    assert!(emu.0, "{out}");
}

/// The device `run` reports it ran on: the word after "ran N kernel(s) on ".
fn ran_on(out: &str) -> Option<&str> {
    let line = out.lines().find(|l| l.starts_with("ran "))?;
    line.split_once(" on ")?.1.split([' ', ',']).next()
}

/// `run` without --device uses the default `devices` marks: EGPU_DEVICE when set (an
/// unknown name is a one-line error naming the variable), else a GPU, else the emulator.
#[test]
fn run_without_a_device_uses_the_default() {
    let add = example_path("add");
    let add = add.to_str().unwrap();
    let (code, out, err) = egpu(&["run", add, "--check"]);
    assert_eq!(code, 0, "{err}");
    let expected = if has_cuda_gpu() { "cuda:0" } else { "emu" };
    assert_eq!(ran_on(&out), Some(expected), "{out}");
    let (code, out, err) = egpu_env(&["run", add, "--check"], Some("cpu"));
    assert_eq!(code, 0, "{err}");
    assert_eq!(ran_on(&out), Some("cpu"), "{out}");
    assert_one_line_error(
        &["run", add],
        Some("nonsense"),
        "EGPU_DEVICE: unknown device 'nonsense'",
    );
}
