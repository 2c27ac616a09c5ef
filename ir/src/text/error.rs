//! Parse errors with their position, the `file:line:col` rendering, and "did you mean"
//! suggestions by edit distance.

/// A `.egir` text that does not parse or does not type-check: where (1-based line, and column
/// counted in characters) and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{line}:{col}: {message}")]
pub struct ParseError {
    pub line: usize,
    pub col: usize,
    pub message: String,
}

/// A position in the source: 1-based line and column (in characters).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Pos {
    pub line: usize,
    pub col: usize,
}

impl Pos {
    pub fn error(self, message: impl Into<String>) -> ParseError {
        ParseError {
            line: self.line,
            col: self.col,
            message: message.into(),
        }
    }
}

impl ParseError {
    /// `"PATH:LINE:COL: error: MESSAGE\n"` followed by the source line and a caret under the
    /// column, e.g.
    /// ```text
    /// examples/x.egir:3:7: error: unknown op 'softmx' (did you mean 'softmax'?)
    ///    3 |   y = softmx(x)
    ///      |       ^
    /// ```
    ///
    /// A line longer than [`WINDOW`] characters is shown as a window of that many around the
    /// column, with `...` where it was cut, so a 10 MB line gives a short message.
    pub fn render(&self, path: &str, source: &str) -> String {
        let mut out = format!(
            "{path}:{}:{}: error: {}\n",
            self.line, self.col, self.message
        );
        let text = source_line(source, self.line);
        let number = self.line.to_string();
        let width = number.len().max(4);
        let window = Window::around(text, self.col.saturating_sub(1));
        // Control characters would upset a terminal; tabs are kept so the caret lines up.
        let shown: String = window
            .text
            .chars()
            .map(|c| if c.is_control() && c != '\t' { ' ' } else { c })
            .collect();
        let before = if window.cut_before { CUT } else { "" };
        let after = if window.cut_after { CUT } else { "" };
        let pad: String = " ".repeat(before.len())
            + &shown
                .chars()
                .take(window.caret)
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect::<String>();
        let missing = window.caret.saturating_sub(shown.chars().count()).min(1024); // only a hand-made error points far past the end of its line
        out.push_str(&format!("{number:>width$} | {before}{shown}{after}\n"));
        out.push_str(&format!("{:width$} | {pad}{}^\n", "", " ".repeat(missing)));
        out
    }
}

/// The most characters of a source line a diagnostic shows.
pub const WINDOW: usize = 100;
/// How many of them come before the error's column when the line is cut.
const LEAD: usize = 60;
/// Marks where a shown line was cut.
const CUT: &str = "...";

/// The part of a line a diagnostic shows.
struct Window<'a> {
    text: &'a str,
    /// Characters of `text` before the caret (past its end when the column is).
    caret: usize,
    cut_before: bool,
    cut_after: bool,
}

impl<'a> Window<'a> {
    /// At most [`WINDOW`] characters of `line` around the 0-based character column `col`.
    fn around(line: &'a str, col: usize) -> Window<'a> {
        let total = line.chars().count();
        if total <= WINDOW {
            return Window {
                text: line,
                caret: col,
                cut_before: false,
                cut_after: false,
            };
        }
        // Start LEAD characters before the column, but never so late that fewer than WINDOW
        // characters remain.
        let start = col.saturating_sub(LEAD).min(total - WINDOW);
        let end = start + WINDOW;
        let byte = |i: usize| line.char_indices().nth(i).map_or(line.len(), |(b, _)| b);
        let (from, to) = (byte(start), byte(end));
        Window {
            text: &line[from..to],
            caret: col - start,
            cut_before: start > 0,
            cut_after: end < total,
        }
    }
}

/// Line `line` (1-based) of `source` without its line break; empty past the end.
fn source_line(source: &str, line: usize) -> &str {
    let text = source.split('\n').nth(line.saturating_sub(1)).unwrap_or("");
    text.strip_suffix('\r').unwrap_or(text)
}

/// `text` as echoed in a message: at most 40 characters, then `…`.
pub(crate) fn short(text: &str) -> String {
    match text.char_indices().nth(40) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_string(),
    }
}

/// Optimal-string-alignment edit distance (insertions, deletions, substitutions and swaps of
/// neighbouring characters each cost 1).
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    // rows[i][j] = distance between a[..i] and b[..j]; three rows suffice.
    let mut before: Vec<usize> = vec![0; b.len() + 1];
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for i in 1..=a.len() {
        let mut cur = vec![i; b.len() + 1];
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(before[j - 2] + 1);
            }
            cur[j] = d;
        }
        before = std::mem::replace(&mut prev, cur);
    }
    prev[b.len()]
}

