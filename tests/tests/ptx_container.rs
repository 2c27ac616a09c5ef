//! The container route for real: the test builds a small local image (ptxas, /bin/sleep for
//! the long-lived mode, and the libraries `ldd` lists, put in with `docker import`), then
//! assembles modules through it, one container per call and in one long-lived session, and
//! compares every cubin BYTE FOR BYTE with the local ptxas's. Skips with a reason when
//! docker or ptxas is missing; fails then if `CI` is set.

#[path = "../../codegen-ptx/tests/toolchain_common/mod.rs"]
mod toolchain_common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::Instant;

use egpu_codegen_ptx::toolchain::{Assembler, Env, HowFound, Limits, Toolchain, ToolchainError};
use toolchain_common::{BAD, BAD_LINE, good_modules, real_ptxas, skip};

const ARCHS: [&str; 2] = ["sm_80", "sm_90"];

/// The local ptxas, the engine and the test image, or None (skipped, with the reason).
fn setup() -> Option<(Toolchain, Toolchain)> {
    static SETUP: OnceLock<Result<(Toolchain, Toolchain), String>> = OnceLock::new();
    match SETUP.get_or_init(prepare) {
        Ok(pair) => Some(pair.clone()),
        Err(reason) => {
            skip(reason);
            None
        }
    }
}

