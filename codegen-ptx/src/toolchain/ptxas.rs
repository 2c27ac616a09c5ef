//! Running a ptxas that is on this machine, and judging what any ptxas run (local or in a
//! container) left: a cubin with its `-v` report, or the reason there is none.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use super::report::{diagnostics, parse_info};
use super::run::{Finished, run, status_text};
use super::{Assembled, ToolchainError};

/// ptxas's version, from `ptxas --version` ("Cuda compilation tools, release 13.5, V13.5.37").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PtxasVersion {
    /// `13.5`
    pub release: String,
    /// `V13.5.37`
    pub build: String,
}

/// Finds the `release X, VY` line of `ptxas --version` output.
pub fn parse_version(text: &str) -> Option<PtxasVersion> {
    let rest = text.lines().find_map(|l| l.split_once("release "))?.1;
    let (release, build) = rest.split_once(',')?;
    Some(PtxasVersion {
        release: release.trim().to_string(),
        build: build.trim().to_string(),
    })
}

/// Asks the ptxas at `path` for its version (None when it does not say).
pub(crate) fn query_version(path: &Path, limit: Duration) -> Option<PtxasVersion> {
    let done = run(
        Command::new(path).arg("--version"),
        None,
        limit,
        "ptxas --version",
    )
    .ok()?;
    parse_version(&String::from_utf8_lossy(&done.stdout))
}

/// Refuses targets that are not `sm_` + digits + at most one letter (`sm_90a`), before any
/// program sees them.
pub(crate) fn check_arch(arch: &str) -> Result<(), ToolchainError> {
    let ok = arch.strip_prefix("sm_").is_some_and(|rest| {
        let digits = rest.trim_end_matches(|c: char| c.is_ascii_lowercase());
        rest.len() - digits.len() <= 1
            && !digits.is_empty()
            && digits.bytes().all(|b| b.is_ascii_digit())
    });
    if ok {
        Ok(())
    } else {
        Err(ToolchainError::BadArch {
            arch: arch.to_string(),
        })
    }
}

/// The arguments after the program name: `-arch=ARCH -v -o OUT IN`.
pub(crate) fn ptxas_args(arch: &str, out: &str, input: &str) -> Vec<String> {
    vec![
        format!("-arch={arch}"),
        "-v".to_string(),
        "-o".to_string(),
        out.to_string(),
        input.to_string(),
    ]
}

/// Assembles `ptx` with the ptxas at `path`, through temporary files.
pub(crate) fn assemble_local(
    path: &Path,
    ptx: &str,
    arch: &str,
    limit: Duration,
) -> Result<Assembled, ToolchainError> {
    let io = |what: &str| {
        let what = what.to_string();
        move |source| ToolchainError::Io { what, source }
    };
    let dir = tempfile::Builder::new()
        .prefix("egpu-ptxas")
        .tempdir()
        .map_err(io("creating a temporary folder for ptxas"))?;
    let input = dir.path().join("kernel.ptx");
    let output = dir.path().join("kernel.cubin");
    std::fs::write(&input, ptx).map_err(io("writing the PTX for ptxas"))?;
    let args = ptxas_args(arch, &output.to_string_lossy(), &input.to_string_lossy());
    let done = run(Command::new(path).args(&args), None, limit, "ptxas")?;
    judge(done, ptx, arch, |_| {
        std::fs::read(&output).map_err(io("reading the cubin ptxas wrote"))
    })
}

/// Turns a finished ptxas run into a cubin and report, or the error it shows. `cubin`
/// fetches the output (a file, or the run's stdout for a container).
pub(crate) fn judge(
    done: Finished,
    ptx: &str,
    arch: &str,
    cubin: impl FnOnce(&Finished) -> Result<Vec<u8>, ToolchainError>,
) -> Result<Assembled, ToolchainError> {
    let text = done.stderr_text();
    if !done.status.success() {
        return Err(failure(&text, ptx, arch, &status_text(done.status)));
    }
    let cubin = cubin(&done)?;
    if !cubin.starts_with(b"\x7fELF") {
        return Err(ToolchainError::Failed {
            what: "ptxas".to_string(),
            status: "exit status 0".to_string(),
            message: format!(
                "its output is not a cubin ({} bytes, no ELF header)",
                cubin.len()
            ),
        });
    }
    Ok(Assembled {
        cubin,
        info: parse_info(&text),
    })
}

/// The error a failed ptxas run shows: an unknown target, a rejected PTX line, or (no
/// diagnostic at all) a plain failure with the text's last line.
pub(crate) fn failure(text: &str, ptx: &str, arch: &str, status: &str) -> ToolchainError {
    let found = diagnostics(text);
    let Some(first) = found.first() else {
        return ToolchainError::Failed {
            what: "ptxas".to_string(),
            status: status.to_string(),
            message: last_line(text),
        };
    };
    if first
        .message
        .contains("is not defined for option 'gpu-name'")
    {
        return ToolchainError::UnsupportedArch {
            arch: arch.to_string(),
            message: first.message.clone(),
        };
    }
    let line = found.iter().find_map(|d| d.line);
    let message: Vec<&str> = found.iter().map(|d| d.message.as_str()).collect();
    ToolchainError::Rejected {
        arch: arch.to_string(),
        message: message.join("; "),
        line,
        ptx_line: line
            .and_then(|n| ptx.lines().nth(n.checked_sub(1)?))
            .map(|l| l.trim().to_string()),
    }
}

/// The last non-empty line of `text`, or a note that there was none.
pub(crate) fn last_line(text: &str) -> String {
    text.lines()
        .rev()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("no message")
        .to_string()
}