/// The candidate nearest to `word`, if it is near enough to be a plausible typo (distance at
/// most a third of the longer word, so one- and two-letter words get none). Ties go to the
/// earlier candidate.
pub(crate) fn suggest<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let len = word.chars().count();
    if len > 64 {
        return None;
    }
    let mut best: Option<(usize, &str)> = None;
    for candidate in candidates {
        if candidate == word {
            continue;
        }
        let d = edit_distance(word, candidate);
        let limit = len.max(candidate.chars().count()) / 3;
        if d <= limit && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, candidate));
        }
    }
    best.map(|(_, c)| c)
}

/// `" (did you mean 'X'?)"` when a candidate is near `word`, else empty.
pub(crate) fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> String {
    match suggest(word, candidates) {
        Some(c) => format!(" (did you mean '{c}'?)"),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        assert_eq!(edit_distance("", ""), 0);
        assert_eq!(edit_distance("abc", ""), 3);
        assert_eq!(edit_distance("", "ab"), 2);
        assert_eq!(edit_distance("softmx", "softmax"), 1);
        assert_eq!(edit_distance("f31", "f32"), 1);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        // A swap of neighbours is one edit.
        assert_eq!(edit_distance("sfotmax", "softmax"), 1);
        assert_eq!(edit_distance("ab", "ba"), 1);
        assert_eq!(edit_distance("relu", "gelu"), 1);
    }

    #[test]
    fn suggestions() {
        let ops = ["softmax", "log_softmax", "sum", "sub", "exp2", "exp"];
        assert_eq!(suggest("softmx", ops), Some("softmax"));
        assert_eq!(suggest("sfotmax", ops), Some("softmax"));
        assert_eq!(suggest("log_sofmax", ops), Some("log_softmax"));
        // Ties keep the first candidate.
        assert_eq!(suggest("sun", ops), Some("sum"));
        assert_eq!(suggest("exp3", ops), Some("exp2"));
        assert_eq!(suggest("banana", ops), None);
        assert_eq!(suggest("x", ["y"]), None);
        assert_eq!(suggest("ab", ["ba"]), None);
        assert_eq!(suggest("sum", ["sum"]), None);
        assert_eq!(
            did_you_mean("f31", ["f16", "f32", "f64"]),
            " (did you mean 'f32'?)"
        );
        assert_eq!(did_you_mean("zzzz", ["f16"]), "");
        assert_eq!(short("abc"), "abc");
        assert_eq!(short(&"é".repeat(41)), format!("{}…", "é".repeat(40)));
    }

    /// Long lines: the window keeps the caret under the column's character, marks each cut
    /// side, keeps tabs in the caret line, and a column past the end stays past the end.
    #[test]
    fn render_windows_long_lines() {
        let line = format!("{}\tX{}", "a".repeat(500), "b".repeat(500));
        let e = ParseError {
            line: 1,
            col: 502,
            message: "m".into(),
        };
        let got = e.render("f", &line);
        let shown = format!("{}\tX{}", "a".repeat(59), "b".repeat(39));
        let pad = format!("{}{}\t", " ".repeat(3), " ".repeat(59));
        assert_eq!(
            got,
            format!("f:1:502: error: m\n   1 | ...{shown}...\n     | {pad}^\n")
        );
        // The column just past the end of a long line: the last 100 characters, cut before.
        let e = ParseError {
            line: 1,
            col: 1003,
            message: "m".into(),
        };
        let got = e.render("f", &line);
        let tail = "b".repeat(100);
        assert_eq!(
            got,
            format!(
                "f:1:1003: error: m\n   1 | ...{tail}\n     | {}^\n",
                " ".repeat(103)
            )
        );
    }

    #[test]
    fn render_points_at_the_column() {
        let e = ParseError {
            line: 2,
            col: 5,
            message: "bad".into(),
        };
        let got = e.render("a.egir", "graph g() {\n  y = z\n}\n");
        assert_eq!(
            got,
            "a.egir:2:5: error: bad\n   2 |   y = z\n     |     ^\n"
        );
        // Past the end of the text: an empty line, the caret still at the column.
        let e = ParseError {
            line: 9,
            col: 3,
            message: "eof".into(),
        };
        assert_eq!(
            e.render("f", "x"),
            "f:9:3: error: eof\n   9 | \n     |   ^\n"
        );
        // Tabs are kept in the caret line.
        let e = ParseError {
            line: 1,
            col: 3,
            message: "m".into(),
        };
        assert_eq!(
            e.render("f", "\ta\tb"),
            "f:1:3: error: m\n   1 | \ta\tb\n     | \t ^\n"
        );
    }
}
