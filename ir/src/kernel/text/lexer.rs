//! Splits `.kir` text into tokens, each with its line and column. `#` starts a comment that
//! runs to the end of the line; line breaks are ordinary white space.

use crate::text::error::{ParseError, Pos};

#[derive(Clone, Debug, PartialEq)]
pub(super) enum TokenKind {
    /// A name, keyword, op name or type name (`f32x4`), or `true`/`false`/`inf`/`nan`.
    Ident(String),
    /// Digits with an optional leading `-`, kept as text: the parser knows what range applies.
    Int(String),
    /// A number with a fraction or exponent, or `-inf`; kept as text.
    Float(String),
    LParen,
    RParen,
    LBracket,
    RBracket,
    LBrace,
    RBrace,
    Comma,
    Colon,
    Equals,
    /// `.` (in `local_id.x`).
    Dot,
    /// `..` (in `for v3: i32 in v1..v2`).
    DotDot,
    /// `+=` (in `matrix_tile`).
    PlusEquals,
    /// `*` (in `matrix_tile`).
    Star,
    Eof,
}

impl TokenKind {
    /// How the token is quoted in messages: `'='`, `'foo'`, `end of file`.
    pub fn describe(&self) -> String {
        let text = match self {
            TokenKind::Ident(s) | TokenKind::Int(s) | TokenKind::Float(s) => s.as_str(),
            TokenKind::LParen => "(",
            TokenKind::RParen => ")",
            TokenKind::LBracket => "[",
            TokenKind::RBracket => "]",
            TokenKind::LBrace => "{",
            TokenKind::RBrace => "}",
            TokenKind::Comma => ",",
            TokenKind::Colon => ":",
            TokenKind::Equals => "=",
            TokenKind::Dot => ".",
            TokenKind::DotDot => "..",
            TokenKind::PlusEquals => "+=",
            TokenKind::Star => "*",
            TokenKind::Eof => return "end of file".to_string(),
        };
        format!("'{}'", crate::text::error::short(text))
    }
}

#[derive(Clone, Debug, PartialEq)]
pub(super) struct Token {
    pub kind: TokenKind,
    pub pos: Pos,
}

/// The tokens of `source`, ending with [`TokenKind::Eof`].
pub(super) fn lex(source: &str) -> Result<Vec<Token>, ParseError> {
    let text = source.strip_prefix('\u{feff}').unwrap_or(source);
    let mut lexer = Lexer {
        chars: text.chars().peekable(),
        line: 1,
        col: 1,
    };
    let mut tokens = Vec::new();
    loop {
        let pos = lexer.pos();
        let Some(c) = lexer.peek() else {
            tokens.push(Token {
                kind: TokenKind::Eof,
                pos,
            });
            return Ok(tokens);
        };
        let kind = match c {
            ' ' | '\t' | '\r' | '\n' => {
                lexer.bump();
                continue;
            }
            '#' => {
                lexer.take_while(|c| c != '\n');
                continue;
            }
            c if is_ident_char(c) && !c.is_ascii_digit() => {
                TokenKind::Ident(lexer.take_while(is_ident_char))
            }
            c if c.is_ascii_digit() || c == '-' => lexer.number(pos)?,
            _ => lexer.punctuation(pos, c)?,
        };
        tokens.push(Token { kind, pos });
    }
}

fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

struct Lexer<'a> {
    chars: std::iter::Peekable<std::str::Chars<'a>>,
    line: usize,
    col: usize,
}

