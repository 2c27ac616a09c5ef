//! `egpu compile` for NVIDIA targets, run as the real binary with a controlled environment:
//! the assembler it finds (or not), the files it writes, and its errors and exit codes.

use std::path::Path;
use std::process::{Command, Stdio};

/// Runs the built `egpu` with `args` and exactly the environment `env` (plus an empty PATH
/// unless `env` sets one, so no assembler on this machine's PATH is found by accident).
fn egpu_env(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_egpu-cli"));
    command.args(args).stdin(Stdio::null()).env_clear();
    command
        .env("PATH", "")
        .env("EGPU_CONTAINER_ENGINE", "/nonexistent/docker");
    for (k, v) in env {
        command.env(k, v);
    }
    let output = command.output().unwrap();
    (
        output.status.code().expect("egpu was killed by a signal"),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn example(name: &str) -> String {
    egpu_tests::example_path(name).display().to_string()
}

fn files_with(dir: &Path, suffix: &str) -> Vec<String> {
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.unwrap().file_name().into_string().ok())
        .filter(|f| f.ends_with(suffix))
        .collect();
    files.sort();
    files
}

#[test]
fn compile_o_writes_cubins_and_v_reports_the_assembler_and_registers() {
    let Some(ptxas) = egpu_tests::ptxas::find() else {
        return; // find() printed why (and panics under CI)
    };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let ptxas = ptxas.display().to_string();
    let (code, stdout, err) = egpu_env(
        &[
            "compile",
            &example("mlp"),
            "--target",
            "sm_80",
            "-o",
            out.to_str().unwrap(),
            "-v",
        ],
        &[("EGPU_PTXAS", &ptxas)],
    );
    assert_eq!(code, 0, "{stdout}{err}");
    let cubins = files_with(&out, ".cubin");
    assert_eq!(cubins.len(), 3, "{cubins:?}");
    let manifest = std::fs::read_to_string(out.join("manifest.json")).unwrap();
    for cubin in &cubins {
        let bytes = std::fs::read(out.join(cubin)).unwrap();
        assert_eq!(&bytes[..4], b"\x7fELF", "{cubin}");
        assert!(
            manifest.contains(&format!("\"cubin\": \"{cubin}\"")),
            "{manifest}"
        );
        let kernel = cubin.trim_end_matches(".cubin");
        // ptxas's own -v line for the kernel, as egpu reports it.
        assert!(err.contains(&format!("ptxas: {kernel}: ")), "{err}");
    }
    assert!(err.contains("assembler: ptxas 13."), "{err}");
    assert!(
        err.contains("(from EGPU_PTXAS)") && err.contains(" registers, "),
        "{err}"
    );
    // With -v the PTX carries the kernel-IR statements as comments.
    let ptx = std::fs::read_to_string(out.join(cubins[0].replace(".cubin", ".ptx"))).unwrap();
    assert!(
        ptx.lines().any(|l| l.trim_start().starts_with("// ")),
        "{ptx}"
    );
}

#[test]
fn without_an_assembler_compile_o_writes_ptx_only_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let (code, stdout, err) = egpu_env(
        &[
            "compile",
            &example("softmax"),
            "--target",
            "sm_90",
            "-o",
            out.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(code, 0, "{stdout}{err}");
    assert!(
        stdout.contains("no PTX assembler found: wrote PTX only"),
        "{stdout}"
    );
    assert_eq!(files_with(&out, ".ptx").len(), 1);
    assert!(files_with(&out, ".cubin").is_empty());
}

#[test]
fn egpu_ptxas_naming_nothing_is_a_user_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let (code, _, err) = egpu_env(
        &[
            "compile",
            &example("add"),
            "--target",
            "sm_80",
            "-o",
            out.to_str().unwrap(),
        ],
        &[("EGPU_PTXAS", "/nonexistent/ptxas")],
    );
    assert_eq!(code, 1, "{err}");
    assert!(
        err.starts_with("error: EGPU_PTXAS is set to /nonexistent/ptxas"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
}

/// An assembler that refuses the PTX is egpu's bug: exit 2, with ptxas's message and the
/// offending PTX line.
#[test]
fn ptx_the_assembler_refuses_is_an_internal_error_with_the_line() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let fake = dir.path().join("ptxas");
    // Answers --version like ptxas; otherwise refuses line 3 of its input, as ptxas words it.
    let script = "#!/bin/sh\n\
        case \"$1\" in --version) echo 'Cuda compilation tools, release 13.5, V13.5.37'; exit 0;; esac\n\
        for a in \"$@\"; do f=\"$a\"; done\n\
        echo \"ptxas $f, line 3; error   : Unknown symbol 'nope'\" >&2\n\
        exit 255\n";
    std::fs::write(&fake, script).unwrap();
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = dir.path().join("out");
    let (code, _, err) = egpu_env(
        &[
            "compile",
            &example("add"),
            "--target",
            "sm_80",
            "-o",
            out.to_str().unwrap(),
        ],
        &[
            ("EGPU_PTXAS", fake.to_str().unwrap()),
            ("PATH", "/bin:/usr/bin"),
        ],
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.starts_with("internal error: egpu wrote PTX that ptxas refuses"),
        "{err}"
    );
    assert!(
        err.contains("Unknown symbol 'nope'") && err.contains("line 3"),
        "{err}"
    );
    // Line 3 of every module egpu writes is its `.address_size` directive.
    assert!(err.contains(".address_size 64"), "{err}");
}

#[test]
fn emit_ptx_prints_each_module_with_its_statements() {
    let (code, out, err) = egpu_env(
        &[
            "compile",
            &example("add"),
            "--target",
            "sm_90",
            "--emit",
            "ptx",
        ],
        &[],
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains(".target sm_90") && out.contains(".visible .entry k0_"),
        "{out}"
    );
    assert!(out.contains("// ") && out.contains("load a["), "{out}");
}
