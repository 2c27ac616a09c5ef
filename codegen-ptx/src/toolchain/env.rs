//! The environment that resolution reads, as a value: tests pass a made-up one (a temp
//! PATH with fake tools), the compiler passes [`Env::from_process`].

use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};

/// Environment variables, the working directory (for relative PATH entries) and the
/// fallback CUDA folder, which resolution looks in and nothing else.
#[derive(Clone, Debug)]
pub struct Env {
    vars: BTreeMap<String, OsString>,
    cwd: PathBuf,
    cuda_default: PathBuf,
}

/// Where CUDA installs itself when no `CUDA_HOME` says otherwise.
pub const DEFAULT_CUDA_DIR: &str = "/usr/local/cuda";

impl Default for Env {
    fn default() -> Self {
        Env {
            vars: BTreeMap::new(),
            cwd: PathBuf::from("/"),
            cuda_default: PathBuf::from(DEFAULT_CUDA_DIR),
        }
    }
}

impl Env {
    /// No variables, `/` as working directory, `/usr/local/cuda` as the CUDA folder.
    pub fn new() -> Self {
        Env::default()
    }

    /// This process's variables and working directory.
    pub fn from_process() -> Self {
        let mut env = Env::default();
        for (k, v) in std::env::vars_os() {
            if let Ok(k) = k.into_string() {
                env.vars.insert(k, v);
            }
        }
        if let Ok(cwd) = std::env::current_dir() {
            env.cwd = cwd;
        }
        env
    }

    /// Sets variable `key` (builder style).
    pub fn var(mut self, key: &str, value: impl Into<OsString>) -> Self {
        self.vars.insert(key.to_string(), value.into());
        self
    }

    /// Removes variable `key` (builder style).
    pub fn without(mut self, key: &str) -> Self {
        self.vars.remove(key);
        self
    }

    /// Replaces `/usr/local/cuda` (builder style; tests point it at a temp folder).
    pub fn cuda_default(mut self, dir: impl Into<PathBuf>) -> Self {
        self.cuda_default = dir.into();
        self
    }

    /// Variable `key`; an empty value counts as unset, as shells treat `VAR=`.
    pub fn get(&self, key: &str) -> Option<&OsStr> {
        self.vars
            .get(key)
            .map(OsString::as_os_str)
            .filter(|v| !v.is_empty())
    }

    pub fn cwd(&self) -> &Path {
        &self.cwd
    }

    pub fn cuda_default_dir(&self) -> &Path {
        &self.cuda_default
    }

    /// `program` looked up on this environment's PATH (None without a PATH).
    pub fn which(&self, program: &str) -> Option<PathBuf> {
        which::which_in(program, Some(self.get("PATH")?), &self.cwd).ok()
    }
}
