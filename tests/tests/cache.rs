//! The kernel cache (src/cache): a second compile is a hit that runs no pass, anything
//! different is a miss, a damaged entry is rebuilt and never loaded, processes writing one
//! folder at once all succeed, `egpu cache clear` removes only egpu's files, and a folder
//! that cannot be written costs the caching, not the compile. Every cache lives in a
//! temporary folder, never the user's.

use egpu::cache::{CacheStats, DiskStore, entry};
use egpu::{Cache, Jit, Program};
use egpu_ir::{Graph, interp, text};
use egpu_tests::example_path;
use egpu_tests::programs::program_difference;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;

const TARGETS: [&str; 2] = ["gfx1100", "sm_90"];

fn graph(name: &str) -> Graph {
    let source = std::fs::read_to_string(example_path(name)).unwrap();
    text::parse(&source).unwrap()
}

fn jit(target: &str, cache: &Cache) -> Jit {
    Jit::new(target).unwrap().with_cache(Some(cache.clone()))
}

/// The program compiled with no cache at all: what every cached answer must equal.
fn uncached(target: &str, graph: &Graph) -> Program {
    Jit::new(target)
        .unwrap()
        .with_cache(None)
        .compile(graph)
        .unwrap()
}

fn stats(memory_hits: u64, disk_hits: u64, misses: u64, corrupt: u64) -> CacheStats {
    CacheStats {
        memory_hits,
        disk_hits,
        misses,
        corrupt,
        write_failures: 0,
        memory_entries: 1,
    }
}

/// `program` computes `graph` (the reference interpreter's bounds, on the kernel-IR
/// interpreter).
fn assert_computes(program: &Program, graph: &Graph) {
    let inputs = interp::random_inputs(graph, 5);
    let reference = interp::evaluate_with_bounds(graph, &inputs, &program.target).unwrap();
    let results = program.plan.run(&inputs).unwrap();
    for (want, (name, got)) in reference.iter().zip(&results) {
        assert!(interp::compare(want, got).is_none(), "output {name}");
    }
}

#[test]
fn a_second_compile_is_a_hit_that_runs_no_pass() {
    let g = graph("softmax");
    for target in TARGETS {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::at(dir.path());
        let jit = jit(target, &cache);
        let first = jit.compile_shared(&g).unwrap();
        assert_eq!(cache.stats(), stats(0, 0, 1, 0), "{target}");
        let second = jit.compile_shared(&g).unwrap();
        assert_eq!(cache.stats(), stats(1, 0, 1, 0), "{target}");
        assert!(
            Arc::ptr_eq(&first, &second),
            "{target}: not the kept program"
        );

        // A new process (a fresh cache on the same folder) reads the entry from disk.
        let fresh = Cache::at(dir.path());
        let third = self::jit(target, &fresh).compile(&g).unwrap();
        assert_eq!(fresh.stats(), stats(0, 1, 0, 0), "{target}");
        assert_eq!(program_difference(&third, &uncached(target, &g)), None);
        assert_computes(&third, &g);
    }
}

#[test]
fn a_hit_serves_what_the_folder_holds() {
    // Store another graph's program under softmax's key: a compile that returns it was
    // answered from disk, not by the pipeline.
    let (softmax, add) = (graph("softmax"), graph("add"));
    let dir = tempfile::tempdir().unwrap();
    let key = jit("gfx1100", &Cache::in_memory())
        .cache_key(&softmax)
        .unwrap();
    let planted = uncached("gfx1100", &add);
    DiskStore::new(dir.path())
        .write(&key, &entry::encode(&key, &planted))
        .unwrap();
    let cache = Cache::at(dir.path());
    let got = jit("gfx1100", &cache).compile(&softmax).unwrap();
    assert_eq!(got.name(), "add");
    assert_eq!(program_difference(&got, &planted), None);
    assert_eq!(cache.stats().disk_hits, 1);
}

