//! Splits `.kir` text into tokens, each with its line and column. `#` starts a comment that
//! runs to the end of the line; line breaks are ordinary white space.

use crate::text::error::{ParseError, Pos};
use crate::text::scan::{
    Dots, Number, Scanner, is_ident_char, is_ident_start, is_space, unexpected,
};

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
    let mut scanner = Scanner::new(source);
    let mut tokens = Vec::new();
    loop {
        let pos = scanner.pos();
        let Some(c) = scanner.peek() else {
            tokens.push(Token {
                kind: TokenKind::Eof,
                pos,
            });
            return Ok(tokens);
        };
        let kind = match c {
            c if is_space(c) => {
                scanner.bump();
                continue;
            }
            '#' => {
                scanner.comment();
                continue;
            }
            c if is_ident_start(c) => TokenKind::Ident(scanner.take_while(is_ident_char)),
            c if c.is_ascii_digit() || c == '-' => {
                // A `.` belongs to the number only when a digit follows it, so `1..2` is a range.
                let Number { text, float } = scanner.number(pos, Dots::BeforeDigit)?;
                if float {
                    TokenKind::Float(text)
                } else {
                    TokenKind::Int(text)
                }
            }
            _ => punctuation(&mut scanner, pos, c)?,
        };
        tokens.push(Token { kind, pos });
    }
}

/// One- and two-character punctuation, or an error naming the character.
fn punctuation(scanner: &mut Scanner, pos: Pos, c: char) -> Result<TokenKind, ParseError> {
    scanner.bump();
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
        '.' if scanner.peek() == Some('.') => {
            scanner.bump();
            TokenKind::DotDot
        }
        '.' => TokenKind::Dot,
        '+' if scanner.peek() == Some('=') => {
            scanner.bump();
            TokenKind::PlusEquals
        }
        c => return Err(unexpected(pos, c)),
    })
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
