//! Where the cache lives and whether it is on, from the environment.
//!
//! - `EGPU_CACHE=off` (or `0`, `false`, `no`; any case) turns the cache off; any other
//!   value, or none, leaves it on.
//! - The folder: `EGPU_CACHE_DIR` if set and not empty, else `$XDG_CACHE_HOME/egpu` if that
//!   is an absolute path (the XDG rule: a relative one is ignored), else
//!   `$HOME/.cache/egpu`. With none of them the cache keeps programs in memory only.

use std::ffi::OsString;
use std::path::PathBuf;

/// The variable naming the cache folder.
pub const DIR_VAR: &str = "EGPU_CACHE_DIR";
/// The variable that turns the cache off.
pub const SWITCH_VAR: &str = "EGPU_CACHE";

/// Whether the cache is on, given a way to read a variable.
pub fn enabled(var: impl Fn(&str) -> Option<OsString>) -> bool {
    let Some(value) = var(SWITCH_VAR) else {
        return true;
    };
    let value = value.to_string_lossy().trim().to_ascii_lowercase();
    !matches!(value.as_str(), "off" | "0" | "false" | "no")
}

/// The cache folder, given a way to read a variable (`None`: no place to put one).
pub fn cache_dir(var: impl Fn(&str) -> Option<OsString>) -> Option<PathBuf> {
    let set = |name: &str| var(name).filter(|v| !v.is_empty()).map(PathBuf::from);
    if let Some(dir) = set(DIR_VAR) {
        return Some(dir);
    }
    if let Some(xdg) = set("XDG_CACHE_HOME").filter(|p| p.is_absolute()) {
        return Some(xdg.join("egpu"));
    }
    set("HOME").map(|home| home.join(".cache").join("egpu"))
}

/// Reads a variable of this process.
pub fn process_var(name: &str) -> Option<OsString> {
    std::env::var_os(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<OsString> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| OsString::from(v))
        }
    }

    #[test]
    fn the_folder_comes_from_the_first_variable_set() {
        let all = [
            ("EGPU_CACHE_DIR", "/tmp/mine"),
            ("XDG_CACHE_HOME", "/xdg"),
            ("HOME", "/home/u"),
        ];
        assert_eq!(cache_dir(vars(&all)), Some(PathBuf::from("/tmp/mine")));
        assert_eq!(cache_dir(vars(&all[1..])), Some(PathBuf::from("/xdg/egpu")));
        assert_eq!(
            cache_dir(vars(&all[2..])),
            Some(PathBuf::from("/home/u/.cache/egpu"))
        );
        assert_eq!(cache_dir(vars(&[])), None);
    }

    #[test]
    fn empty_and_relative_values_are_skipped() {
        let v = vars(&[
            ("EGPU_CACHE_DIR", ""),
            ("XDG_CACHE_HOME", "relative/cache"),
            ("HOME", "/h"),
        ]);
        assert_eq!(cache_dir(v), Some(PathBuf::from("/h/.cache/egpu")));
    }

    #[test]
    fn egpu_cache_off_turns_it_off() {
        for off in ["off", "OFF", "0", "false", "no", " off "] {
            assert!(!enabled(vars(&[("EGPU_CACHE", off)])), "{off}");
        }
        for on in ["on", "1", "yes", ""] {
            assert!(enabled(vars(&[("EGPU_CACHE", on)])), "{on}");
        }
        assert!(enabled(vars(&[])));
    }
}
