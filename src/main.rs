//! The `egpu` command. All logic is in [`egpu::cli`] so tests can run it in-process.

use std::panic::{AssertUnwindSafe, catch_unwind};

/// mimalloc instead of the system allocator: compiling allocates many small, short-lived
/// tables (e-graphs, caches, kernel rebuilds), where glibc's malloc and free took about a
/// quarter of an example's compile time. Only the command: a program linking the library
/// keeps its own allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// A panic is a bug in egpu: the panic hook has already printed where; the exit code says
/// "internal error" (2) rather than Rust's 101, so scripts see the documented codes only.
const PANIC_EXIT: i32 = 2;

fn main() {
    let code = catch_unwind(AssertUnwindSafe(|| {
        egpu::cli::run(
            std::env::args_os(),
            &mut std::io::stdout(),
            &mut std::io::stderr(),
        )
    }))
    .unwrap_or_else(|_| {
        eprintln!("internal error: egpu panicked (a bug; please report it with the input)");
        PANIC_EXIT
    });
    std::process::exit(code);
}