impl Lexer<'_> {
    fn pos(&self) -> Pos {
        Pos {
            line: self.line,
            col: self.col,
        }
    }

    fn peek(&mut self) -> Option<char> {
        self.chars.peek().copied()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.chars.next()?;
        if c == '\n' {
            self.line += 1;
            self.col = 1;
        } else {
            self.col += 1;
        }
        Some(c)
    }

    fn take_while(&mut self, keep: impl Fn(char) -> bool) -> String {
        let mut text = String::new();
        while let Some(c) = self.peek().filter(|&c| keep(c)) {
            text.push(c);
            self.bump();
        }
        text
    }

    /// One- and two-character punctuation, or an error naming the character.
    fn punctuation(&mut self, pos: Pos, c: char) -> Result<TokenKind, ParseError> {
        self.bump();
        Ok(match c {
            '(' => TokenKind::LParen,
            ')' => TokenKind::RParen,
            '[' => TokenKind::LBracket,
            ']' => TokenKind::RBracket,
            '{' => TokenKind::LBrace,
            '}' => TokenKind::RBrace,
            ',' => TokenKind::Comma,
            ':' => TokenKind::Colon,
            '=' => TokenKind::Equals,
            '*' => TokenKind::Star,
            '.' if self.peek() == Some('.') => {
                self.bump();
                TokenKind::DotDot
            }
            '.' => TokenKind::Dot,
            '+' if self.peek() == Some('=') => {
                self.bump();
                TokenKind::PlusEquals
            }
            c if c.is_control() || c.is_whitespace() => {
                return Err(pos.error(format!("unexpected character U+{:04X}", c as u32)));
            }
            c => return Err(pos.error(format!("unexpected character '{c}'"))),
        })
    }

    /// `-?DIGITS(.DIGITS)?([eE][+-]?DIGITS)?` or `-inf`. A `.` belongs to the number only
    /// when a digit follows it, so `1..2` is a range.
    fn number(&mut self, pos: Pos) -> Result<TokenKind, ParseError> {
        let mut text = String::new();
        if self.peek() == Some('-') {
            self.bump();
            text.push('-');
            if self.peek().is_some_and(|c| c.is_ascii_alphabetic()) {
                let word = self.take_while(is_ident_char);
                if word == "inf" {
                    return Ok(TokenKind::Float("-inf".to_string()));
                }
                let word = crate::text::error::short(&word);
                return Err(pos.error(format!("expected a number after '-', found '{word}'")));
            }
        }
        if !self.take_digits(&mut text) {
            return Err(pos.error("expected a number after '-'"));
        }
        let mut float = false;
        let mut ahead = self.chars.clone();
        ahead.next();
        if self.peek() == Some('.') && ahead.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.bump();
            text.push('.');
            float = true;
            self.take_digits(&mut text);
        }
        if let Some(e @ ('e' | 'E')) = self.peek() {
            self.bump();
            text.push(e);
            float = true;
            if let Some(sign @ ('+' | '-')) = self.peek() {
                self.bump();
                text.push(sign);
            }
            if !self.take_digits(&mut text) {
                return Err(self.bad_number(pos, text));
            }
        }
        if self.peek().is_some_and(is_ident_char) {
            return Err(self.bad_number(pos, text));
        }
        Ok(if float {
            TokenKind::Float(text)
        } else {
            TokenKind::Int(text)
        })
    }

    fn take_digits(&mut self, text: &mut String) -> bool {
        let digits = self.take_while(|c| c.is_ascii_digit());
        text.push_str(&digits);
        !digits.is_empty()
    }

    fn bad_number(&mut self, pos: Pos, mut text: String) -> ParseError {
        text.push_str(&self.take_while(|c| is_ident_char(c) || c == '+' || c == '-'));
        let short = crate::text::error::short(&text);
        pos.error(format!("invalid number '{short}'"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(source: &str) -> Vec<TokenKind> {
        lex(source)
            .map(|t| t.into_iter().map(|t| t.kind).collect())
            .unwrap_or_default()
    }

    fn ident(s: &str) -> TokenKind {
        TokenKind::Ident(s.to_string())
    }

    #[test]
    fn tokens_and_positions() {
        let tokens = lex("for v3: i32 in v1..v2 {\n  x += 1.5e3 # note\n}").unwrap_or_default();
        let got: Vec<(TokenKind, usize, usize)> = tokens
            .into_iter()
            .map(|t| (t.kind, t.pos.line, t.pos.col))
            .collect();
        use TokenKind::*;
        let want = vec![
            (ident("for"), 1, 1),
            (ident("v3"), 1, 5),
            (Colon, 1, 7),
            (ident("i32"), 1, 9),
            (ident("in"), 1, 13),
            (ident("v1"), 1, 16),
            (DotDot, 1, 18),
            (ident("v2"), 1, 20),
            (LBrace, 1, 23),
            (ident("x"), 2, 3),
            (PlusEquals, 2, 5),
            (Float("1.5e3".into()), 2, 8),
            (RBrace, 3, 1),
            (Eof, 3, 2),
        ];
        assert_eq!(got, want);
    }

    #[test]
    fn numbers_dots_and_words() {
        use TokenKind::*;
        assert_eq!(
            kinds("local_id.x 1..2 -3 -0.5 1e-7 -inf nan f32x4 *"),
            vec![
                ident("local_id"),
                Dot,
                ident("x"),
                Int("1".into()),
                DotDot,
                Int("2".into()),
                Int("-3".into()),
                Float("-0.5".into()),
                Float("1e-7".into()),
                Float("-inf".into()),
                ident("nan"),
                ident("f32x4"),
                Star,
                Eof
            ]
        );
    }

    #[test]
    fn bad_input_is_an_error_at_its_column() {
        let err = |s: &str| lex(s).err().map(|e| (e.line, e.col, e.message));
        assert_eq!(
            err("a\n  @"),
            Some((2, 3, "unexpected character '@'".into()))
        );
        assert_eq!(err("3abc"), Some((1, 1, "invalid number '3abc'".into())));
        assert_eq!(err("1e+"), Some((1, 1, "invalid number '1e+'".into())));
        assert_eq!(
            err("- 3"),
            Some((1, 1, "expected a number after '-'".into()))
        );
        assert_eq!(
            err("-nan"),
            Some((1, 1, "expected a number after '-', found 'nan'".into()))
        );
        assert_eq!(
            err("a + b"),
            Some((1, 3, "unexpected character '+'".into()))
        );
        assert_eq!(
            err("ab\u{1}"),
            Some((1, 3, "unexpected character U+0001".into()))
        );
        assert_eq!(
            err("# é\n é"),
            Some((2, 2, "unexpected character 'é'".into()))
        );
    }
}
