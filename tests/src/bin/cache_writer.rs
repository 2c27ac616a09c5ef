//! `egpu-cache-writer DIR TARGET FILE ROUNDS`: one of several processes that hammer one
//! kernel cache folder at once (tests/tests/cache.rs). It compiles FILE for TARGET through
//! a cache in DIR, then ROUNDS times rewrites the entry and reads it back through fresh
//! caches (no memory layer), while the others do the same. Every program it gets must equal
//! one compiled without a cache, no entry may ever look damaged, and no write may fail.
//! Prints `ok` and exits 0, or prints what went wrong and exits 1.

use egpu::{Cache, Jit};
use egpu_tests::programs::program_difference;
use std::process::ExitCode;

fn main() -> ExitCode {
    match run() {
        Ok(()) => {
            println!("ok");
            ExitCode::SUCCESS
        }
        Err(message) => {
            println!("{message}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [dir, target, file, rounds] = args.as_slice() else {
        return Err("usage: egpu-cache-writer DIR TARGET FILE ROUNDS".into());
    };
    let rounds: usize = rounds.parse().map_err(|e| format!("ROUNDS: {e}"))?;
    let source = std::fs::read_to_string(file).map_err(|e| format!("{file}: {e}"))?;
    let graph = egpu_ir::text::parse(&source).map_err(|e| format!("{file}: {e}"))?;
    let jit = |cache| Jit::new(target).map(|j| j.with_cache(cache));
    let reference = jit(None)
        .and_then(|j| j.compile(&graph))
        .map_err(|e| e.to_string())?;
    let check = |cache: &Cache| {
        let program = jit(Some(cache.clone()))
            .and_then(|j| j.compile(&graph))
            .map_err(|e| e.to_string())?;
        if let Some(diff) = program_difference(&program, &reference) {
            return Err(format!("a cached program differs: {diff}"));
        }
        let stats = cache.stats();
        if stats.corrupt != 0 || stats.write_failures != 0 {
            return Err(format!("{stats:?}: {:?}", cache.warning()));
        }
        Ok(())
    };
    check(&Cache::at(dir))?;
    let key = jit(None)
        .and_then(|j| j.cache_key(&graph))
        .map_err(|e| e.to_string())?;
    let shared = std::sync::Arc::new(reference.clone());
    for _ in 0..rounds {
        let writer = Cache::at(dir);
        writer.insert(key, &shared);
        if writer.stats().write_failures != 0 {
            return Err(format!("write failed: {:?}", writer.warning()));
        }
        check(&Cache::at(dir))?;
    }
    Ok(())
}
