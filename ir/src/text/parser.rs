//! Recursive-descent parser: builds the graph with [`GraphBuilder`] as it reads, so every
//! shape or dtype error is reported at the token that caused it.

use super::calls;
use super::error::{ParseError, Pos, did_you_mean, short};
use super::lexer::{Comment, Token, TokenKind, lex};
use crate::{DType, Graph, GraphBuilder, NodeId, Shape};
use std::collections::BTreeMap;

/// Calls nested deeper than this are refused (the parser recurses once per level).
pub(crate) const MAX_DEPTH: usize = 256;

/// Lists in attributes nest at most this deep (`[[0, 1], [2, 3]]` is 2).
const MAX_LIST_DEPTH: usize = 4;

/// Words that cannot name a value or graph.
pub(crate) fn is_reserved(word: &str) -> bool {
    matches!(word, "graph" | "return" | "true" | "false" | "inf" | "nan")
        || DType::from_name(word).is_some()
}

/// An attribute value or a literal operand, with its position.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Attr {
    pub kind: AttrKind,
    pub pos: Pos,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum AttrKind {
    /// Integer text, possibly negative.
    Int(String),
    /// Number text with a fraction or exponent, or `-inf`.
    Float(String),
    /// A bare word: a dtype name, `true`, `false`, `inf`, `nan`.
    Word(String),
    List(Vec<Attr>),
}

impl Attr {
    /// How the value is quoted in messages.
    pub fn describe(&self) -> String {
        match &self.kind {
            AttrKind::Int(s) | AttrKind::Float(s) | AttrKind::Word(s) => {
                let short: String = s.chars().take(40).collect();
                format!("'{short}'")
            }
            AttrKind::List(_) => "a list".to_string(),
        }
    }
}

/// A positional operand of a call: a value already in the graph, or a number literal.
#[derive(Clone, Debug)]
pub(crate) enum Operand {
    Node(NodeId),
    Literal(Attr),
}

#[derive(Clone, Debug)]
pub(crate) struct Arg {
    pub operand: Operand,
    pub pos: Pos,
}

#[derive(Clone, Debug)]
pub(crate) struct Keyword {
    pub key: String,
    pub key_pos: Pos,
    pub value: Attr,
}

/// A call with its operands evaluated.
#[derive(Clone, Debug)]
pub(crate) struct Call {
    pub name: String,
    pub pos: Pos,
    pub args: Vec<Arg>,
    pub keywords: Vec<Keyword>,
}

pub(crate) fn parse_str(source: &str) -> Result<Graph, ParseError> {
    let (tokens, comments) = lex(source)?;
    let mut parser = Parser {
        tokens,
        next: 0,
        values: BTreeMap::new(),
    };
    parser.file(&comments)
}

struct Parser {
    tokens: Vec<Token>,
    next: usize,
    /// Every defined value: its node and the line that defined it.
    values: BTreeMap<String, (NodeId, usize)>,
}

impl Parser {
    fn peek(&self) -> &Token {
        self.peek_at(0)
    }

    /// The token `ahead` places after the next one (the last token is always `Eof`).
    fn peek_at(&self, ahead: usize) -> &Token {
        let last = self.tokens.len().saturating_sub(1);
        match self.tokens.get(self.next.saturating_add(ahead).min(last)) {
            Some(t) => t,
            None => &EOF,
        }
    }

    fn bump(&mut self) -> Token {
        let token = self.peek().clone();
        if self.next + 1 < self.tokens.len() {
            self.next += 1;
        }
        token
    }

    fn at(&self, kind: &TokenKind) -> bool {
        &self.peek().kind == kind
    }

    /// Takes the next token if it is `kind`.
    fn eat(&mut self, kind: &TokenKind) -> bool {
        let yes = self.at(kind);
        if yes {
            self.bump();
        }
        yes
    }

    /// An error at the next token: "expected WHAT, found TOKEN".
    fn expected(&self, what: &str) -> ParseError {
        let t = self.peek();
        t.pos
            .error(format!("expected {what}, found {}", t.kind.describe()))
    }

    fn expect(&mut self, kind: &TokenKind, what: &str) -> Result<Pos, ParseError> {
        if self.at(kind) {
            Ok(self.bump().pos)
        } else {
            Err(self.expected(what))
        }
    }

