//! Resolution, one test per branch, in made-up environments: temp folders with fake tools
//! (shell scripts), a made-up PATH, and a temp folder standing in for /usr/local/cuda.

mod toolchain_common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use egpu_codegen_ptx::toolchain::{Assembler, Env, HowFound, Limits, Toolchain, ToolchainError};
use toolchain_common::{engine_log, fake_engine, fake_ptxas};

/// A temp root with `bin/` (the only PATH entry) and `cuda/` (the stand-in /usr/local/cuda,
/// empty unless a test fills it).
struct Sandbox {
    root: tempfile::TempDir,
}

impl Sandbox {
    fn new() -> Sandbox {
        let root = tempfile::tempdir().expect("temp folder");
        std::fs::create_dir_all(root.path().join("bin")).expect("bin folder");
        Sandbox { root }
    }
    fn dir(&self, sub: &str) -> PathBuf {
        self.root.path().join(sub)
    }
    fn env(&self) -> Env {
        Env::new()
            .var("PATH", self.dir("bin"))
            .cuda_default(self.dir("cuda"))
    }
}

fn limits(probe_ms: u64) -> Limits {
    Limits {
        probe: Duration::from_millis(probe_ms),
        assemble: Duration::from_secs(10),
    }
}

fn resolve(env: &Env) -> Toolchain {
    Toolchain::resolve(env, limits(2000)).expect("resolution succeeds")
}

fn local(t: &Toolchain) -> (&Path, HowFound) {
    match &t.assembler {
        Assembler::Local {
            path, how_found, ..
        } => (path, *how_found),
        other => panic!("expected a local ptxas, got {other:?}"),
    }
}

fn jit_why(t: &Toolchain) -> &str {
    match &t.assembler {
        Assembler::DriverJit { why } => why,
        other => panic!("expected the driver JIT, got {other:?}"),
    }
}

#[test]
fn egpu_ptxas_wins_over_everything() {
    let s = Sandbox::new();
    fake_ptxas(&s.dir("bin"));
    let chosen = fake_ptxas(&s.dir("mine"));
    let t = resolve(&s.env().var("EGPU_PTXAS", &chosen));
    assert_eq!(local(&t), (chosen.as_path(), HowFound::EnvVar));
    assert_eq!(
        t.describe(),
        format!(
            "ptxas 13.5 (V13.5.37) at {} (from EGPU_PTXAS)",
            chosen.display()
        )
    );
}

#[test]
fn egpu_ptxas_missing_is_an_error_not_a_fallthrough() {
    let s = Sandbox::new();
    fake_ptxas(&s.dir("bin"));
    let missing = s.dir("nowhere/ptxas");
    let err = Toolchain::resolve(&s.env().var("EGPU_PTXAS", &missing), limits(2000))
        .expect_err("a missing EGPU_PTXAS must fail");
    assert!(
        matches!(&err, ToolchainError::PtxasVarMissing { path } if path == &missing),
        "{err:?}"
    );
    assert!(err.to_string().contains("EGPU_PTXAS"), "{err}");
}

#[test]
fn egpu_ptxas_not_executable_is_an_error() {
    let s = Sandbox::new();
    let plain = s.dir("ptxas.txt");
    std::fs::write(&plain, "not a program").expect("write");
    let err = Toolchain::resolve(&s.env().var("EGPU_PTXAS", &plain), limits(2000));
    assert!(
        matches!(err, Err(ToolchainError::PtxasVarMissing { .. })),
        "{err:?}"
    );
}

#[test]
fn empty_egpu_ptxas_counts_as_unset() {
    let s = Sandbox::new();
    let on_path = fake_ptxas(&s.dir("bin"));
    let t = resolve(&s.env().var("EGPU_PTXAS", ""));
    assert_eq!(local(&t), (on_path.as_path(), HowFound::Path));
}

#[test]
fn path_comes_before_cuda_home_and_the_default_folder() {
    let s = Sandbox::new();
    let on_path = fake_ptxas(&s.dir("bin"));
    fake_ptxas(&s.dir("home/bin"));
    fake_ptxas(&s.dir("cuda/bin"));
    let t = resolve(&s.env().var("CUDA_HOME", s.dir("home")));
    assert_eq!(local(&t), (on_path.as_path(), HowFound::Path));
    assert!(
        t.describe().ends_with("(found on PATH)"),
        "{}",
        t.describe()
    );
}

#[test]
fn cuda_home_before_the_default_folder() {
    let s = Sandbox::new();
    let home = fake_ptxas(&s.dir("home/bin"));
    fake_ptxas(&s.dir("cuda/bin"));
    let t = resolve(&s.env().var("CUDA_HOME", s.dir("home")));
    assert_eq!(local(&t), (home.as_path(), HowFound::CudaHome));
}

