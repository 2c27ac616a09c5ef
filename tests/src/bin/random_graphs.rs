//! `egpu-random-graphs DIR N [SEED]`: writes N random valid graphs (the property tests'
//! generator, `egpu_tests::random_graph::sample`) as `DIR/random_NNNN.egir`, so a machine
//! without Rust (the GPU machine, scripts/gpu/check) can run them through the `egpu` command.

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(dir), Some(n)) = (args.first(), args.get(1).and_then(|n| n.parse().ok())) else {
        eprintln!("usage: egpu-random-graphs DIR N [SEED]");
        return ExitCode::from(1);
    };
    let seed = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(0);
    let dir = PathBuf::from(dir);
    if let Err(e) = std::fs::create_dir_all(&dir) {
        eprintln!("error: cannot create {}: {e}", dir.display());
        return ExitCode::from(1);
    }
    for (i, graph) in egpu_tests::random_graph::sample(n, seed).iter().enumerate() {
        let path = dir.join(format!("random_{i:04}.egir"));
        if let Err(e) = std::fs::write(&path, egpu_ir::text::print(graph)) {
            eprintln!("error: cannot write {}: {e}", path.display());
            return ExitCode::from(1);
        }
    }
    ExitCode::SUCCESS
}