#[test]
fn a_different_graph_target_or_option_is_a_miss() {
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::at(dir.path());
    let (softmax, add) = (graph("softmax"), graph("add"));
    jit("gfx1100", &cache).compile(&softmax).unwrap();
    jit("gfx1100", &cache).compile(&add).unwrap();
    jit("sm_90", &cache).compile(&softmax).unwrap();
    let fast = egpu::JitOptions {
        fast_math: true,
        ..Default::default()
    };
    let fast_jit = Jit::with_options("gfx1100", fast)
        .unwrap()
        .with_cache(Some(cache.clone()));
    fast_jit.compile(&softmax).unwrap();
    let s = cache.stats();
    assert_eq!((s.hits(), s.misses, s.memory_entries), (0, 4, 4));
    // One entry per compile, each named by its key.
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut expected: Vec<String> = [
        jit("gfx1100", &cache).cache_key(&softmax),
        jit("gfx1100", &cache).cache_key(&add),
        jit("sm_90", &cache).cache_key(&softmax),
        fast_jit.cache_key(&softmax),
    ]
    .into_iter()
    .map(|k| format!("{}.egpuc", k.unwrap().hex()))
    .collect();
    expected.sort();
    assert_eq!(names, expected);
    assert_eq!(cache.disk_usage().unwrap().entries, 4);
}

/// A way to damage an entry's bytes.
type Damage = fn(&mut Vec<u8>);

#[test]
fn a_damaged_entry_is_rebuilt_never_loaded() {
    let g = graph("layernorm");
    let want = uncached("gfx1100", &g);
    let key = jit("gfx1100", &Cache::in_memory()).cache_key(&g).unwrap();
    let good = entry::encode(&key, &want);
    let damages: [(&str, Damage); 5] = [
        ("a changed byte", |b| {
            let middle = b.len() / 2;
            b[middle] ^= 1;
        }),
        ("cut in half", |b| b.truncate(b.len() / 2)),
        ("empty", Vec::clear),
        ("one byte short", |b| {
            b.pop();
        }),
        ("another file's bytes", |b| {
            *b = b"not an entry at all".to_vec()
        }),
    ];
    for (what, damage) in damages {
        let dir = tempfile::tempdir().unwrap();
        let store = DiskStore::new(dir.path());
        let mut bytes = good.clone();
        damage(&mut bytes);
        std::fs::write(store.entry_path(&key), &bytes).unwrap();

        let cache = Cache::at(dir.path());
        let got = jit("gfx1100", &cache).compile(&g).unwrap();
        assert_eq!(program_difference(&got, &want), None, "{what}");
        assert_eq!(cache.stats(), stats(0, 0, 1, 1), "{what}");
        let warning = cache.warning().unwrap_or_default();
        assert!(warning.contains("damaged entry"), "{what}: {warning}");
        // The entry was rebuilt: the folder now holds the good bytes.
        let stored = std::fs::read(store.entry_path(&key)).unwrap();
        assert!(stored == good, "{what}: the entry was not rewritten");
    }
}

