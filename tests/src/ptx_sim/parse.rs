//! Reading a PTX module's text: comments removed, the module directives skipped, each
//! `.entry` split into its parameters, declarations, labels and instruction statements
//! (each with its line). Instructions are decoded in `decode.rs`.

use super::SimError;
use super::instr::{Instr, Ty};

/// A kernel parameter: its name, type, byte size and offset in the parameter block.
#[derive(Clone, Debug)]
pub struct Param {
    pub name: String,
    pub ty: Ty,
    pub size: u64,
    pub offset: u64,
}

/// A `.shared` array: name, offset in the shared window and size in bytes.
#[derive(Clone, Debug)]
pub struct SharedArray {
    pub name: String,
    pub offset: u64,
    pub size: u64,
}

/// One kernel, decoded.
#[derive(Clone, Debug)]
pub struct Entry {
    pub name: String,
    pub params: Vec<Param>,
    pub param_bytes: u64,
    pub shared: Vec<SharedArray>,
    pub shared_bytes: u64,
    /// Register names by number (for messages) and their declared types.
    pub reg_names: Vec<String>,
    pub reg_types: Vec<Ty>,
    pub reqntid: Option<[u32; 3]>,
    pub code: Vec<Instr>,
}

/// A parsed module: its entries in order.
#[derive(Clone, Debug)]
pub struct Module {
    pub entries: Vec<Entry>,
}

/// A statement of an entry body before decoding.
#[derive(Clone, Debug)]
pub enum Stmt {
    Label(String),
    Instr(String),
    Decl(String),
}

pub fn parse_error(line: usize, message: impl Into<String>) -> SimError {
    SimError::Parse {
        line,
        message: message.into(),
    }
}

/// `text` with `//` and `/* */` comments replaced by spaces (newlines kept, so that byte
/// offsets still give the right line).
fn strip_comments(text: &str) -> Result<Vec<u8>, SimError> {
    let b = text.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'/' && b.get(i + 1) == Some(&b'/') {
            while i < b.len() && b[i] != b'\n' {
                out.push(b' ');
                i += 1;
            }
        } else if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
            let start_line = line_of(b, i);
            i += 2;
            out.extend_from_slice(b"  ");
            loop {
                if i + 1 >= b.len() {
                    return Err(parse_error(start_line, "unterminated /* comment"));
                }
                if b[i] == b'*' && b[i + 1] == b'/' {
                    out.extend_from_slice(b"  ");
                    i += 2;
                    break;
                }
                out.push(if b[i] == b'\n' { b'\n' } else { b' ' });
                i += 1;
            }
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    Ok(out)
}

fn line_of(b: &[u8], pos: usize) -> usize {
    1 + b[..pos.min(b.len())]
        .iter()
        .filter(|&&c| c == b'\n')
        .count()
}

/// A cursor over the comment-free module text.
struct Cursor {
    b: Vec<u8>,
    pos: usize,
    line: usize,
}

