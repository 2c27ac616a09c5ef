//! ptxas in a container (the route on a Mac): `ENGINE run -i --rm IMAGE /bin/ptxas ...` with
//! the PTX on stdin and the cubin on stdout, so no folder is mounted; or one long-lived
//! container (`/bin/sleep infinity`) that each kernel reaches with `ENGINE exec -i`.

use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use super::ptxas::{check_arch, failure, judge, last_line, ptxas_args};
use super::report::diagnostics;
use super::run::{Finished, run, status_text};
use super::{Assembled, ToolchainError};

/// The engine used when `EGPU_CONTAINER_ENGINE` is unset (`podman` works the same).
pub const DEFAULT_ENGINE: &str = "docker";
/// The image used when `EGPU_NVCC_IMAGE` is unset: built locally as docs/ptx.md shows.
pub const DEFAULT_IMAGE: &str = "egpu-ptxas:13.5";

const START_HINT: &str = "start it (Linux: `sudo systemctl start docker`; macOS: open Docker Desktop or run `colima start`; podman: `podman machine start`)";

/// The engine's short name for messages (`docker`), from its path.
pub(crate) fn engine_name(engine: &Path) -> String {
    engine.file_name().map_or_else(
        || engine.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// Checks that `engine` answers within `limit` and holds `image`.
pub fn probe(engine: &Path, image: &str, limit: Duration) -> Result<(), ToolchainError> {
    let name = engine_name(engine);
    let info = run(
        Command::new(engine).arg("info"),
        None,
        limit,
        &format!("{name} info"),
    );
    let done = match info {
        Err(ToolchainError::Timeout { .. }) => {
            return Err(ToolchainError::EngineDown {
                engine: name.clone(),
                message: format!(
                    "`{name} info` gave no answer within {} s",
                    limit.as_secs_f32()
                ),
                hint: START_HINT,
            });
        }
        other => other?,
    };
    if !done.status.success() {
        return Err(down(&name, &done));
    }
    let mut inspect = Command::new(engine);
    inspect.args(["image", "inspect", image]);
    let done = run(&mut inspect, None, limit, &format!("{name} image inspect"))?;
    if !done.status.success() {
        return Err(match engine_error(&name, &done, image, "image inspect") {
            ToolchainError::Failed { .. } => ToolchainError::ImageMissing {
                engine: name,
                image: image.to_string(),
            },
            e => e,
        });
    }
    Ok(())
}

/// EngineDown with the line of the engine's complaint that says the most.
fn down(name: &str, done: &Finished) -> ToolchainError {
    let text = done.stderr_text();
    let message = text
        .lines()
        .find(|l| l.contains("Cannot connect") || l.contains("connect to Podman"))
        .map_or_else(|| last_line(&text), |l| l.trim().to_string());
    ToolchainError::EngineDown {
        engine: name.to_string(),
        message,
        hint: START_HINT,
    }
}

/// Names what went wrong in an engine command that did not reach ptxas.
fn engine_error(name: &str, done: &Finished, image: &str, what: &str) -> ToolchainError {
    let text = done.stderr_text();
    if text.contains("Cannot connect to the Docker daemon") || text.contains("connect to Podman") {
        return down(name, done);
    }
    let lower = text.to_lowercase();
    if lower.contains("no such image")
        || lower.contains("image not known")
        || lower.contains("unable to find image")
    {
        return ToolchainError::ImageMissing {
            engine: name.to_string(),
            image: image.to_string(),
        };
    }
    ToolchainError::Failed {
        what: format!("{name} {what}"),
        status: status_text(done.status),
        message: last_line(&text),
    }
}

/// A container name unique to this process and call, so a run past its deadline can be
/// removed by name (killing the client does not stop the container).
fn fresh_name() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    format!("egpu-ptxas-{}-{n}", std::process::id())
}

/// The flags every container we start gets: no network (ptxas needs none), never pull.
const RUN_FLAGS: [&str; 3] = ["--rm", "--pull=never", "--network=none"];

/// One container per call: `ENGINE run -i --rm IMAGE /bin/ptxas ... /dev/stdin`.
pub(crate) fn assemble_once(
    engine: &Path,
    image: &str,
    ptx: &str,
    arch: &str,
    limit: Duration,
) -> Result<Assembled, ToolchainError> {
    check_arch(arch)?;
    let name = fresh_name();
    let mut cmd = Command::new(engine);
    cmd.args(["run", "-i", "--name", &name])
        .args(RUN_FLAGS)
        .args([image, "/bin/ptxas"])
        .args(ptxas_args(arch, "/dev/stdout", "/dev/stdin"));
    let what = format!("ptxas in {} ({image})", engine_name(engine));
    let done = run(&mut cmd, Some(ptx.as_bytes().to_vec()), limit, &what);
    if let Err(ToolchainError::Timeout { .. }) = done {
        remove(engine, &name, limit);
    }
    finish(done?, engine, image, ptx, arch, "run")
}

/// The cubin, or ptxas's error when ptxas spoke, else the engine's.
fn finish(
    done: Finished,
    engine: &Path,
    image: &str,
    ptx: &str,
    arch: &str,
    what: &str,
) -> Result<Assembled, ToolchainError> {
    if done.status.success() {
        return judge(done, ptx, arch, |d| Ok(d.stdout.clone()));
    }
    let text = done.stderr_text();
    if diagnostics(&text).is_empty() {
        return Err(engine_error(&engine_name(engine), &done, image, what));
    }
    Err(failure(&text, ptx, arch, &status_text(done.status)))
}

/// `ENGINE rm -f NAME`, best effort: the container may already be gone.
pub(crate) fn remove(engine: &Path, name: &str, limit: Duration) {
    let mut cmd = Command::new(engine);
    cmd.args(["rm", "-f", name]);
    let _ = run(&mut cmd, None, limit, "removing the ptxas container");
}

/// Starts a long-lived container that only sleeps; its name is returned. `limit` should
/// allow for a slow engine (a Mac's VM): starting is not a quick probe.
pub(crate) fn start(engine: &Path, image: &str, limit: Duration) -> Result<String, ToolchainError> {
    let name = fresh_name();
    let mut cmd = Command::new(engine);
    cmd.args(["run", "-d", "--name", &name])
        .args(RUN_FLAGS)
        .args([image, "/bin/sleep", "infinity"]);
    let done = run(
        &mut cmd,
        None,
        limit,
        &format!("{} run -d", engine_name(engine)),
    );
    if let Err(ToolchainError::Timeout { .. }) = done {
        remove(engine, &name, limit);
    }
    let done = done?;
    if !done.status.success() {
        return Err(engine_error(&engine_name(engine), &done, image, "run -d"));
    }
    Ok(name)
}

/// The outcome of one `ENGINE exec`: assembled, failed, or the container was gone.
pub(crate) enum Exec {
    Done(Result<Assembled, ToolchainError>),
    Gone,
}

/// Runs ptxas in the running container `name`.
pub(crate) fn exec(
    engine: &Path,
    image: &str,
    name: &str,
    ptx: &str,
    arch: &str,
    limit: Duration,
) -> Exec {
    let mut cmd = Command::new(engine);
    cmd.args(["exec", "-i", name, "/bin/ptxas"])
        .args(ptxas_args(arch, "/dev/stdout", "/dev/stdin"));
    let what = format!("ptxas in {} container {name}", engine_name(engine));
    let done = match run(&mut cmd, Some(ptx.as_bytes().to_vec()), limit, &what) {
        Ok(done) => done,
        Err(e) => return Exec::Done(Err(e)),
    };
    let text = done.stderr_text().to_lowercase();
    if !done.status.success()
        && diagnostics(&done.stderr_text()).is_empty()
        && (text.contains("no such container")
            || text.contains("is not running")
            || text.contains("no container with name"))
    {
        return Exec::Gone;
    }
    Exec::Done(finish(done, engine, image, ptx, arch, "exec"))
}