#[test]
fn processes_and_threads_writing_one_folder_at_once_all_succeed() {
    let dir = tempfile::tempdir().unwrap();
    let file = example_path("mlp");
    let spawn = || {
        Command::new(env!("CARGO_BIN_EXE_egpu-cache-writer"))
            .arg(dir.path())
            .args(["gfx1100", file.to_str().unwrap(), "30"])
            .env_remove("EGPU_CACHE")
            .stdout(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let children = [spawn(), spawn()];
    let g = graph("mlp");
    let want = uncached("gfx1100", &g);
    std::thread::scope(|scope| {
        for _ in 0..2 {
            scope.spawn(|| {
                for _ in 0..30 {
                    let cache = Cache::at(dir.path());
                    let got = jit("gfx1100", &cache).compile(&g).unwrap();
                    assert_eq!(program_difference(&got, &want), None);
                    let s = cache.stats();
                    assert_eq!(
                        (s.corrupt, s.write_failures),
                        (0, 0),
                        "{:?}",
                        cache.warning()
                    );
                }
            });
        }
    });
    for child in children {
        let out = child.wait_with_output().unwrap();
        let said = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "a writer process failed: {said}");
        assert_eq!(said, "ok\n");
    }
    // One valid entry, no temporary file left behind.
    let listing: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(listing.len(), 1, "{listing:?}");
    let key = jit("gfx1100", &Cache::in_memory()).cache_key(&g).unwrap();
    let bytes = std::fs::read(DiskStore::new(dir.path()).entry_path(&key)).unwrap();
    let stored = entry::decode(&key, &bytes).unwrap();
    assert_eq!(program_difference(&stored, &want), None);
}

#[test]
fn an_unwritable_folder_costs_the_caching_not_the_compile() {
    let dir = tempfile::tempdir().unwrap();
    // A folder below a regular file cannot be created, not even by root.
    let blocker = dir.path().join("a-file");
    std::fs::write(&blocker, "x").unwrap();
    let cache = Cache::at(blocker.join("cache"));
    let g = graph("add");
    let jit = jit("gfx1100", &cache);
    let got = jit.compile(&g).unwrap();
    assert_eq!(program_difference(&got, &uncached("gfx1100", &g)), None);
    let s = cache.stats();
    assert_eq!((s.misses, s.write_failures), (1, 1));
    let warning = cache.warning().unwrap();
    assert!(warning.contains("a-file/cache"), "{warning}");
    assert!(warning.contains("compiled without caching"), "{warning}");
    assert!(!warning.contains('\n'), "{warning}");
    // The memory layer still works.
    jit.compile(&g).unwrap();
    assert_eq!(cache.stats().memory_hits, 1);
}

/// Runs the real `egpu` command with the cache in `dir`; returns (status, stdout, stderr).
fn egpu_cache(dir: &Path, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_egpu-cli"))
        .arg("cache")
        .args(args)
        .env("EGPU_CACHE_DIR", dir)
        .env_remove("EGPU_CACHE")
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn clear_removes_only_egpus_files() {
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::at(dir.path());
    jit("gfx1100", &cache).compile(&graph("add")).unwrap();
    jit("gfx1100", &cache).compile(&graph("softmax")).unwrap();
    let entry_bytes: u64 = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().metadata().unwrap().len())
        .sum();
    let hex = "0f".repeat(32);
    let keep = ["notes.txt", &format!("{hex}.egpuc.bak"), "ABC.egpuc"];
    for name in keep {
        std::fs::write(dir.path().join(name), "keep me").unwrap();
    }
    let stale_temp = format!("{hex}.4242-0.tmp");
    std::fs::write(dir.path().join(&stale_temp), "half an entry").unwrap();

    let (ok, out, err) = egpu_cache(dir.path(), &["stats", "--json"]);
    assert!(ok, "{err}");
    let expected = format!(
        "\"entries\": 2, \"bytes\": {entry_bytes}, \"temporary\": 1, \"compiler\": \"{}\"}}\n",
        egpu::cache::COMPILER_VERSION
    );
    assert!(out.ends_with(&expected), "{out}");
    assert!(out.contains(&format!("\"directory\": \"{}\"", dir.path().display())));

    let (ok, out, err) = egpu_cache(dir.path(), &["clear"]);
    assert!(ok, "{err}");
    assert_eq!(
        out,
        format!(
            "removed 2 entries ({entry_bytes} bytes) from {}\n",
            dir.path().display()
        )
    );
    let mut left: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    let mut kept: Vec<String> = keep.iter().map(|s| s.to_string()).collect();
    kept.sort();
    assert_eq!(left, kept);

    let (ok, out, _) = egpu_cache(dir.path(), &["stats"]);
    assert!(ok);
    assert!(
        out.starts_with(&format!(
            "directory: {}\nentries: 0\nbytes: 0\ncompiler: ",
            dir.path().display()
        )),
        "{out}"
    );
    // A cleared folder is a miss again.
    let fresh = Cache::at(dir.path());
    jit("gfx1100", &fresh).compile(&graph("add")).unwrap();
    assert_eq!(fresh.stats().misses, 1);
}

#[test]
fn clear_through_the_library_empties_memory_too() {
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::at(dir.path());
    let jit = jit("gfx1100", &cache);
    jit.compile(&graph("add")).unwrap();
    let removed = cache.clear().unwrap();
    assert_eq!(removed.entries, 1);
    assert_eq!(cache.stats().memory_entries, 0);
    jit.compile(&graph("add")).unwrap();
    assert_eq!(cache.stats().misses, 2);
}

#[test]
fn stats_say_when_the_cache_is_off() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_egpu-cli"))
        .args(["cache", "stats"])
        .env("EGPU_CACHE_DIR", dir.path())
        .env("EGPU_CACHE", "off")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with(&format!(
            "cache: off (EGPU_CACHE=off)\ndirectory: {}\n",
            dir.path().display()
        )),
        "{text}"
    );
}