impl Cursor {
    fn skip_ws(&mut self) {
        while self.pos < self.b.len() && self.b[self.pos].is_ascii_whitespace() {
            if self.b[self.pos] == b'\n' {
                self.line += 1;
            }
            self.pos += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    fn bump(&mut self) -> Option<u8> {
        let c = self.peek()?;
        if c == b'\n' {
            self.line += 1;
        }
        self.pos += 1;
        Some(c)
    }

    /// A word: `.`, `%`, `$`, `_`, letters, digits and `:` (for `shared::cta`).
    fn word(&mut self) -> String {
        self.skip_ws();
        let start = self.pos;
        while let Some(c) = self.peek() {
            if c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'$' | b'%') {
                self.pos += 1;
            } else {
                break;
            }
        }
        String::from_utf8_lossy(&self.b[start..self.pos]).into_owned()
    }

    /// Text up to (not including) `stop`, which is consumed.
    fn until(&mut self, stop: u8) -> Result<String, SimError> {
        let line = self.line;
        let start = self.pos;
        loop {
            match self.bump() {
                Some(c) if c == stop => break,
                Some(_) => {}
                None => return Err(parse_error(line, format!("missing '{}'", stop as char))),
            }
        }
        Ok(String::from_utf8_lossy(&self.b[start..self.pos - 1]).into_owned())
    }

    fn rest_of_line(&mut self) {
        while let Some(c) = self.peek() {
            if c == b'\n' {
                break;
            }
            self.pos += 1;
        }
    }
}

/// A text with the line it starts on.
pub type Located = (usize, String);

/// A raw entry: header facts and body statements with their lines.
pub struct RawEntry {
    pub name: String,
    pub params: Vec<(usize, String)>,
    pub reqntid: Option<[u32; 3]>,
    pub body: Vec<(usize, Stmt)>,
}

/// Splits a module into raw entries and module-scope declarations.
pub fn scan_module(text: &str) -> Result<(Vec<RawEntry>, Vec<Located>), SimError> {
    let mut c = Cursor {
        b: strip_comments(text)?,
        pos: 0,
        line: 1,
    };
    let mut entries = Vec::new();
    let mut globals = Vec::new();
    loop {
        c.skip_ws();
        if c.peek().is_none() {
            break;
        }
        let line = c.line;
        let w = c.word();
        match w.as_str() {
            ".version" | ".target" | ".address_size" => c.rest_of_line(),
            ".visible" | ".weak" => {}
            ".entry" => entries.push(scan_entry(&mut c)?),
            ".shared" => {
                let decl = c.until(b';')?;
                globals.push((line, format!(".shared {decl}")));
            }
            "" => {
                let ch = c.peek().map(|b| b as char).unwrap_or(' ');
                return Err(parse_error(
                    line,
                    format!("unexpected '{ch}' at module scope"),
                ));
            }
            other => {
                return Err(parse_error(
                    line,
                    format!("unsupported module directive '{other}'"),
                ));
            }
        }
    }
    Ok((entries, globals))
}

fn scan_entry(c: &mut Cursor) -> Result<RawEntry, SimError> {
    let line = c.line;
    let name = c.word();
    if name.is_empty() {
        return Err(parse_error(line, ".entry without a name"));
    }
    c.skip_ws();
    let mut params = Vec::new();
    if c.peek() == Some(b'(') {
        c.bump();
        let start_line = c.line;
        let inner = c.until(b')')?;
        let mut l = start_line;
        for part in inner.split(',') {
            let trimmed = part.trim();
            let here = l + part[..part.len() - part.trim_start().len()]
                .matches('\n')
                .count();
            if !trimmed.is_empty() {
                params.push((here, trimmed.to_string()));
            }
            l += part.matches('\n').count();
        }
    }
    let mut reqntid = None;
    loop {
        c.skip_ws();
        if c.peek() == Some(b'{') {
            c.bump();
            break;
        }
        let dline = c.line;
        let w = c.word();
        match w.as_str() {
            ".reqntid" | ".maxntid" | ".minnctapersm" | ".maxnreg" => {
                let mut dims = [1u32; 3];
                let mut k = 0;
                loop {
                    c.skip_ws();
                    let n = c.word();
                    let v: u32 = n
                        .parse()
                        .map_err(|_| parse_error(dline, format!("bad {w} value '{n}'")))?;
                    if k < 3 {
                        dims[k] = v;
                    }
                    k += 1;
                    c.skip_ws();
                    if c.peek() == Some(b',') {
                        c.bump();
                    } else {
                        break;
                    }
                }
                if w == ".reqntid" {
                    reqntid = Some(dims);
                }
            }
            _ => {
                return Err(parse_error(
                    dline,
                    format!("unexpected '{w}' before the body"),
                ));
            }
        }
    }
    let body = scan_body(c)?;
    Ok(RawEntry {
        name,
        params,
        reqntid,
        body,
    })
}

/// The statements of a body up to its closing brace. Nested `{ }` scopes are flattened.
fn scan_body(c: &mut Cursor) -> Result<Vec<(usize, Stmt)>, SimError> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    loop {
        c.skip_ws();
        let line = c.line;
        match c.peek() {
            None => return Err(parse_error(line, "missing '}' at the end of the entry")),
            Some(b'}') => {
                c.bump();
                if depth == 0 {
                    return Ok(out);
                }
                depth -= 1;
                continue;
            }
            Some(b'{') => {
                c.bump();
                depth += 1;
                continue;
            }
            _ => {}
        }
        // One statement: a label `name:` or text up to `;` (braces inside are operands).
        let start = c.pos;
        let mut braces = 0i32;
        let mut label = None;
        loop {
            let Some(ch) = c.bump() else {
                return Err(parse_error(line, "statement without ';'"));
            };
            match ch {
                b'{' => braces += 1,
                b'}' => braces -= 1,
                b':' if braces == 0 => {
                    let text = String::from_utf8_lossy(&c.b[start..c.pos - 1]).into_owned();
                    let t = text.trim();
                    let is_ident = !t.is_empty()
                        && t.bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'$');
                    // `shared::cta` has a colon too: only a bare identifier is a label.
                    if is_ident && c.peek() != Some(b':') {
                        label = Some(t.to_string());
                        break;
                    }
                    if c.peek() == Some(b':') {
                        c.bump();
                    }
                }
                b';' if braces == 0 => break,
                _ => {}
            }
        }
        if let Some(l) = label {
            out.push((line, Stmt::Label(l)));
            continue;
        }
        let text = String::from_utf8_lossy(&c.b[start..c.pos - 1])
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        if text.starts_with('.') {
            out.push((line, Stmt::Decl(text)));
        } else {
            out.push((line, Stmt::Instr(text)));
        }
    }
}