    fn ident(&mut self, what: &str) -> Result<(String, Pos), ParseError> {
        match &self.peek().kind {
            TokenKind::Ident(name) => {
                let name = name.clone();
                Ok((name, self.bump().pos))
            }
            _ => Err(self.expected(what)),
        }
    }

    fn file(&mut self, comments: &[Comment]) -> Result<Graph, ParseError> {
        if !matches!(&self.peek().kind, TokenKind::Ident(w) if w == "graph") {
            return Err(self.expected("'graph'"));
        }
        let graph_pos = self.bump().pos;
        let (name, name_pos) = self.ident("the graph's name after 'graph'")?;
        if is_reserved(&name) {
            return Err(name_pos.error(format!(
                "'{name}' is a reserved word and cannot name a graph"
            )));
        }
        let mut b = GraphBuilder::new(&name);
        b.set_doc(doc_lines(comments, graph_pos.line));
        self.expect(
            &TokenKind::LParen,
            &format!("'(' after the graph name '{name}'"),
        )?;
        self.inputs(&mut b)?;
        self.expect(&TokenKind::LBrace, "'{' to open the graph body")?;
        loop {
            let token = self.peek().clone();
            match &token.kind {
                TokenKind::Ident(w) if w == "return" => {
                    self.bump();
                    self.outputs(&mut b)?;
                    break;
                }
                TokenKind::Ident(_) => self.statement(&mut b)?,
                TokenKind::RBrace => {
                    return Err(token.pos.error("missing 'return' before the closing '}'"));
                }
                _ => return Err(self.expected("a statement or 'return'")),
            }
        }
        if !self.at(&TokenKind::RBrace) {
            return Err(self.expected("'}' after the return statement"));
        }
        self.bump();
        let trailing = self.peek();
        if trailing.kind != TokenKind::Eof {
            return Err(trailing.pos.error(format!(
                "unexpected {} after the closing '}}'",
                trailing.kind.describe()
            )));
        }
        b.finish().map_err(|e| graph_pos.error(e.message))
    }

    /// `NAME: TYPE, ...)` (the `(` is taken).
    fn inputs(&mut self, b: &mut GraphBuilder) -> Result<(), ParseError> {
        loop {
            if self.eat(&TokenKind::RParen) {
                return Ok(());
            }
            let (name, pos) = self.ident("an input name or ')'")?;
            self.check_new_name(&name, pos)?;
            self.expect(
                &TokenKind::Colon,
                &format!("':' and a type after the input '{name}'"),
            )?;
            let (dtype, dims, type_pos) = self.value_type()?;
            let id = b
                .input(&name, dtype, &dims)
                .map_err(|e| type_pos.error(e.message))?;
            self.values.insert(name, (id, pos.line));
            if !self.eat(&TokenKind::Comma) && !self.at(&TokenKind::RParen) {
                return Err(self.expected("',' or ')' after an input"));
            }
        }
    }

    /// `DTYPE[DIM, ...]`, with the position of the dtype. The element count is checked.
    fn value_type(&mut self) -> Result<(DType, Vec<usize>, Pos), ParseError> {
        let (word, pos) = self.ident("a type such as f32[4, 4]")?;
        let Some(dtype) = DType::from_name(&word) else {
            let names = DType::ALL.map(DType::name);
            return Err(pos.error(format!(
                "unknown dtype '{}'{}",
                short(&word),
                did_you_mean(&word, names)
            )));
        };
        self.expect(
            &TokenKind::LBracket,
            &format!("'[' and a shape after the dtype '{word}'"),
        )?;
        let mut dims = Vec::new();
        loop {
            if self.eat(&TokenKind::RBracket) {
                break;
            }
            let token = self.bump();
            let dim = match &token.kind {
                TokenKind::Int(text) => calls::dimension(text, token.pos)?,
                TokenKind::Float(text) => {
                    return Err(token.pos.error(format!(
                        "a dimension must be a whole number, found '{text}'"
                    )));
                }
                _ => {
                    let found = token.kind.describe();
                    return Err(token
                        .pos
                        .error(format!("expected a dimension or ']', found {found}")));
                }
            };
            dims.push(dim);
            if !self.eat(&TokenKind::Comma) && !self.at(&TokenKind::RBracket) {
                return Err(self.expected("',' or ']' after a dimension"));
            }
        }
        Shape::new(dims.clone()).map_err(|m| pos.error(m))?;
        Ok((dtype, dims, pos))
    }

