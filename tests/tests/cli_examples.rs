//! Every `Example:` line in `egpu help COMMAND` really works: each is run by `sh` from the
//! repository root with `egpu` on PATH (the built binary) and every `out/` path moved into a
//! temporary folder, in help order (so `disasm` and `run-kernel` read what `compile -o out/`
//! wrote), and must exit 0. The kernel cache is a temporary folder too.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_egpu-cli");

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn help(args: &[&str]) -> String {
    let output = Command::new(BIN).args(args).output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{args:?}");
    String::from_utf8(output.stdout).unwrap()
}

/// The subcommands `egpu --help` lists under `Commands:`, in order (without `help`).
fn subcommands() -> Vec<String> {
    help(&["--help"])
        .lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_string)
        .collect()
}

/// The commands after `Example: ` in `egpu help NAME`.
fn examples(name: &str) -> Vec<String> {
    help(&["help", name])
        .lines()
        .filter_map(|l| l.trim().strip_prefix("Example: "))
        .map(str::to_string)
        .collect()
}

/// `command` with every word starting `out/` moved under `out`.
fn redirected(command: &str, out: &Path) -> String {
    let words: Vec<String> = command
        .split(' ')
        .map(|w| match w.strip_prefix("out/") {
            Some(rest) => format!("{}/{rest}", out.display()),
            None => w.to_string(),
        })
        .collect();
    words.join(" ")
}

/// Why an example cannot run on a machine without a GPU, if it needs one.
fn needs_gpu(command: &str) -> Option<&'static str> {
    command
        .split(' ')
        .any(|w| w == "cuda" || w.starts_with("cuda:"))
        .then_some("needs a CUDA GPU")
}

#[test]
fn every_help_example_runs() {
    let names = subcommands();
    let wanted = [
        "check", "fmt", "eval", "compile", "run", "disasm", "bench", "devices", "cache",
    ];
    for name in wanted {
        assert!(names.iter().any(|n| n == name), "{name} missing: {names:?}");
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    // `egpu` on PATH is the binary under test.
    let bin_dir = dir.path().join("bin");
    std::fs::create_dir(&bin_dir).unwrap();
    std::os::unix::fs::symlink(BIN, bin_dir.join("egpu")).unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut ran = 0;
    for name in &names {
        let commands = examples(name);
        assert!(
            !commands.is_empty(),
            "egpu help {name} has no Example: line"
        );
        for command in commands {
            assert!(command.starts_with("egpu "), "{name}: {command}");
            if let Some(why) = needs_gpu(&command) {
                println!("skipped ({why}): {command}");
                continue;
            }
            let line = redirected(&command, &out);
            let output = Command::new("sh")
                .args(["-c", &line])
                .current_dir(repo_root())
                .env("PATH", &path)
                .env_remove("EGPU_DEVICE")
                // The kernel cache in the temporary folder: `egpu cache clear` must never
                // empty the developer's own, and `run` must not fill it.
                .env("EGPU_CACHE_DIR", dir.path().join("cache"))
                .stdin(Stdio::null())
                .output()
                .unwrap();
            let err = String::from_utf8_lossy(&output.stderr);
            assert_eq!(output.status.code(), Some(0), "{line}: {err}");
            ran += 1;
        }
    }
    // Guards the parsing above: the help texts hold this many runnable examples at least.
    assert!(ran >= 15, "only {ran} examples ran");
}