/// Splits operands at top-level commas (not inside `{}` or `[]`).
pub fn split_operands(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut cur = String::new();
    for ch in text.chars() {
        match ch {
            '{' | '[' => depth += 1,
            '}' | ']' => depth -= 1,
            _ => {}
        }
        if ch == ',' && depth == 0 {
            out.push(cur.trim().to_string());
            cur.clear();
        } else {
            cur.push(ch);
        }
    }
    if !cur.trim().is_empty() {
        out.push(cur.trim().to_string());
    }
    out
}

/// Parses `.param .u64 name` (with optional `.ptr .global .align N` attributes, or an
/// array `.param .align 8 .b8 name[16]`). Returns name, element type and byte size.
pub fn parse_param(line: usize, text: &str) -> Result<(String, Ty, u64), SimError> {
    let words: Vec<&str> = text.split_whitespace().collect();
    if words.first() != Some(&".param") {
        return Err(parse_error(
            line,
            format!("parameter '{text}' is not a .param"),
        ));
    }
    let ty = words
        .iter()
        .filter_map(|w| w.strip_prefix('.').and_then(Ty::from_name))
        .next_back()
        .ok_or_else(|| parse_error(line, format!("parameter '{text}' has no type")))?;
    let last = words.last().copied().unwrap_or_default();
    let (name, count) = match last.split_once('[') {
        Some((n, rest)) => {
            let k: u64 = rest
                .trim_end_matches(']')
                .parse()
                .map_err(|_| parse_error(line, format!("bad array size in '{text}'")))?;
            (n.to_string(), k)
        }
        None => (last.to_string(), 1),
    };
    if name.starts_with('.') || name.is_empty() {
        return Err(parse_error(line, format!("parameter '{text}' has no name")));
    }
    Ok((name, ty, u64::from(ty.bytes()) * count))
}

/// Parses `.shared .align A .b8 name[N]` into (name, align, bytes).
pub fn parse_shared(line: usize, text: &str) -> Result<(String, u64, u64), SimError> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let mut align = 1u64;
    let mut ty = None;
    let mut decl = None;
    let mut i = 1;
    while i < words.len() {
        let w = words[i];
        if w == ".align" {
            align = words
                .get(i + 1)
                .and_then(|a| a.parse().ok())
                .ok_or_else(|| parse_error(line, format!("bad .align in '{text}'")))?;
            i += 2;
            continue;
        }
        if let Some(t) = w.strip_prefix('.').and_then(Ty::from_name) {
            ty = Some(t);
        } else {
            decl = Some(w);
        }
        i += 1;
    }
    let ty = ty.ok_or_else(|| parse_error(line, format!("'{text}' has no type")))?;
    let decl = decl.ok_or_else(|| parse_error(line, format!("'{text}' has no name")))?;
    let (name, count) = match decl.split_once('[') {
        Some((n, rest)) => {
            let k: u64 = rest
                .trim_end_matches(']')
                .parse()
                .map_err(|_| parse_error(line, format!("bad array size in '{text}'")))?;
            (n.to_string(), k)
        }
        None => (decl.to_string(), 1),
    };
    Ok((
        name,
        align.max(u64::from(ty.bytes())),
        u64::from(ty.bytes()) * count,
    ))
}