    fn check_new_name(&self, name: &str, pos: Pos) -> Result<(), ParseError> {
        if is_reserved(name) {
            return Err(pos.error(format!(
                "'{name}' is a reserved word and cannot name a value"
            )));
        }
        if let Some((_, line)) = self.values.get(name) {
            return Err(pos.error(format!(
                "'{}' is already defined (line {line})",
                short(name)
            )));
        }
        Ok(())
    }

    /// `NAME = EXPR` or `NAME: TYPE = EXPR`.
    fn statement(&mut self, b: &mut GraphBuilder) -> Result<(), ParseError> {
        let (name, pos) = self.ident("a statement")?;
        self.check_new_name(&name, pos)?;
        let annotation = if self.eat(&TokenKind::Colon) {
            Some(self.value_type()?)
        } else {
            None
        };
        if !self.eat(&TokenKind::Equals) {
            let what = if annotation.is_some() {
                "'='"
            } else {
                "'=' or ':'"
            };
            return Err(self.expected(&format!("{what} after '{name}'")));
        }
        let arg = self.expr(b, 0)?;
        let id = match arg.operand {
            Operand::Node(id) => id,
            Operand::Literal(lit) => {
                return Err(arg.pos.error(format!(
                    "a literal has no dtype or shape: write const({}, dtype=..., shape=[...])",
                    lit.describe().trim_matches('\'')
                )));
            }
        };
        if let Some((dtype, dims, type_pos)) = annotation {
            let node = b.node(id);
            if node.dtype != dtype || node.shape.dims() != dims.as_slice() {
                let declared = format!("{dtype}{}", Shape::new(dims).unwrap_or_default());
                return Err(type_pos.error(format!(
                    "type annotation {declared} does not match the value's type {}{}",
                    node.dtype, node.shape
                )));
            }
        }
        b.set_name(id, &name);
        self.values.insert(name, (id, pos.line));
        Ok(())
    }

    /// `OUT, OUT=VALUE, ...` after `return`.
    fn outputs(&mut self, b: &mut GraphBuilder) -> Result<(), ParseError> {
        loop {
            let (name, pos) = self.ident("a value name to return")?;
            let (value, value_pos) = if self.eat(&TokenKind::Equals) {
                self.ident("a value name after '='")?
            } else {
                (name.clone(), pos)
            };
            let id = self.lookup(&value, value_pos)?;
            b.output(&name, id).map_err(|e| pos.error(e.message))?;
            if !self.eat(&TokenKind::Comma) {
                return Ok(());
            }
        }
    }

    fn lookup(&self, name: &str, pos: Pos) -> Result<NodeId, ParseError> {
        match self.values.get(name) {
            Some(&(id, _)) => Ok(id),
            None => {
                let hint = did_you_mean(name, self.values.keys().map(String::as_str));
                Err(pos.error(format!("undefined value '{}'{hint}", short(name))))
            }
        }
    }

    /// A value name, a call or a literal.
    fn expr(&mut self, b: &mut GraphBuilder, depth: usize) -> Result<Arg, ParseError> {
        let token = self.peek().clone();
        let literal = |kind| {
            Ok(Arg {
                operand: Operand::Literal(Attr {
                    kind,
                    pos: token.pos,
                }),
                pos: token.pos,
            })
        };
        match &token.kind {
            TokenKind::Ident(word) if self.peek_at(1).kind == TokenKind::LParen => {
                let word = word.clone();
                self.call(b, word, token.pos, depth)
            }
            TokenKind::Ident(word) if matches!(word.as_str(), "true" | "false" | "inf" | "nan") => {
                self.bump();
                literal(AttrKind::Word(word.clone()))
            }
            TokenKind::Ident(word) => {
                self.bump();
                let id = self.lookup(word, token.pos)?;
                Ok(Arg {
                    operand: Operand::Node(id),
                    pos: token.pos,
                })
            }
            TokenKind::Int(text) => {
                self.bump();
                literal(AttrKind::Int(text.clone()))
            }
            TokenKind::Float(text) => {
                self.bump();
                literal(AttrKind::Float(text.clone()))
            }
            _ => Err(self.expected("a value, a call or a number")),
        }
    }