#[test]
fn default_cuda_folder_when_cuda_home_has_no_ptxas() {
    let s = Sandbox::new();
    std::fs::create_dir_all(s.dir("home/bin")).expect("mkdir");
    let default = fake_ptxas(&s.dir("cuda/bin"));
    let t = resolve(&s.env().var("CUDA_HOME", s.dir("home")));
    assert_eq!(local(&t), (default.as_path(), HowFound::CudaDefault));
}

/// A fake engine that answers `info` and holds only `image`.
fn answering_engine(dir: &Path, name: &str, image: &str) -> PathBuf {
    let inspect = format!(
        "if [ \"$3\" = '{image}' ]; then echo '[{{}}]'; exit 0; fi\n\
         echo \"Error response from daemon: No such image: $3\" >&2; exit 1"
    );
    fake_engine(dir, name, &[("info", "exit 0"), ("image", &inspect)])
}

#[test]
fn container_engine_with_the_default_image() {
    let s = Sandbox::new();
    let docker = answering_engine(&s.dir("bin"), "docker", "egpu-ptxas:13.5");
    let t = resolve(&s.env());
    assert_eq!(
        t.assembler,
        Assembler::Container {
            engine: docker.clone(),
            image: "egpu-ptxas:13.5".to_string()
        }
    );
    assert!(t.describe().contains("egpu-ptxas:13.5"), "{}", t.describe());
    let log = engine_log(&s.dir("bin"), "docker");
    assert_eq!(log, "info\nimage inspect egpu-ptxas:13.5\n");
}

#[test]
fn podman_and_another_image_by_variable() {
    let s = Sandbox::new();
    answering_engine(&s.dir("bin"), "docker", "egpu-ptxas:13.5");
    let podman = answering_engine(&s.dir("bin"), "podman", "mine:1");
    let env = s
        .env()
        .var("EGPU_CONTAINER_ENGINE", "podman")
        .var("EGPU_NVCC_IMAGE", "mine:1");
    let t = resolve(&env);
    assert_eq!(
        t.assembler,
        Assembler::Container {
            engine: podman,
            image: "mine:1".to_string()
        }
    );
    assert_eq!(engine_log(&s.dir("bin"), "docker"), "", "docker was asked");
}

#[test]
fn engine_that_does_not_answer_falls_to_the_jit_in_time() {
    let s = Sandbox::new();
    fake_engine(&s.dir("bin"), "docker", &[("info", "sleep 30")]);
    let start = Instant::now();
    let t = Toolchain::resolve(&s.env(), limits(500)).expect("resolves");
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "{:?}",
        start.elapsed()
    );
    let why = jit_why(&t);
    assert!(why.contains("no answer within 0.5 s"), "{why}");
    assert!(why.contains("start it"), "{why}");
}

#[test]
fn daemon_down_falls_to_the_jit_with_the_reason() {
    let s = Sandbox::new();
    let down = "echo 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?' >&2; exit 1";
    fake_engine(&s.dir("bin"), "docker", &[("info", down)]);
    let t = resolve(&s.env());
    let why = jit_why(&t);
    assert!(why.contains("Cannot connect to the Docker daemon"), "{why}");
    assert!(why.contains("systemctl start docker"), "{why}");
    // Down means no image question.
    assert_eq!(engine_log(&s.dir("bin"), "docker"), "info\n");
}

#[test]
fn missing_image_falls_to_the_jit_naming_the_variable() {
    let s = Sandbox::new();
    answering_engine(&s.dir("bin"), "docker", "something-else:1");
    let t = resolve(&s.env());
    let why = jit_why(&t);
    assert!(why.contains("no image egpu-ptxas:13.5"), "{why}");
    assert!(why.contains("EGPU_NVCC_IMAGE"), "{why}");
}

#[test]
fn nothing_at_all_is_the_driver_jit() {
    let s = Sandbox::new();
    let t = resolve(&s.env().var("CUDA_HOME", s.dir("home")));
    let why = jit_why(&t).to_string();
    assert!(why.contains("no ptxas on PATH"), "{why}");
    assert!(why.contains("no docker on PATH"), "{why}");
    assert!(t.describe().contains("JIT"), "{}", t.describe());
    let err = t
        .assemble(toolchain_common::SMALLEST, "sm_80")
        .expect_err("no assembler");
    assert!(
        matches!(&err, ToolchainError::NoAssembler { why: w } if *w == why),
        "{err:?}"
    );
}

#[test]
fn no_path_variable_at_all() {
    let s = Sandbox::new();
    let t = resolve(&s.env().without("PATH"));
    assert!(jit_why(&t).contains("no ptxas on PATH"));
}
