//! The names of a `.kir` text: values and accumulators share one namespace, each name is
//! defined once, and it can be used only while the block that defined it is open. Text names
//! map to the builder's ids (the printer writes `v<id>` and `acc<id>`, so printed text maps
//! each name to itself).

use crate::kernel::{AccId, ValueId};
use crate::text::error::{ParseError, Pos, did_you_mean};
use cranelift_entity::EntityRef;
use std::collections::HashMap;

#[derive(Clone, Copy, Debug)]
pub(super) enum Named {
    Value(ValueId),
    Acc(AccId),
}

/// What a statement is defining while the builder reports on it.
#[derive(Clone, Copy, Debug)]
pub(super) enum Pending<'a> {
    Value(&'a str),
    Acc(&'a str),
    Nothing,
}

#[derive(Clone, Copy, Debug)]
struct Entry {
    named: Named,
    line: usize,
    visible: bool,
}

#[derive(Default)]
pub(super) struct Names {
    entries: HashMap<String, Entry>,
    /// The names defined in each open block, innermost last.
    blocks: Vec<Vec<String>>,
    /// The text name of each builder value and accumulator, by id.
    value_names: Vec<String>,
    acc_names: Vec<String>,
}

impl Names {
    pub fn new() -> Names {
        Names {
            blocks: vec![Vec::new()],
            ..Names::default()
        }
    }

    pub fn open_block(&mut self) {
        self.blocks.push(Vec::new());
    }

    /// Ends the innermost block: what it defined goes out of scope.
    pub fn close_block(&mut self) {
        for name in self.blocks.pop().unwrap_or_default() {
            if let Some(e) = self.entries.get_mut(&name) {
                e.visible = false;
            }
        }
    }

    /// Fails if `name` is taken (every name is defined once in a kernel).
    pub fn check_new(&self, name: &str, pos: Pos) -> Result<(), ParseError> {
        match self.entries.get(name) {
            Some(e) => Err(pos.error(format!(
                "'{name}' is already defined at line {} (a name is defined once per kernel)",
                e.line
            ))),
            None => Ok(()),
        }
    }

    /// Records `name` as defined at `pos` in the innermost block.
    pub fn define(&mut self, name: &str, named: Named, pos: Pos) {
        let entry = Entry {
            named,
            line: pos.line,
            visible: true,
        };
        self.entries.insert(name.to_string(), entry);
        if let Some(block) = self.blocks.last_mut() {
            block.push(name.to_string());
        }
        let (names, index) = match named {
            Named::Value(v) => (&mut self.value_names, v.index()),
            Named::Acc(a) => (&mut self.acc_names, a.index()),
        };
        if names.len() <= index {
            names.resize(index + 1, String::new());
        }
        names[index] = name.to_string();
    }

    /// What `name` names, if it is in scope here.
    fn lookup(&self, name: &str, pos: Pos) -> Result<Named, ParseError> {
        match self.entries.get(name) {
            Some(e) if e.visible => Ok(e.named),
            Some(e) => Err(pos.error(format!(
                "'{name}' is not defined here: it was defined at line {} in a block that has ended",
                e.line
            ))),
            None => {
                let visible = self
                    .entries
                    .iter()
                    .filter(|(_, e)| e.visible)
                    .map(|(n, _)| n.as_str());
                let mut candidates: Vec<&str> = visible.collect();
                candidates.sort_unstable();
                Err(pos.error(format!(
                    "'{name}' is not defined{}",
                    did_you_mean(name, candidates)
                )))
            }
        }
    }

    pub fn value(&self, name: &str, pos: Pos) -> Result<ValueId, ParseError> {
        match self.lookup(name, pos)? {
            Named::Value(v) => Ok(v),
            Named::Acc(_) => Err(pos.error(format!(
                "'{name}' is an accumulator, not a value (read it with 'read {name}')"
            ))),
        }
    }

    pub fn acc(&self, name: &str, pos: Pos) -> Result<AccId, ParseError> {
        match self.lookup(name, pos)? {
            Named::Acc(a) => Ok(a),
            Named::Value(_) => Err(pos.error(format!("'{name}' is a value, not an accumulator"))),
        }
    }

    /// `message` (from the builder, which names values by id) with each `v<id>` and
    /// `acc<id>` replaced by its text name; `pending` names what is being defined (the
    /// builder calls it `v<next id>` or `acc<next id>`).
    pub fn rename(&self, message: &str, pending: Pending) -> String {
        let mut out = String::with_capacity(message.len());
        let mut word = String::new();
        for c in message.chars().chain(std::iter::once(' ')) {
            if c.is_ascii_alphanumeric() || c == '_' {
                word.push(c);
                continue;
            }
            out.push_str(&self.rename_word(&word, pending));
            word.clear();
            out.push(c);
        }
        out.pop();
        out
    }

    fn rename_word(&self, word: &str, pending: Pending) -> String {
        let lookup = |prefix: &str, names: &[String], pending: Option<&str>| {
            let digits = word.strip_prefix(prefix)?;
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let id: usize = digits.parse().ok()?;
            match names.get(id) {
                Some(name) if !name.is_empty() => Some(name.clone()),
                _ if id == names.len() => pending.map(str::to_string),
                _ => None,
            }
        };
        let (value, acc) = match pending {
            Pending::Value(name) => (Some(name), None),
            Pending::Acc(name) => (None, Some(name)),
            Pending::Nothing => (None, None),
        };
        lookup("v", &self.value_names, value)
            .or_else(|| lookup("acc", &self.acc_names, acc))
            .unwrap_or_else(|| word.to_string())
    }
}
