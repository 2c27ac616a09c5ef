//! Splits `.egir` text into tokens, each with its line and column.

use super::error::{ParseError, Pos, short};
use super::scan::{Dots, Number, Scanner, is_ident_char, is_ident_start, is_space, unexpected};

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum TokenKind {
    /// A name, keyword, op name, dtype name, or `true`/`false`/`inf`/`nan`.
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
            TokenKind::Eof => return "end of file".to_string(),
        };
        format!("'{}'", short(text))
    }
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Token {
    pub kind: TokenKind,
    pub pos: Pos,
}

/// A `#` comment: its line and its text after the `#`.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Comment {
    pub line: usize,
    pub text: String,
}

/// The tokens of `source` (ending with [`TokenKind::Eof`]) and its comments.
pub(crate) fn lex(source: &str) -> Result<(Vec<Token>, Vec<Comment>), ParseError> {
    let mut scanner = Scanner::new(source);
    let mut tokens = Vec::new();
    let mut comments = Vec::new();
    loop {
        let pos = scanner.pos();
        let Some(c) = scanner.peek() else {
            tokens.push(Token {
                kind: TokenKind::Eof,
                pos,
            });
            return Ok((tokens, comments));
        };
        let kind = match c {
            c if is_space(c) => {
                scanner.bump();
                continue;
            }
            '#' => {
                let text = scanner.comment();
                comments.push(Comment {
                    line: pos.line,
                    text,
                });
                continue;
            }
            c if is_ident_start(c) => TokenKind::Ident(scanner.take_while(is_ident_char)),
            c if c.is_ascii_digit() || c == '-' => {
                let Number { text, float } = scanner.number(pos, Dots::InNumbers)?;
                if float {
                    TokenKind::Float(text)
                } else {
                    TokenKind::Int(text)
                }
            }
            c => {
                scanner.bump();
                punctuation(c).ok_or_else(|| unexpected(pos, c))?
            }
        };
        tokens.push(Token { kind, pos });
    }
}

fn punctuation(c: char) -> Option<TokenKind> {
    Some(match c {
        '(' => TokenKind::LParen,
        ')' => TokenKind::RParen,
        '[' => TokenKind::LBracket,
        ']' => TokenKind::RBracket,
        '{' => TokenKind::LBrace,
        '}' => TokenKind::RBrace,
        ',' => TokenKind::Comma,
        ':' => TokenKind::Colon,
        '=' => TokenKind::Equals,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(source: &str) -> Vec<TokenKind> {
        lex(source)
            .map(|(t, _)| t.into_iter().map(|t| t.kind).collect())
            .unwrap_or_default()
    }

    fn ident(s: &str) -> TokenKind {
        TokenKind::Ident(s.to_string())
    }

    #[test]
    fn tokens_and_positions() {
        let (tokens, comments) =
            lex("graph g(x: f32[4]) {\n  y = add(x, -2.5e3) # hi\n}").unwrap_or_default();
        let got: Vec<(TokenKind, usize, usize)> = tokens
            .into_iter()
            .map(|t| (t.kind, t.pos.line, t.pos.col))
            .collect();
        use TokenKind::*;
        let want = vec![
            (ident("graph"), 1, 1),
            (ident("g"), 1, 7),
            (LParen, 1, 8),
            (ident("x"), 1, 9),
            (Colon, 1, 10),
            (ident("f32"), 1, 12),
            (LBracket, 1, 15),
            (Int("4".into()), 1, 16),
            (RBracket, 1, 17),
            (RParen, 1, 18),
            (LBrace, 1, 20),
            (ident("y"), 2, 3),
            (Equals, 2, 5),
            (ident("add"), 2, 7),
            (LParen, 2, 10),
            (ident("x"), 2, 11),
            (Comma, 2, 12),
            (Float("-2.5e3".into()), 2, 14),
            (RParen, 2, 20),
            (RBrace, 3, 1),
            (Eof, 3, 2),
        ];
        assert_eq!(got, want);
        assert_eq!(
            comments,
            vec![Comment {
                line: 2,
                text: " hi".into()
            }]
        );
    }

    #[test]
    fn numbers() {
        use TokenKind::*;
        assert_eq!(
            kinds("3 -3 007"),
            vec![Int("3".into()), Int("-3".into()), Int("007".into()), Eof]
        );
        assert_eq!(
            kinds("1.5 1e-5 -2.5E3 1E+2 -inf inf nan"),
            vec![
                Float("1.5".into()),
                Float("1e-5".into()),
                Float("-2.5E3".into()),
                Float("1E+2".into()),
                Float("-inf".into()),
                ident("inf"),
                ident("nan"),
                Eof
            ]
        );
        assert_eq!(
            kinds("[1,-2]"),
            vec![
                LBracket,
                Int("1".into()),
                Comma,
                Int("-2".into()),
                RBracket,
                Eof
            ]
        );
    }

    #[test]
    fn bad_numbers() {
        let err = |s: &str| lex(s).err().map(|e| (e.line, e.col, e.message));
        assert_eq!(err("x 1.x"), Some((1, 3, "invalid number '1.x'".into())));
        assert_eq!(err("3abc"), Some((1, 1, "invalid number '3abc'".into())));
        assert_eq!(err("\n 1e"), Some((2, 2, "invalid number '1e'".into())));
        assert_eq!(err("1.2.3"), Some((1, 1, "invalid number '1.2.3'".into())));
        assert_eq!(
            err("- 3"),
            Some((1, 1, "expected a number after '-'".into()))
        );
        assert_eq!(
            err("-nan"),
            Some((1, 1, "expected a number after '-', found 'nan'".into()))
        );
    }

    #[test]
    fn bad_characters() {
        let err = |s: &str| lex(s).err().map(|e| (e.line, e.col, e.message));
        assert_eq!(
            err("a\n  @"),
            Some((2, 3, "unexpected character '@'".into()))
        );
        assert_eq!(
            err("ab\u{1}"),
            Some((1, 3, "unexpected character U+0001".into()))
        );
        assert_eq!(err("é"), Some((1, 1, "unexpected character 'é'".into())));
        // Columns count characters, not bytes.
        assert_eq!(
            err("# é\néé"),
            Some((2, 1, "unexpected character 'é'".into()))
        );
        assert_eq!(err("a;"), Some((1, 2, "unexpected character ';'".into())));
    }

    #[test]
    fn comments_and_line_ends() {
        let (tokens, comments) = lex("# one\r\n#two\r\n\r\ngraph").unwrap_or_default();
        assert_eq!(
            comments,
            vec![
                Comment {
                    line: 1,
                    text: " one".into()
                },
                Comment {
                    line: 2,
                    text: "two".into()
                }
            ]
        );
        assert_eq!(tokens.first().map(|t| t.pos), Some(Pos { line: 4, col: 1 }));
        // A byte-order mark is skipped.
        assert_eq!(
            lex("\u{feff}x")
                .ok()
                .and_then(|(t, _)| t.first().map(|t| t.pos)),
            Some(Pos { line: 1, col: 1 })
        );
        assert_eq!(kinds(""), vec![TokenKind::Eof]);
    }

    #[test]
    fn describe_tokens() {
        assert_eq!(TokenKind::Equals.describe(), "'='");
        assert_eq!(TokenKind::Eof.describe(), "end of file");
        assert_eq!(ident("foo").describe(), "'foo'");
        assert_eq!(
            ident(&"a".repeat(50)).describe(),
            format!("'{}…'", "a".repeat(40))
        );
    }
}
