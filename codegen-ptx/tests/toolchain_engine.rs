//! The container route's plumbing and error paths with a stand-in engine: a shell script
//! named `docker` that answers each subcommand as a real engine would in that situation.
//! (tests/tests/ptx_container.rs runs the real engine.)

mod toolchain_common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use egpu_codegen_ptx::toolchain::{Limits, Toolchain, ToolchainError};
use toolchain_common::{SMALLEST, engine_log, fake_engine};

const DOWN: &str = "echo 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?' >&2; exit 1";

/// What a working `run`/`exec` prints: stdin saved to `stdin.ptx` next to the script, a
/// fake cubin on stdout, a ptxas -v report on stderr.
const WORKS: &str = "cat > \"$(dirname \"$0\")/stdin.ptx\"
printf '\\177ELF-fake-cubin'
echo \"ptxas info    : Compiling entry function 'k' for 'sm_86'\" >&2
echo \"ptxas info    : Function properties for k\" >&2
echo \"    0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads\" >&2
echo \"ptxas info    : Used 12 registers, used 0 barriers, 360 bytes cmem[0]\" >&2";

fn engine(dir: &Path, arms: &[(&str, &str)]) -> Toolchain {
    container(fake_engine(dir, "docker", arms), 2000)
}

fn container(path: PathBuf, assemble_ms: u64) -> Toolchain {
    Toolchain::container(path, "egpu-ptxas:13.5").with_limits(Limits {
        probe: Duration::from_secs(2),
        assemble: Duration::from_millis(assemble_ms),
    })
}

#[test]
fn one_shot_sends_the_ptx_on_stdin_and_reads_the_cubin_from_stdout() {
    let dir = tempfile::tempdir().expect("temp");
    let t = engine(dir.path(), &[("run", WORKS)]);
    let out = t.assemble(SMALLEST, "sm_86").expect("assembles");
    assert_eq!(out.cubin, b"\x7fELF-fake-cubin");
    assert_eq!(out.info.kernel("k").map(|k| k.registers), Some(12));
    let sent = std::fs::read_to_string(dir.path().join("stdin.ptx")).expect("stdin saved");
    assert_eq!(sent, SMALLEST);
    let log = engine_log(dir.path(), "docker");
    let args: Vec<&str> = log.trim().split(' ').collect();
    assert_eq!(&args[..3], ["run", "-i", "--name"]);
    assert!(args[3].starts_with("egpu-ptxas-"), "{log}");
    assert_eq!(
        &args[4..],
        [
            "--rm",
            "--pull=never",
            "--network=none",
            "egpu-ptxas:13.5",
            "/bin/ptxas",
            "-arch=sm_86",
            "-v",
            "-o",
            "/dev/stdout",
            "/dev/stdin"
        ]
    );
}

#[test]
fn daemon_down_says_how_to_start_it() {
    let dir = tempfile::tempdir().expect("temp");
    let t = engine(dir.path(), &[("run", DOWN)]);
    let err = t.assemble(SMALLEST, "sm_80").expect_err("down");
    assert!(matches!(err, ToolchainError::EngineDown { .. }), "{err:?}");
    let shown = err.to_string();
    assert!(
        shown.contains("Cannot connect to the Docker daemon"),
        "{shown}"
    );
    assert!(shown.contains("systemctl start docker"), "{shown}");
}

#[test]
fn missing_image_names_the_variable() {
    let dir = tempfile::tempdir().expect("temp");
    let t = engine(
        dir.path(),
        &[(
            "run",
            "echo 'docker: Error response from daemon: No such image: egpu-ptxas:13.5' >&2; exit 125",
        )],
    );
    let err = t.assemble(SMALLEST, "sm_80").expect_err("no image");
    assert!(
        matches!(&err, ToolchainError::ImageMissing { image, .. } if image == "egpu-ptxas:13.5"),
        "{err:?}"
    );
    assert!(err.to_string().contains("EGPU_NVCC_IMAGE"), "{err}");
}

#[test]
fn probe_reports_down_and_missing_image_as_errors() {
    use egpu_codegen_ptx::toolchain::container::probe;
    let dir = tempfile::tempdir().expect("temp");
    let down = fake_engine(dir.path(), "docker", &[("info", DOWN)]);
    let err = probe(&down, "egpu-ptxas:13.5", Duration::from_secs(2));
    assert!(
        matches!(err, Err(ToolchainError::EngineDown { .. })),
        "{err:?}"
    );
    let no_image = fake_engine(
        dir.path(),
        "podman",
        &[(
            "image",
            "echo 'Error: egpu-ptxas:13.5: image not known' >&2; exit 125",
        )],
    );
    let err = probe(&no_image, "egpu-ptxas:13.5", Duration::from_secs(2));
    assert!(
        matches!(&err, Err(ToolchainError::ImageMissing { engine, .. }) if engine == "podman"),
        "{err:?}"
    );
}