/// `egpu run` with the cache in `dir` (and `EGPU_CACHE` set to `switch`, if given): its
/// time line.
fn run_time_line(dir: &Path, switch: Option<&str>) -> String {
    let mut command = Command::new(env!("CARGO_BIN_EXE_egpu-cli"));
    command
        .args([
            "run",
            example_path("add").to_str().unwrap(),
            "--device",
            "cpu",
        ])
        .env("EGPU_CACHE_DIR", dir)
        .env_remove("EGPU_CACHE");
    if let Some(value) = switch {
        command.env("EGPU_CACHE", value);
    }
    let out = command.output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{text}");
    let line = text.lines().find(|l| l.starts_with("time: compile"));
    line.unwrap_or_else(|| panic!("no time line in {text}"))
        .to_string()
}

#[test]
fn egpu_run_uses_the_cache_unless_it_is_off() {
    let dir = tempfile::tempdir().unwrap();
    let off = run_time_line(dir.path(), Some("off"));
    assert!(!off.contains("(from the cache)"), "{off}");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    let first = run_time_line(dir.path(), None);
    assert!(!first.contains("(from the cache)"), "{first}");
    let second = run_time_line(dir.path(), None);
    assert!(second.contains("(from the cache)"), "{second}");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn programs_read_back_from_disk_run_on_the_emulator() {
    let dir = tempfile::tempdir().unwrap();
    let examples = egpu_tests::examples();
    let writer = jit("gfx1100", &Cache::at(dir.path()));
    for (_, g) in &examples {
        writer.compile(g).unwrap();
    }
    // A fresh cache: every program comes from its file (code object and plan) and runs on
    // the RDNA3 emulator within each element's error bound of the reference.
    let reader_cache = Cache::at(dir.path());
    let reader = jit("gfx1100", &reader_cache);
    let mut device = egpu_runtime::open_device("emu").unwrap();
    for (name, g) in &examples {
        let program = reader.compile(g).unwrap();
        let inputs = interp::random_inputs(g, 4);
        let expected = interp::evaluate_with_bounds(g, &inputs, &program.target).unwrap();
        let run = program.run(device.as_mut(), &inputs).unwrap();
        let result = egpu_tests::reference::compare_outputs(&expected, &run.outputs);
        assert!(result.is_ok(), "{name}: {result:?}");
    }
    let s = reader_cache.stats();
    assert_eq!((s.disk_hits, s.misses), (examples.len() as u64, 0));
}

/// The examples in `egpu cache --help` run as printed with the folder a temporary one, and
/// name it. (tests/cli_examples.rs runs every command's examples; this checks what they say.)
#[test]
fn help_examples_for_cache_run() {
    let dir = tempfile::tempdir().unwrap();
    let help = Command::new(env!("CARGO_BIN_EXE_egpu-cli"))
        .args(["cache", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&help.stdout).into_owned();
    let mut ran = 0;
    for line in help
        .lines()
        .filter_map(|l| l.trim().strip_prefix("Example: egpu "))
    {
        let args: Vec<&str> = line.split_whitespace().collect();
        let out = Command::new(env!("CARGO_BIN_EXE_egpu-cli"))
            .args(&args)
            .env_remove("EGPU_CACHE")
            .env("EGPU_CACHE_DIR", dir.path())
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "egpu {line}: {stdout}");
        let folder = dir.path().display().to_string();
        assert!(stdout.contains(&folder), "egpu {line}: {stdout}");
        ran += 1;
    }
    assert_eq!(ran, 3, "{help}");
}

/// An empty `EGPU_CACHE_DIR` is as good as none: the folder falls back to `$HOME/.cache/egpu`.
#[test]
fn an_empty_cache_dir_variable_falls_back_to_home() {
    let home = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_egpu-cli"))
        .args(["cache", "stats"])
        .env_remove("EGPU_CACHE")
        .env_remove("XDG_CACHE_HOME")
        .env("EGPU_CACHE_DIR", "")
        .env("HOME", home.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let folder = home.path().join(".cache/egpu");
    assert!(
        stdout.starts_with(&format!("directory: {}\n", folder.display())),
        "{stdout}"
    );
}

/// `egpu bench` times the compiler: it neither reads nor fills the kernel cache.
#[test]
fn bench_compiles_without_the_cache() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_egpu-cli"))
        .args(["bench", "--device", "emu", "--runs", "1"])
        .arg(example_path("add"))
        .env("EGPU_CACHE_DIR", dir.path())
        .env_remove("EGPU_CACHE")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}
