//! The character level shared by the `.egir` lexer ([`super::lexer`]) and the `.kir` lexer
//! (`crate::kernel::text`): a cursor that tracks line and column, the identifier and white
//! space rules, comments, number literals, and the error for a character neither format uses.
//! Each lexer keeps its own token type and punctuation; this module only reads characters.

use super::error::{ParseError, Pos, short};

/// Whether a `.` after digits belongs to the number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Dots {
    /// Always (`.egir`, which has no other use for `.`): `1.x` is an invalid number.
    InNumbers,
    /// Only when a digit follows (`.kir`, where `1..2` is a range and `.` selects a field).
    BeforeDigit,
}

/// A number literal as scanned: its text, and whether it has a fraction or exponent (or is
/// `-inf`). The parser decides what range applies.
pub(crate) struct Number {
    pub text: String,
    pub float: bool,
}

pub(crate) fn is_ident_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

pub(crate) fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// White space between tokens; line breaks are ordinary white space in both formats.
pub(crate) fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

/// The error for a character no token starts with; invisible ones are named by code point.
pub(crate) fn unexpected(pos: Pos, c: char) -> ParseError {
    if c.is_control() || c.is_whitespace() {
        pos.error(format!("unexpected character U+{:04X}", c as u32))
    } else {
        pos.error(format!("unexpected character '{c}'"))
    }
}

/// Reads a source text character by character, counting 1-based lines and columns (in
/// characters, not bytes). A leading byte-order mark is skipped.
pub(crate) struct Scanner<'a> {
    chars: std::iter::Peekable<std::str::Chars<'a>>,
    line: usize,
    col: usize,
}

impl<'a> Scanner<'a> {
    pub fn new(source: &'a str) -> Self {
        Scanner {
            chars: source
                .strip_prefix('\u{feff}')
                .unwrap_or(source)
                .chars()
                .peekable(),
            line: 1,
            col: 1,
        }
    }

    pub fn pos(&self) -> Pos {
        Pos {
            line: self.line,
            col: self.col,
        }
    }

    pub fn peek(&mut self) -> Option<char> {
        self.chars.peek().copied()
    }

    /// The character after the next one.
    fn peek_second(&self) -> Option<char> {
        let mut ahead = self.chars.clone();
        ahead.next();
        ahead.next()
    }

    pub fn bump(&mut self) -> Option<char> {
        let c = self.chars.next()?;
        if c == '\n' {
            self.line += 1;
            self.col = 1;
        } else {
            self.col += 1;
        }
        Some(c)
    }

    pub fn take_while(&mut self, keep: impl Fn(char) -> bool) -> String {
        let mut text = String::new();
        while let Some(c) = self.peek().filter(|&c| keep(c)) {
            text.push(c);
            self.bump();
        }
        text
    }

    /// A `#` comment (the scanner is at the `#`): its text after the `#`, without the line
    /// break (`\n` or `\r\n`).
    pub fn comment(&mut self) -> String {
        self.bump();
        let mut text = self.take_while(|c| c != '\n');
        if text.ends_with('\r') {
            text.pop();
        }
        text
    }

    fn take_digits(&mut self, text: &mut String) -> bool {
        let digits = self.take_while(|c| c.is_ascii_digit());
        text.push_str(&digits);
        !digits.is_empty()
    }

    /// `-?DIGITS(.DIGITS)?([eE][+-]?DIGITS)?` or `-inf`, starting at `pos` (a digit or `-`);
    /// `dots` says when a `.` belongs to the number.
    pub fn number(&mut self, pos: Pos, dots: Dots) -> Result<Number, ParseError> {
        let mut text = String::new();
        if self.peek() == Some('-') {
            self.bump();
            text.push('-');
            if self.peek().is_some_and(is_ident_start) {
                let word = self.take_while(is_ident_char);
                if word == "inf" {
                    return Ok(Number {
                        text: "-inf".to_string(),
                        float: true,
                    });
                }
                let word = short(&word);
                return Err(pos.error(format!("expected a number after '-', found '{word}'")));
            }
        }
        if !self.take_digits(&mut text) {
            return Err(pos.error("expected a number after '-'"));
        }
        let mut float = false;
        let dot_here = match dots {
            Dots::InNumbers => true,
            Dots::BeforeDigit => self.peek_second().is_some_and(|c| c.is_ascii_digit()),
        };
        if self.peek() == Some('.') && dot_here {
            self.bump();
            text.push('.');
            float = true;
            if !self.take_digits(&mut text) {
                return Err(self.bad_number(pos, text, dots));
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
                return Err(self.bad_number(pos, text, dots));
            }
        }
        if self.peek().is_some_and(|c| in_bad_number(c, dots)) {
            return Err(self.bad_number(pos, text, dots));
        }
        Ok(Number { text, float })
    }

    /// The error for a malformed number: its text so far plus the rest of the word it runs
    /// into, shortened.
    fn bad_number(&mut self, pos: Pos, mut text: String, dots: Dots) -> ParseError {
        text.push_str(&self.take_while(|c| in_bad_number(c, dots) || c == '-' || c == '+'));
        pos.error(format!("invalid number '{}'", short(&text)))
    }
}

/// A character that may not directly follow a number: it would run into it.
fn in_bad_number(c: char, dots: Dots) -> bool {
    is_ident_char(c) || (c == '.' && dots == Dots::InNumbers)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn number(source: &str, dots: Dots) -> Result<(String, bool), (usize, usize, String)> {
        let mut scanner = Scanner::new(source);
        let pos = scanner.pos();
        scanner
            .number(pos, dots)
            .map(|n| (n.text, n.float))
            .map_err(|e| (e.line, e.col, e.message))
    }

    #[test]
    fn dots_decide_where_a_number_ends() {
        let int = |s: &str| Ok((s.to_string(), false));
        assert_eq!(number("1..2", Dots::BeforeDigit), int("1"));
        assert_eq!(number("1.x", Dots::BeforeDigit), int("1"));
        assert_eq!(
            number("1..2", Dots::InNumbers),
            Err((1, 1, "invalid number '1..2'".into()))
        );
        assert_eq!(
            number("1.5.x", Dots::InNumbers),
            Err((1, 1, "invalid number '1.5.x'".into()))
        );
        assert_eq!(
            number("1.5.x", Dots::BeforeDigit),
            Ok(("1.5".to_string(), true))
        );
    }

    #[test]
    fn a_word_after_minus_is_named_and_shortened() {
        for dots in [Dots::InNumbers, Dots::BeforeDigit] {
            assert_eq!(number("-inf", dots), Ok(("-inf".to_string(), true)));
            assert_eq!(
                number("-_x", dots),
                Err((1, 1, "expected a number after '-', found '_x'".into()))
            );
            let long = "a".repeat(50);
            let shown = format!("{}…", "a".repeat(40));
            assert_eq!(
                number(&format!("-{long}"), dots),
                Err((
                    1,
                    1,
                    format!("expected a number after '-', found '{shown}'")
                ))
            );
        }
    }

    #[test]
    fn comments_drop_the_line_break() {
        let mut scanner = Scanner::new("# a\r\nb");
        assert_eq!(scanner.comment(), " a");
        assert_eq!(scanner.bump(), Some('\n'));
        assert_eq!(scanner.pos(), Pos { line: 2, col: 1 });
    }
}
