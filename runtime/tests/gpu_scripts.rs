//! The GPU session's scripts (scripts/gpu/check, scripts/gpu/bench_torch.py) cannot run
//! here, but their syntax and the benchmark plan can: the dry run must find the eight suite
//! graphs and count the bytes and flops DESIGN.md's metrics name, computed here from the
//! suite's shapes by hand.

use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Runs `program args` in the repository root; `None` (after saying why) when the program
/// is missing and `CI` is not set.
fn run(program: &str, args: &[&str]) -> Option<String> {
    match Command::new(program)
        .args(args)
        .current_dir(repo())
        .output()
    {
        Ok(out) => {
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(out.status.success(), "{program} {args:?}: {stderr}");
            Some(String::from_utf8_lossy(&out.stdout).into_owned())
        }
        Err(e) if std::env::var_os("CI").is_none() => {
            println!("skipped: {program} is not available ({e})");
            None
        }
        Err(e) => panic!("{program} is needed in CI: {e}"),
    }
}

#[test]
fn the_check_script_parses() {
    if let Some(out) = run("bash", &["-n", "scripts/gpu/check"]) {
        assert_eq!(out, "");
    }
}

#[test]
fn the_benchmark_plan_counts_the_suite_metrics() {
    let Some(plan) = run(
        "python3",
        &["scripts/gpu/bench_torch.py", "bench", "--dry-run"],
    ) else {
        return;
    };
    let f32 = 4u64;
    let want = [
        ("add", 3 * (1u64 << 26) * f32),
        ("gelu_chain", 2 * 8192 * 8192 * f32),
        ("sum_rows", 16384 * 8192 * f32),
        ("sum_all", (1 << 26) * f32),
        ("softmax", 2 * 16384 * 4096 * f32),
        ("layernorm", 2 * 16384 * 4096 * f32),
        ("matmul_f32", 2 * 4096u64.pow(3)),
        ("matmul_f16", 2 * 8192u64.pow(3)),
    ];
    assert!(plan.contains("nothing measured"), "{plan}");
    for (name, units) in want {
        let line = plan
            .lines()
            .find(|l| l.split_whitespace().next() == Some(name))
            .unwrap_or_else(|| panic!("{name} missing from the plan:\n{plan}"));
        let count: String = line
            .split_whitespace()
            .nth(2)
            .unwrap_or("")
            .replace(',', "");
        assert_eq!(count, units.to_string(), "{line}");
    }
}
