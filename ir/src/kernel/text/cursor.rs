//! A cursor over the tokens of a `.kir` text: looking ahead, taking expected tokens, and
//! reading names and numbers with messages that say what was expected.

use super::lexer::{Token, TokenKind};
use crate::text::error::{ParseError, Pos, short};
use std::str::FromStr;

pub(super) struct Cursor {
    tokens: Vec<Token>,
    next: usize,
}

/// Returned by `peek` if the token list were ever empty (the lexer always ends it with `Eof`).
const EOF: Token = Token {
    kind: TokenKind::Eof,
    pos: Pos { line: 1, col: 1 },
};

impl Cursor {
    pub fn new(tokens: Vec<Token>) -> Cursor {
        Cursor { tokens, next: 0 }
    }

    pub fn peek(&self) -> &Token {
        self.peek_at(0)
    }

    /// The token `ahead` places after the next one (`Eof` past the end).
    pub fn peek_at(&self, ahead: usize) -> &Token {
        let last = self.tokens.len().saturating_sub(1);
        self.tokens
            .get(self.next.saturating_add(ahead).min(last))
            .unwrap_or(&EOF)
    }

    pub fn pos(&self) -> Pos {
        self.peek().pos
    }

    pub fn bump(&mut self) -> Token {
        let token = self.peek().clone();
        if self.next + 1 < self.tokens.len() {
            self.next += 1;
        }
        token
    }

    pub fn at(&self, kind: &TokenKind) -> bool {
        &self.peek().kind == kind
    }

    /// Whether the next token is the word `word`.
    pub fn at_word(&self, word: &str) -> bool {
        matches!(&self.peek().kind, TokenKind::Ident(w) if w == word)
    }

    /// Takes the next token if it is `kind`.
    pub fn eat(&mut self, kind: &TokenKind) -> bool {
        let yes = self.at(kind);
        if yes {
            self.bump();
        }
        yes
    }

    /// Takes the word `word` if it is next.
    pub fn eat_word(&mut self, word: &str) -> bool {
        let yes = self.at_word(word);
        if yes {
            self.bump();
        }
        yes
    }

    /// An error at the next token: "expected WHAT, found TOKEN".
    pub fn expected(&self, what: &str) -> ParseError {
        let t = self.peek();
        t.pos
            .error(format!("expected {what}, found {}", t.kind.describe()))
    }

    /// Takes a token of `kind`, or fails saying `what` was expected.
    pub fn expect(&mut self, kind: &TokenKind, what: &str) -> Result<Pos, ParseError> {
        if self.at(kind) {
            Ok(self.bump().pos)
        } else {
            Err(self.expected(what))
        }
    }

    /// Takes the keyword `word`.
    pub fn keyword(&mut self, word: &str) -> Result<Pos, ParseError> {
        if self.at_word(word) {
            Ok(self.bump().pos)
        } else {
            Err(self.expected(&format!("'{word}'")))
        }
    }

    /// Takes a word (a name, keyword or op name).
    pub fn word(&mut self, what: &str) -> Result<(String, Pos), ParseError> {
        match &self.peek().kind {
            TokenKind::Ident(w) => {
                let w = w.clone();
                Ok((w, self.bump().pos))
            }
            _ => Err(self.expected(what)),
        }
    }

    /// A non-negative integer of type `T`; `what` names it in messages.
    pub fn unsigned<T: FromStr>(&mut self, what: &str) -> Result<(T, Pos), ParseError> {
        let TokenKind::Int(text) = &self.peek().kind else {
            return Err(self.expected(what));
        };
        let pos = self.peek().pos;
        if text.starts_with('-') {
            return Err(pos.error(format!("{what} cannot be negative: '{}'", short(text))));
        }
        match text.parse::<T>() {
            Ok(n) => {
                self.bump();
                Ok((n, pos))
            }
            Err(_) => Err(pos.error(format!("{what} '{}' is too large", short(text)))),
        }
    }

    /// `[a, b, c]` of u32 (a launch shape).
    pub fn triple(&mut self, what: &str) -> Result<[u32; 3], ParseError> {
        self.expect(&TokenKind::LBracket, "'['")?;
        let mut out = [0; 3];
        for (i, slot) in out.iter_mut().enumerate() {
            if i > 0 {
                self.expect(&TokenKind::Comma, "','")?;
            }
            *slot = self.unsigned::<u32>(what)?.0;
        }
        self.expect(&TokenKind::RBracket, "']'")?;
        Ok(out)
    }
}
