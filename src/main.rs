//! The `egpu` command. All logic is in [`egpu::cli`] so tests can run it in-process.

fn main() {
    let code = egpu::cli::run(
        std::env::args_os(),
        &mut std::io::stdout(),
        &mut std::io::stderr(),
    );
    std::process::exit(code);
}
