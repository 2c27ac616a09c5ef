//! Splits `.egir` text into tokens, each with its line and column.

use super::error::{ParseError, Pos};

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
        let short: String = text.chars().take(40).collect();
        if short.len() < text.len() {
            format!("'{short}…'")
        } else {
            format!("'{short}'")
        }
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
    let mut lexer = Lexer {
        chars: source
            .strip_prefix('\u{feff}')
            .unwrap_or(source)
            .chars()
            .peekable(),
        line: 1,
        col: 1,
    };
    let mut tokens = Vec::new();
    let mut comments = Vec::new();
    loop {
        let pos = lexer.pos();
        let Some(c) = lexer.peek() else {
            tokens.push(Token {
                kind: TokenKind::Eof,
                pos,
            });
            return Ok((tokens, comments));
        };
        let kind = match c {
            ' ' | '\t' | '\r' | '\n' => {
                lexer.bump();
                continue;
            }
            '#' => {
                lexer.bump();
                let mut text = lexer.take_while(|c| c != '\n');
                if text.ends_with('\r') {
                    text.pop();
                }
                comments.push(Comment {
                    line: pos.line,
                    text,
                });
                continue;
            }
            '(' => TokenKind::LParen,
            ')' => TokenKind::RParen,
            '[' => TokenKind::LBracket,
            ']' => TokenKind::RBracket,
            '{' => TokenKind::LBrace,
            '}' => TokenKind::RBrace,
            ',' => TokenKind::Comma,
            ':' => TokenKind::Colon,
            '=' => TokenKind::Equals,
            c if is_ident_start(c) => {
                tokens.push(Token {
                    kind: TokenKind::Ident(lexer.take_while(is_ident_char)),
                    pos,
                });
                continue;
            }
            c if c.is_ascii_digit() || c == '-' => {
                tokens.push(Token {
                    kind: lexer.number(pos)?,
                    pos,
                });
                continue;
            }
            c if c.is_control() || c.is_whitespace() => {
                return Err(pos.error(format!("unexpected character U+{:04X}", c as u32)));
            }
            c => return Err(pos.error(format!("unexpected character '{c}'"))),
        };
        lexer.bump();
        tokens.push(Token { kind, pos });
    }
}

pub(crate) fn is_ident_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

pub(crate) fn is_ident_char(c: char) -> bool {
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

    fn take_digits(&mut self, text: &mut String) -> bool {
        let digits = self.take_while(|c| c.is_ascii_digit());
        text.push_str(&digits);
        !digits.is_empty()
    }

    /// `-?DIGITS(.DIGITS)?([eE][+-]?DIGITS)?` or `-inf`.
    fn number(&mut self, pos: Pos) -> Result<TokenKind, ParseError> {
        let mut text = String::new();
        if self.peek() == Some('-') {
            self.bump();
            text.push('-');
            if self.peek().is_some_and(is_ident_start) {
                let word = self.take_while(is_ident_char);
                if word == "inf" {
                    return Ok(TokenKind::Float("-inf".to_string()));
                }
                return Err(pos.error(format!("expected a number after '-', found '{word}'")));
            }
            if !self.peek().is_some_and(|c| c.is_ascii_digit()) {
                return Err(pos.error("expected a number after '-'"));
            }
        }
        self.take_digits(&mut text);
        let mut float = false;
        if self.peek() == Some('.') {
            self.bump();
            text.push('.');
            float = true;
            if !self.take_digits(&mut text) {
                return Err(self.bad_number(pos, text));
            }
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
        if self.peek().is_some_and(|c| is_ident_char(c) || c == '.') {
            return Err(self.bad_number(pos, text));
        }
        Ok(if float {
            TokenKind::Float(text)
        } else {
            TokenKind::Int(text)
        })
    }

    fn bad_number(&mut self, pos: Pos, mut text: String) -> ParseError {
        text.push_str(&self.take_while(|c| is_ident_char(c) || c == '.' || c == '-' || c == '+'));
        let short: String = text.chars().take(40).collect();
        pos.error(format!("invalid number '{short}'"))
    }
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
