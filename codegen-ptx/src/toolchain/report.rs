//! Reading what ptxas prints: the `-v` resource report per kernel, its warnings, and its
//! error messages (with the PTX line they point at).
//!
//! ptxas 13.5 prints, per entry (on stderr):
//! ```text
//! ptxas info    : Compiling entry function 'k2' for 'sm_80'
//! ptxas info    : Function properties for k2
//!     0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
//! ptxas info    : Used 8 registers, used 1 barriers, 64 bytes smem, 360 bytes cmem[0]
//! ```
//! Sizes that are zero (smem) are left out, so a missing field reads as 0.

/// ptxas's `-v` report for one `.entry`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KernelInfo {
    pub name: String,
    /// The target ptxas compiled it for (`sm_80`).
    pub arch: String,
    pub registers: u32,
    /// Named barriers used (`bar.sync` ids).
    pub barriers: u32,
    pub stack_frame_bytes: u32,
    pub spill_store_bytes: u32,
    pub spill_load_bytes: u32,
    /// Static shared memory (`.shared` arrays).
    pub shared_bytes: u32,
}

/// Everything ptxas reported about a module it assembled.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PtxasInfo {
    /// One per `.entry`, in the order ptxas printed them.
    pub kernels: Vec<KernelInfo>,
    /// `ptxas warning : ...` lines, without the prefix.
    pub warnings: Vec<String>,
    /// The whole text, for `-v` output.
    pub log: String,
}

impl PtxasInfo {
    /// The report for the kernel named `name`.
    pub fn kernel(&self, name: &str) -> Option<&KernelInfo> {
        self.kernels.iter().find(|k| k.name == name)
    }
}

/// Parses ptxas `-v` text. Lines it does not know are skipped (they are informational).
pub fn parse_info(text: &str) -> PtxasInfo {
    let mut info = PtxasInfo {
        log: text.to_string(),
        ..PtxasInfo::default()
    };
    // Which kernel the "Function properties"/"Used" lines belong to: the last entry
    // announced, until the properties of a non-entry function (.func) begin.
    let mut current: Option<usize> = None;
    for line in text.lines() {
        if let Some(w) = line.strip_prefix("ptxas warning") {
            info.warnings.push(after_colon(w).to_string());
            continue;
        }
        let Some(body) = line.strip_prefix("ptxas info") else {
            if let Some(k) = current.and_then(|i| info.kernels.get_mut(i)) {
                read_frame(line, k);
            }
            continue;
        };
        let body = after_colon(body);
        if let Some(rest) = body.strip_prefix("Compiling entry function ") {
            let mut quoted = rest.split('\'').skip(1).step_by(2);
            info.kernels.push(KernelInfo {
                name: quoted.next().unwrap_or_default().to_string(),
                arch: quoted.next().unwrap_or_default().to_string(),
                ..KernelInfo::default()
            });
            current = Some(info.kernels.len() - 1);
        } else if let Some(name) = body.strip_prefix("Function properties for ") {
            let is_entry = current
                .and_then(|i| info.kernels.get(i))
                .map(|k| k.name.as_str());
            if is_entry != Some(name.trim()) {
                current = None;
            }
        } else if body.starts_with("Used ")
            && let Some(k) = current.and_then(|i| info.kernels.get_mut(i))
        {
            read_usage(body, k);
        }
    }
    info
}

/// The text after the first `:` (ptxas pads the severity: `ptxas info    : ...`).
fn after_colon(s: &str) -> &str {
    s.split_once(':').map_or(s, |(_, r)| r).trim()
}

/// `    168 bytes stack frame, 164 bytes spill stores, 164 bytes spill loads`
fn read_frame(line: &str, k: &mut KernelInfo) {
    for (n, what) in numbered_items(line) {
        match what {
            "bytes stack frame" => k.stack_frame_bytes = n,
            "bytes spill stores" => k.spill_store_bytes = n,
            "bytes spill loads" => k.spill_load_bytes = n,
            _ => {}
        }
    }
}

/// `Used 32 registers, used 1 barriers, 64 bytes smem, 360 bytes cmem[0]`
fn read_usage(body: &str, k: &mut KernelInfo) {
    for item in body.split(',') {
        let item = item.trim();
        let item = item
            .strip_prefix("Used ")
            .or_else(|| item.strip_prefix("used "))
            .unwrap_or(item);
        let Some((n, what)) = number_then_words(item) else {
            continue;
        };
        match what {
            "registers" => k.registers = n,
            "barriers" => k.barriers = n,
            "bytes smem" => k.shared_bytes = n,
            _ => {}
        }
    }
}

/// The comma-separated `N words` items of a line.
fn numbered_items(line: &str) -> impl Iterator<Item = (u32, &str)> {
    line.split(',').filter_map(|i| number_then_words(i.trim()))
}

fn number_then_words(item: &str) -> Option<(u32, &str)> {
    let (n, words) = item.split_once(' ')?;
    Some((n.parse().ok()?, words.trim()))
}

/// One diagnostic ptxas printed: `ptxas FILE, line N; error   : MESSAGE` or
/// `ptxas fatal   : MESSAGE`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Diagnostic {
    pub line: Option<usize>,
    pub message: String,
}

/// The error and fatal diagnostics in ptxas's output, without the closing
/// "Ptx assembly aborted due to errors" (it says nothing new).
pub(crate) fn diagnostics(text: &str) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for line in text.lines() {
        let Some(rest) = line.strip_prefix("ptxas ") else {
            continue;
        };
        let Some((head, message)) = rest.split_once(':') else {
            continue;
        };
        // head: "k.ptx, line 8; error   " or "fatal   " (a file name may hold a ':' only
        // in exotic paths; ours are temp files and /dev/stdin).
        let (place, severity) = head.rsplit_once(';').unwrap_or(("", head));
        let severity = severity.trim();
        if severity != "error" && severity != "fatal" {
            continue;
        }
        let message = message.trim();
        if message == "Ptx assembly aborted due to errors" {
            continue;
        }
        out.push(Diagnostic {
            line: line_number(place),
            message: message.to_string(),
        });
    }
    out
}

/// `k.ptx, line 8` → 8.
fn line_number(place: &str) -> Option<usize> {
    let (_, n) = place.rsplit_once(", line ")?;
    n.trim().parse().ok()
}
