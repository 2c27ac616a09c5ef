//! Running a program with a deadline: every child the toolchain starts (ptxas, `docker
//! info`, `docker run`) goes through here, so nothing can block the compiler forever.

use std::io::{Read, Write};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use super::ToolchainError;

/// What a finished child left.
#[derive(Debug)]
pub(crate) struct Finished {
    pub status: ExitStatus,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

impl Finished {
    pub fn stderr_text(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }
}

/// A one-line summary of `status` ("exit status 255", "signal 9").
pub(crate) fn status_text(status: ExitStatus) -> String {
    match status.code() {
        Some(c) => format!("exit status {c}"),
        None => "killed by a signal".to_string(),
    }
}

/// Runs `cmd` with `input` on its stdin (closed at once when `None`), collecting stdout and
/// stderr, and kills it when `limit` passes. `what` names it in errors.
pub(crate) fn run(
    cmd: &mut Command,
    input: Option<Vec<u8>>,
    limit: Duration,
    what: &str,
) -> Result<Finished, ToolchainError> {
    cmd.stdin(if input.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = spawn(cmd)?;
    let (tx, rx) = mpsc::channel();
    // One thread per pipe: a child that fills stderr while we feed stdin must not deadlock.
    if let (Some(mut sink), Some(bytes)) = (child.stdin.take(), input) {
        thread::spawn(move || {
            // A child that exits early closes the pipe; its exit status tells the story.
            let _ = sink.write_all(&bytes);
        });
    }
    let out = child.stdout.take().map(|p| read_all(p, tx.clone(), 0));
    let err = child.stderr.take().map(|p| read_all(p, tx, 1));
    let mut streams = [Vec::new(), Vec::new()];
    let expected = usize::from(out.is_some()) + usize::from(err.is_some());
    let deadline = std::time::Instant::now() + limit;
    for _ in 0..expected {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match rx.recv_timeout(left) {
            Ok((which, bytes)) => streams[which] = bytes,
            Err(_) => return Err(kill(child, what, limit)),
        }
    }
    // Both pipes are closed, so the child is almost always exiting; one that closed them and
    // lives on still meets the deadline.
    let status = loop {
        let waited = child.try_wait().map_err(|source| ToolchainError::Io {
            what: format!("waiting for {what}"),
            source,
        })?;
        if let Some(status) = waited {
            break status;
        }
        if std::time::Instant::now() >= deadline {
            return Err(kill(child, what, limit));
        }
        thread::sleep(Duration::from_millis(1));
    };
    let [stdout, stderr] = streams;
    Ok(Finished {
        status,
        stdout,
        stderr,
    })
}

/// Starts `cmd`, retrying briefly on ETXTBSY: a script written a moment ago (the tests'
/// stand-in engines) can still be open for writing in a child forked by another thread.
fn spawn(cmd: &mut Command) -> Result<Child, ToolchainError> {
    let mut tries = 0;
    loop {
        match cmd.spawn() {
            Ok(child) => return Ok(child),
            Err(e) if e.kind() == std::io::ErrorKind::ExecutableFileBusy && tries < 20 => {
                tries += 1;
                thread::sleep(Duration::from_millis(10));
            }
            Err(source) => {
                return Err(ToolchainError::Spawn {
                    program: cmd.get_program().to_string_lossy().into_owned(),
                    source,
                });
            }
        }
    }
}

/// Reads a pipe to its end on a thread and sends `(which, bytes)`.
fn read_all(
    mut pipe: impl Read + Send + 'static,
    tx: mpsc::Sender<(usize, Vec<u8>)>,
    which: usize,
) -> thread::JoinHandle<()> {
    thread::spawn(move || {
        let mut bytes = Vec::new();
        // A read error leaves what was read; the exit status decides success.
        let _ = pipe.read_to_end(&mut bytes);
        let _ = tx.send((which, bytes));
    })
}

/// Kills a child past its deadline. Its reader threads are left to finish on their own: a
/// grandchild (a script's `sleep`) may hold the pipes open after the child is gone.
fn kill(mut child: Child, what: &str, limit: Duration) -> ToolchainError {
    let _ = child.kill();
    let _ = child.wait();
    ToolchainError::Timeout {
        what: what.to_string(),
        limit,
    }
}