    /// `OP(ARG, ..., KEY=VALUE, ...)`; the op name is the next token.
    fn call(
        &mut self,
        b: &mut GraphBuilder,
        name: String,
        pos: Pos,
        depth: usize,
    ) -> Result<Arg, ParseError> {
        if depth >= MAX_DEPTH {
            return Err(pos.error(format!(
                "calls are nested too deeply (more than {MAX_DEPTH} levels)"
            )));
        }
        if !calls::is_op(&name) {
            let hint = did_you_mean(&name, calls::OP_NAMES.iter().copied());
            return Err(pos.error(format!("unknown op '{}'{hint}", short(&name))));
        }
        self.bump();
        let open = self.bump().pos;
        let mut call = Call {
            name,
            pos,
            args: Vec::new(),
            keywords: Vec::new(),
        };
        loop {
            if self.eat(&TokenKind::RParen) {
                break;
            }
            let is_keyword = matches!(self.peek().kind, TokenKind::Ident(_))
                && self.peek_at(1).kind == TokenKind::Equals;
            if is_keyword {
                let (key, key_pos) = self.ident("a keyword")?;
                self.bump();
                if call.keywords.iter().any(|k| k.key == key) {
                    return Err(key_pos.error(format!("keyword '{key}' is given twice")));
                }
                let value = self.attr(0)?;
                call.keywords.push(Keyword {
                    key,
                    key_pos,
                    value,
                });
            } else {
                if let Some(k) = call.keywords.first() {
                    let t = self.peek();
                    return Err(t.pos.error(format!(
                        "an operand cannot follow the keyword arguments (after '{}=')",
                        k.key
                    )));
                }
                let arg = self.expr(b, depth + 1)?;
                call.args.push(arg);
            }
            if !self.eat(&TokenKind::Comma) && !self.at(&TokenKind::RParen) {
                let t = self.peek();
                let mut message = format!(
                    "expected ',' or ')' after an argument, found {}",
                    t.kind.describe()
                );
                if t.pos.line != open.line {
                    message.push_str(&format!(
                        " (the '(' at {}:{} is not closed)",
                        open.line, open.col
                    ));
                }
                return Err(t.pos.error(message));
            }
        }
        let id = calls::apply(b, &call)?;
        Ok(Arg {
            operand: Operand::Node(id),
            pos,
        })
    }

    /// An attribute value: a number, a word, or a list of them.
    fn attr(&mut self, depth: usize) -> Result<Attr, ParseError> {
        let token = self.peek().clone();
        let kind = match &token.kind {
            TokenKind::Int(text) => AttrKind::Int(text.clone()),
            TokenKind::Float(text) => AttrKind::Float(text.clone()),
            TokenKind::Ident(word) => AttrKind::Word(word.clone()),
            TokenKind::LBracket => {
                if depth >= MAX_LIST_DEPTH {
                    return Err(token.pos.error(format!(
                        "lists are nested too deeply (more than {MAX_LIST_DEPTH} levels)"
                    )));
                }
                self.bump();
                let mut items = Vec::new();
                loop {
                    if self.eat(&TokenKind::RBracket) {
                        break;
                    }
                    items.push(self.attr(depth + 1)?);
                    if !self.eat(&TokenKind::Comma) && !self.at(&TokenKind::RBracket) {
                        return Err(self.expected("',' or ']' in a list"));
                    }
                }
                return Ok(Attr {
                    kind: AttrKind::List(items),
                    pos: token.pos,
                });
            }
            _ => return Err(self.expected("an attribute value (a number, a list or a dtype)")),
        };
        self.bump();
        Ok(Attr {
            kind,
            pos: token.pos,
        })
    }
}

static EOF: Token = Token {
    kind: TokenKind::Eof,
    pos: Pos { line: 1, col: 1 },
};

/// The text of the comment lines directly above the `graph` keyword (on `graph_line`), with
/// the leading space dropped.
fn doc_lines(comments: &[Comment], graph_line: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut want = graph_line;
    for comment in comments.iter().rev() {
        if comment.line >= graph_line {
            continue;
        }
        if comment.line + 1 != want {
            break;
        }
        want = comment.line;
        lines.push(
            comment
                .text
                .strip_prefix(' ')
                .unwrap_or(&comment.text)
                .to_string(),
        );
    }
    lines.reverse();
    lines
}