fn prepare() -> Result<(Toolchain, Toolchain), String> {
    let ptxas = real_ptxas().ok_or("no ptxas (set EGPU_PTXAS or run scripts/test)")?;
    let local = Toolchain::local(&ptxas, HowFound::EnvVar);
    let Assembler::Local {
        version: Some(version),
        ..
    } = &local.assembler
    else {
        return Err(format!("{} gave no version", ptxas.display()));
    };
    let docker = Env::from_process()
        .which("docker")
        .ok_or("no docker on PATH")?;
    let answers = Command::new("timeout")
        .args(["5", &docker.to_string_lossy(), "info"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !answers {
        return Err("docker does not answer `docker info`".to_string());
    }
    let image = format!("egpu-ptxas-test:{}", version.release);
    if !has_image(&docker, &image) {
        build_image(&docker, &ptxas, &image)?;
    }
    Ok((local, Toolchain::container(docker, &image)))
}

fn has_image(docker: &Path, image: &str) -> bool {
    Command::new(docker)
        .args(["image", "inspect", image])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// ptxas and sleep in /bin, every library `ldd` names at its own path, tarred into
/// `docker import` (no registry, no Dockerfile base image).
fn build_image(docker: &Path, ptxas: &Path, image: &str) -> Result<(), String> {
    let root = tempfile::tempdir().map_err(|e| e.to_string())?;
    let sleep = PathBuf::from("/bin/sleep");
    let mut files = vec![];
    for program in [ptxas, sleep.as_path()] {
        files.push((
            program.to_path_buf(),
            root.path().join("bin").join(name(program)),
        ));
        for lib in libraries(program)? {
            let inside = root.path().join(lib.strip_prefix("/").unwrap_or(&lib));
            files.push((lib, inside));
        }
    }
    for (from, to) in files {
        let parent = to.parent().ok_or("no parent")?;
        std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
        // fs::copy follows links, as `cp -L`.
        std::fs::copy(&from, &to).map_err(|e| format!("copy {}: {e}", from.display()))?;
    }
    let tar = Command::new("tar")
        .args(["-c", "-C"])
        .arg(root.path())
        .arg(".")
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("tar: {e}"))?;
    let tar_out = tar.stdout.ok_or("tar gave no stdout")?;
    let status = Command::new(docker)
        .args(["import", "-", image])
        .stdin(tar_out)
        .stdout(Stdio::null())
        .status()
        .map_err(|e| format!("docker import: {e}"))?;
    if !status.success() {
        return Err(format!("docker import {image} failed: {status}"));
    }
    Ok(())
}

fn name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The absolute paths in `ldd PROGRAM` ("libc.so.6 => /lib/.../libc.so.6 (0x..)" and the
/// loader "/lib64/ld-linux-x86-64.so.2 (0x..)").
fn libraries(program: &Path) -> Result<Vec<PathBuf>, String> {
    let out = Command::new("ldd")
        .arg(program)
        .output()
        .map_err(|e| format!("ldd: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    Ok(text
        .lines()
        .filter_map(|l| {
            let l = l.split_once("=>").map_or(l, |(_, r)| r).trim();
            let path = l.split(' ').next()?;
            path.starts_with('/').then(|| PathBuf::from(path))
        })
        .collect())
}

#[test]
fn one_shot_cubins_equal_the_local_ones_byte_for_byte() {
    let Some((local, container)) = setup() else {
        return;
    };
    for arch in ARCHS {
        for (what, ptx, _) in good_modules() {
            let mine = local.assemble(&ptx, arch).expect("local ptxas");
            let theirs = container
                .assemble(&ptx, arch)
                .unwrap_or_else(|e| panic!("{what} {arch} in the container: {e}"));
            assert!(mine.cubin == theirs.cubin, "{what} {arch}: cubins differ");
            assert_eq!(mine.info.kernels, theirs.info.kernels, "{what} {arch}");
            assert_eq!(mine.info.warnings, theirs.info.warnings, "{what} {arch}");
        }
    }
}

#[test]
fn session_cubins_equal_the_local_ones_and_the_container_goes_with_it() {
    let Some((local, container)) = setup() else {
        return;
    };
    let Assembler::Container { engine, .. } = &container.assembler else {
        panic!("container toolchain expected");
    };
    let session = container.start_session().expect("session starts");
    let name = session.container().expect("a running container");
    // No bind mounts: the PTX and the cubin only cross stdin and stdout.
    let mounts = Command::new(engine)
        .args(["inspect", "-f", "{{json .Mounts}}", &name])
        .output()
        .expect("docker inspect");
    assert_eq!(String::from_utf8_lossy(&mounts.stdout).trim(), "[]");
    for arch in ARCHS {
        for (what, ptx, _) in good_modules() {
            let mine = local.assemble(&ptx, arch).expect("local ptxas");
            let theirs = session
                .assemble(&ptx, arch)
                .unwrap_or_else(|e| panic!("{what} {arch} in the session: {e}"));
            assert!(mine.cubin == theirs.cubin, "{what} {arch}: cubins differ");
            assert_eq!(mine.info.kernels, theirs.info.kernels, "{what} {arch}");
        }
    }
    assert_eq!(
        session.container(),
        Some(name.clone()),
        "one container throughout"
    );
    drop(session);
    let left = Command::new(engine)
        .args(["ps", "-aq", "--filter", &format!("name=^{name}$")])
        .output()
        .expect("docker ps");
    assert_eq!(
        String::from_utf8_lossy(&left.stdout).trim(),
        "",
        "{name} still there"
    );
}

#[test]
fn rejection_through_the_container_names_the_line() {
    let Some((_, container)) = setup() else {
        return;
    };
    let session = container.start_session().expect("session starts");
    for err in [
        container
            .assemble(BAD, "sm_80")
            .expect_err("one-shot rejects"),
        session.assemble(BAD, "sm_80").expect_err("session rejects"),
    ] {
        assert!(
            matches!(&err, ToolchainError::Rejected { line, ptx_line, .. }
                if *line == Some(BAD_LINE.0) && ptx_line.as_deref() == Some(BAD_LINE.1)),
            "{err:?}"
        );
    }
}

#[test]
fn resolution_finds_the_image_when_no_local_ptxas_exists() {
    let Some((_, container)) = setup() else {
        return;
    };
    let Assembler::Container { engine, image } = &container.assembler else {
        panic!("container toolchain expected");
    };
    let bin = engine.parent().expect("engine folder");
    let empty = tempfile::tempdir().expect("temp");
    let env = Env::new()
        .var("PATH", bin)
        .var("EGPU_NVCC_IMAGE", image)
        .cuda_default(empty.path());
    if bin.join("ptxas").exists() {
        skip("ptxas sits next to docker, so PATH finds it first");
        return;
    }
    let t = Toolchain::resolve(&env, Limits::default()).expect("resolves");
    assert_eq!(t.assembler, container.assembler);
}

/// Time per ptxas call: local, one container per call, long-lived session. Run with
/// `cargo test -p egpu-tests --test ptx_container -- --ignored --nocapture`.
#[test]
#[ignore = "a measurement, not a check"]
fn measure_time_per_call() {
    let Some((local, container)) = setup() else {
        return;
    };
    let ptx = toolchain_common::TWO_KERNELS;
    let session = container.start_session().expect("session");
    let runs = 10;
    let time = |f: &dyn Fn()| {
        f(); // warm caches
        let mut ms: Vec<f64> = (0..runs)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed().as_secs_f64() * 1e3
            })
            .collect();
        ms.sort_by(f64::total_cmp);
        (ms[runs / 2], ms[0], ms[runs - 1])
    };
    let rows = [
        ("local", time(&|| drop(local.assemble(ptx, "sm_80")))),
        (
            "container one-shot",
            time(&|| drop(container.assemble(ptx, "sm_80"))),
        ),
        (
            "container session",
            time(&|| drop(session.assemble(ptx, "sm_80"))),
        ),
    ];
    for (what, (median, min, max)) in rows {
        eprintln!("{what:20} median {median:7.1} ms  min {min:7.1}  max {max:7.1}  ({runs} runs)");
    }
}

/// Every example's kernels, built by the facade (`egpu::nvidia::build_program`, which uses
/// one session per program) through the container for sm_80 and sm_90, give the same
/// cubins byte for byte as through the local ptxas.
#[test]
fn every_example_through_the_container_equals_the_local_ptxas() {
    use egpu_passes::pipeline::{PipelineOptions, compile};
    let Some((local, container)) = setup() else {
        return;
    };
    for arch in ARCHS {
        let target = egpu_ir::Target::by_name(arch).expect("a target");
        let options = PipelineOptions {
            target,
            disabled: vec![],
            simplify: Default::default(),
        };
        for (name, graph) in egpu_tests::examples() {
            let program = compile(&graph, &options).expect("compiles").program;
            let ptx = egpu::codegen_ptx::PtxOptions::default();
            let build = |t: &Toolchain| {
                egpu::nvidia::build_program(&program, &target, t, &ptx)
                    .unwrap_or_else(|e| panic!("{name} {arch}: {e}"))
            };
            let (mine, theirs) = (build(&local), build(&container));
            assert_eq!(mine.len(), program.kernels.len());
            for (m, t) in mine.iter().zip(&theirs) {
                let (Some(m), Some(t)) = (&m.assembled, &t.assembled) else {
                    panic!("{name} {arch}: not assembled");
                };
                assert!(m.cubin == t.cubin, "{name} {arch}: cubins differ");
            }
        }
    }
}