#[test]
fn ptxas_error_in_the_container_is_a_rejection_with_the_line() {
    let dir = tempfile::tempdir().expect("temp");
    let t = engine(
        dir.path(),
        &[(
            "run",
            "cat > /dev/null\n\
             echo \"ptxas /dev/stdin, line 4; error   : Unknown symbol 'p'\" >&2\n\
             echo 'ptxas fatal   : Ptx assembly aborted due to errors' >&2; exit 255",
        )],
    );
    let err = t.assemble(SMALLEST, "sm_80").expect_err("rejected");
    let line4 = SMALLEST.lines().nth(3).map(str::to_string);
    match err {
        ToolchainError::Rejected {
            arch,
            message,
            line,
            ptx_line,
        } => {
            assert_eq!(arch, "sm_80");
            assert_eq!(message, "Unknown symbol 'p'");
            assert_eq!((line, ptx_line), (Some(4), line4));
        }
        other => panic!("expected Rejected, got {other:?}"),
    }
}

#[test]
fn a_hanging_run_times_out_quickly_and_its_container_is_removed() {
    let dir = tempfile::tempdir().expect("temp");
    let t = container(
        fake_engine(dir.path(), "docker", &[("run", "sleep 30")]),
        500,
    );
    let start = Instant::now();
    let err = t.assemble(SMALLEST, "sm_80").expect_err("timeout");
    assert!(matches!(err, ToolchainError::Timeout { .. }), "{err:?}");
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
    let log = engine_log(dir.path(), "docker");
    let name = log.split(' ').nth(3).expect("a container name");
    assert!(log.contains(&format!("rm -f {name}")), "{log}");
}

#[test]
fn output_that_is_not_a_cubin_is_an_error() {
    let dir = tempfile::tempdir().expect("temp");
    let t = engine(dir.path(), &[("run", "cat > /dev/null; echo hello")]);
    let err = t.assemble(SMALLEST, "sm_80").expect_err("not a cubin");
    assert!(matches!(err, ToolchainError::Failed { .. }), "{err:?}");
}

#[test]
fn session_starts_once_execs_per_kernel_restarts_a_gone_container_and_removes_it() {
    let dir = tempfile::tempdir().expect("temp");
    // The first exec finds the container gone; later ones work.
    let exec = format!(
        "if [ ! -e '{0}/gone-once' ]; then touch '{0}/gone-once'; \
         echo \"Error response from daemon: No such container: $3\" >&2; exit 1; fi\n{WORKS}",
        dir.path().display()
    );
    let t = engine(dir.path(), &[("run", "echo started"), ("exec", &exec)]);
    let session = t.start_session().expect("session");
    let first = session.container().expect("a container");
    let a = session
        .assemble(SMALLEST, "sm_86")
        .expect("after a restart");
    let second = session.container().expect("a container");
    assert_ne!(first, second);
    let b = session.assemble(SMALLEST, "sm_86").expect("again");
    assert_eq!(a.cubin, b.cubin);
    drop(session);
    let log = engine_log(dir.path(), "docker");
    let calls: Vec<&str> = log.lines().collect();
    let starts = calls.iter().filter(|c| c.starts_with("run -d")).count();
    let execs = calls.iter().filter(|c| c.starts_with("exec -i")).count();
    assert_eq!((starts, execs), (2, 3), "{log}");
    assert!(
        calls.iter().any(|c| c.contains("/bin/sleep infinity")),
        "{log}"
    );
    assert_eq!(
        calls.last(),
        Some(&format!("rm -f {second}").as_str()),
        "{log}"
    );
}

#[test]
fn session_start_on_a_stopped_daemon_fails_clearly() {
    let dir = tempfile::tempdir().expect("temp");
    let t = engine(dir.path(), &[("run", DOWN)]);
    let err = t.start_session().expect_err("down");
    assert!(matches!(err, ToolchainError::EngineDown { .. }), "{err:?}");
}

#[test]
fn session_exec_past_the_deadline_removes_the_container_and_the_next_call_starts_anew() {
    let dir = tempfile::tempdir().expect("temp");
    let exec = format!(
        "if [ ! -e '{0}/slow-once' ]; then touch '{0}/slow-once'; sleep 30; fi\n{WORKS}",
        dir.path().display()
    );
    let path = fake_engine(dir.path(), "docker", &[("exec", &exec)]);
    let session = container(path, 500).start_session().expect("session");
    let first = session.container().expect("a container");
    let err = session.assemble(SMALLEST, "sm_86").expect_err("timeout");
    assert!(matches!(err, ToolchainError::Timeout { .. }), "{err:?}");
    assert_eq!(session.container(), None);
    session
        .assemble(SMALLEST, "sm_86")
        .expect("a fresh container works");
    let log = engine_log(dir.path(), "docker");
    assert!(log.contains(&format!("rm -f {first}")), "{log}");
    assert_eq!(
        log.lines().filter(|c| c.starts_with("run -d")).count(),
        2,
        "{log}"
    );
}

#[test]
fn a_run_that_closes_its_output_and_lives_on_still_times_out() {
    let dir = tempfile::tempdir().expect("temp");
    let arm = "exec >/dev/null 2>&1 </dev/null; sleep 30";
    let t = container(fake_engine(dir.path(), "docker", &[("run", arm)]), 500);
    let start = Instant::now();
    let err = t.assemble(SMALLEST, "sm_80").expect_err("timeout");
    assert!(matches!(err, ToolchainError::Timeout { .. }), "{err:?}");
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
}
