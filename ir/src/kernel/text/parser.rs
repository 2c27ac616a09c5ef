//! The `.kir` parser: kernels, their headers and their blocks. It builds each kernel with
//! [`KernelBuilder`] as it reads (so every builder check applies, reported at the token that
//! caused it), then runs the verifier on the finished kernel. Blocks are tracked on an
//! explicit stack, so nesting costs no native stack; it is still limited to
//! [`MAX_NESTING`] so that no later walk meets an absurd depth.

use super::cursor::Cursor;
use super::lexer::{TokenKind, lex};
use super::names::{Names, Pending};
use crate::DType;
use crate::kernel::verify::verify;
use crate::kernel::{Access, AtomicOp, Kernel, KernelBuilder, KernelError, Launch, Memory};
use crate::text::error::{ParseError, Pos, did_you_mean};
use std::collections::HashMap;

/// Loops and ifs nest at most this deep.
pub const MAX_NESTING: usize = 256;

/// Every kernel of `source` (at least one), with distinct names, and where each starts.
pub(super) fn parse_kernels(source: &str) -> Result<Vec<(Kernel, Pos)>, ParseError> {
    let mut cursor = Cursor::new(lex(source)?);
    let mut kernels: Vec<(Kernel, Pos)> = Vec::new();
    let mut lines: HashMap<String, usize> = HashMap::new();
    loop {
        if cursor.at(&TokenKind::Eof) && !kernels.is_empty() {
            return Ok(kernels);
        }
        let pos = cursor.pos();
        let kernel = KernelParser::new(&mut cursor).kernel()?;
        if let Some(line) = lines.insert(kernel.name().to_string(), pos.line) {
            let name = kernel.name();
            let m = format!("a kernel named '{name}' is already defined at line {line}");
            return Err(pos.error(m));
        }
        kernels.push((kernel, pos));
    }
}

/// An open block: what closing it means.
#[derive(Clone, Copy, Debug)]
pub(super) enum Open {
    Loop,
    Then,
    Else,
}

/// One kernel being read.
pub(super) struct KernelParser<'c> {
    pub(super) c: &'c mut Cursor,
    pub(super) names: Names,
    /// Where each statement starts, in program order (a loop or if before its body): the
    /// verifier numbers statements the same way.
    pub(super) stmts: Vec<Pos>,
}

/// Where the parts of a kernel's header are, for messages about them.
#[derive(Clone, Copy)]
struct Header {
    kernel: Pos,
    name: Pos,
    grid: Pos,
    subgroup: Pos,
}

/// A parameter as read, declared once the builder exists (after the launch line).
struct ParamText {
    name: String,
    pos: Pos,
    dtype: DType,
    /// `Some((len, access))` for a buffer.
    buffer: Option<(usize, Access)>,
}

impl<'c> KernelParser<'c> {
    fn new(c: &'c mut Cursor) -> KernelParser<'c> {
        KernelParser {
            c,
            names: Names::new(),
            stmts: Vec::new(),
        }
    }

    /// `kernel NAME(PARAMS) grid [..] workgroup [..] subgroup N (shared ..)* { BODY }`
    fn kernel(mut self) -> Result<Kernel, ParseError> {
        let kernel_pos = self.c.keyword("kernel")?;
        let (name, name_pos) = self.c.word("a kernel name")?;
        self.c.expect(&TokenKind::LParen, "'('")?;
        let mut params = Vec::new();
        if !self.c.eat(&TokenKind::RParen) {
            loop {
                params.push(self.param()?);
                if self.c.eat(&TokenKind::Comma) {
                    continue;
                }
                self.c.expect(&TokenKind::RParen, "',' or ')'")?;
                break;
            }
        }
        let grid_pos = self.c.keyword("grid")?;
        let grid = self.c.triple("a grid size")?;
        self.c.keyword("workgroup")?;
        let workgroup = self.c.triple("a workgroup size")?;
        let subgroup_pos = self.c.keyword("subgroup")?;
        let (subgroup, _) = self.c.unsigned::<u32>("a subgroup size")?;
        let mut b = KernelBuilder::new(&name, Launch { grid, workgroup }, subgroup);
        for p in params {
            let declared = match p.buffer {
                Some((len, access)) => b.buffer(&p.name, p.dtype, len, access).map(|_| ()),
                None => b.scalar_param(&p.name, p.dtype).map(|_| ()),
            };
            self.built(declared, p.pos, Pending::Nothing)?;
        }
        while self.c.at_word("shared") {
            self.shared(&mut b)?;
        }
        while self.c.at_word("fragment") {
            self.fragment_decl(&mut b)?;
        }
        self.c
            .expect(&TokenKind::LBrace, "'shared', 'fragment' or '{'")?;
        self.body(&mut b)?;
        let header = Header {
            kernel: kernel_pos,
            name: name_pos,
            grid: grid_pos,
            subgroup: subgroup_pos,
        };
        self.finish(b, header)
    }

    /// The finished kernel, after the builder's whole-kernel checks and the verifier; their
    /// errors point at the header part or statement they concern.
    fn finish(&self, b: KernelBuilder, at: Header) -> Result<Kernel, ParseError> {
        let kernel = match b.finish() {
            Ok(kernel) => kernel,
            Err(KernelError::Build { what, message, .. }) => {
                let pos = match what.as_str() {
                    "kernel" => at.name,
                    "launch" => at.grid,
                    "subgroup" => at.subgroup,
                    _ => at.kernel,
                };
                return Err(pos.error(format!("{what}: {message}")));
            }
            Err(e) => return Err(at.kernel.error(e.to_string())),
        };
        if let Some(first) = verify(&kernel, None)
            .err()
            .and_then(|e| e.into_iter().next())
        {
            let pos = first
                .stmt
                .and_then(|i| self.stmts.get(i).copied())
                .unwrap_or(at.kernel);
            let m = format!("{}: {}", first.what, first.message);
            return Err(pos.error(self.names.rename(&m, Pending::Nothing)));
        }
        Ok(kernel)
    }

    /// `NAME: global DTYPE[LEN] ACCESS` or `NAME: DTYPE`.
    fn param(&mut self) -> Result<ParamText, ParseError> {
        let (name, pos) = self.c.word("a parameter name")?;
        self.c.expect(&TokenKind::Colon, "':'")?;
        if !self.c.eat_word("global") {
            let dtype = self.dtype()?;
            return Ok(ParamText {
                name,
                pos,
                dtype,
                buffer: None,
            });
        }
        let dtype = self.dtype()?;
        self.c.expect(&TokenKind::LBracket, "'['")?;
        let (len, _) = self.c.unsigned::<usize>("a buffer length")?;
        self.c.expect(&TokenKind::RBracket, "']'")?;
        let access = self.access()?;
        Ok(ParamText {
            name,
            pos,
            dtype,
            buffer: Some((len, access)),
        })
    }

    fn access(&mut self) -> Result<Access, ParseError> {
        let all = [Access::Read, Access::Write, Access::ReadWrite];
        let (word, pos) = self.c.word("'read', 'write' or 'read_write'")?;
        all.into_iter().find(|a| a.name() == word).ok_or_else(|| {
            let names = all.map(|a| a.name());
            pos.error(format!(
                "unknown access '{word}'; expected read, write or read_write{}",
                did_you_mean(&word, names)
            ))
        })
    }

    /// `shared NAME: DTYPE[LEN]`
    fn shared(&mut self, b: &mut KernelBuilder) -> Result<(), ParseError> {
        self.c.keyword("shared")?;
        let (name, pos) = self.c.word("a shared array name")?;
        self.c.expect(&TokenKind::Colon, "':'")?;
        let dtype = self.dtype()?;
        self.c.expect(&TokenKind::LBracket, "'['")?;
        let (len, _) = self.c.unsigned::<usize>("a shared array length")?;
        self.c.expect(&TokenKind::RBracket, "']'")?;
        let declared = b.shared(&name, dtype, len).map(|_| ());
        self.built(declared, pos, Pending::Nothing)
    }

    /// `fragment NAME: f32[16, 16]` (the one fragment type).
    fn fragment_decl(&mut self, b: &mut KernelBuilder) -> Result<(), ParseError> {
        self.c.keyword("fragment")?;
        let (name, pos) = self.c.word("a fragment name")?;
        self.c.expect(&TokenKind::Colon, "':'")?;
        let at = self.c.pos();
        let dtype = self.dtype()?;
        self.c.expect(&TokenKind::LBracket, "'['")?;
        let (rows, _) = self.c.unsigned::<u32>("16")?;
        self.c.expect(&TokenKind::Comma, "','")?;
        let (cols, _) = self.c.unsigned::<u32>("16")?;
        self.c.expect(&TokenKind::RBracket, "']'")?;
        if dtype != DType::F32 || rows != 16 || cols != 16 {
            return Err(at.error("a fragment is f32[16, 16]"));
        }
        let declared = b.fragment(&name).map(|_| ());
        self.built(declared, pos, Pending::Nothing)
    }

    pub(super) fn dtype(&mut self) -> Result<DType, ParseError> {
        let (word, pos) = self.c.word("a dtype")?;
        DType::from_name(&word).ok_or_else(|| {
            let names = DType::ALL.map(|d| d.name());
            pos.error(format!(
                "unknown dtype '{word}'{}",
                did_you_mean(&word, names)
            ))
        })
    }

    /// The statements of the body up to its closing `}`, loops and ifs on an explicit stack.
    fn body(&mut self, b: &mut KernelBuilder) -> Result<(), ParseError> {
        let mut open: Vec<(Open, Pos)> = Vec::new();
        loop {
            let pos = self.c.pos();
            match &self.c.peek().kind {
                TokenKind::RBrace => {
                    self.c.bump();
                    let Some((block, _)) = open.pop() else {
                        return Ok(());
                    };
                    self.names.close_block();
                    let closed = match block {
                        Open::Loop => b.end_loop(),
                        Open::Then
                            if self.c.at_word("else")
                                && self.c.peek_at(1).kind == TokenKind::LBrace =>
                        {
                            self.c.bump();
                            self.c.expect(&TokenKind::LBrace, "'{'")?;
                            self.names.open_block();
                            open.push((Open::Else, pos));
                            b.begin_else()
                        }
                        Open::Then | Open::Else => b.end_if(),
                    };
                    self.built(closed, pos, Pending::Nothing)?;
                }
                TokenKind::Eof => {
                    let what = match open.last() {
                        Some((_, at)) => format!("'}}' to close the block at line {}", at.line),
                        None => "'}' to close the kernel body".to_string(),
                    };
                    return Err(self.c.expected(&what));
                }
                TokenKind::Ident(_) => {
                    if let Some(block) = self.statement(b)? {
                        if open.len() >= MAX_NESTING {
                            let m = format!("loops and ifs nest more than {MAX_NESTING} deep");
                            return Err(pos.error(m));
                        }
                        open.push((block, pos));
                    }
                }
                _ => return Err(self.c.expected("a statement or '}'")),
            }
        }
    }

    /// One statement; a `for` or `if` header returns the block it opens.
    fn statement(&mut self, b: &mut KernelBuilder) -> Result<Option<Open>, ParseError> {
        self.stmts.push(self.c.pos());
        let next = &self.c.peek_at(1).kind;
        if *next == TokenKind::Colon {
            return self.definition(b).map(|()| None);
        }
        if *next == TokenKind::Equals {
            return self.acc_update(b).map(|()| None);
        }
        let (word, pos) = self.c.word("a statement")?;
        match word.as_str() {
            "for" => self.for_header(b).map(|()| Some(Open::Loop)),
            "if" => self.if_header(b).map(|()| Some(Open::Then)),
            "store" => self.store(b).map(|()| None),
            "barrier" => {
                b.barrier();
                Ok(None)
            }
            "matrix_tile" => self.matrix_tile(b).map(|()| None),
            "fragment_zero" | "fragment_mma" | "fragment_store" => {
                self.fragment_stmt(b, &word).map(|()| None)
            }
            "atomic_add" => self.atomic(b, AtomicOp::Add).map(|()| None),
            "atomic_max" => self.atomic(b, AtomicOp::Max).map(|()| None),
            "atomic_min" => self.atomic(b, AtomicOp::Min).map(|()| None),
            _ => {
                let keywords = [
                    "for",
                    "if",
                    "store",
                    "barrier",
                    "matrix_tile",
                    "atomic_add",
                    "atomic_max",
                    "atomic_min",
                    "fragment_zero",
                    "fragment_mma",
                    "fragment_store",
                ];
                Err(pos.error(format!(
                    "expected a statement, found '{}'{}",
                    crate::text::error::short(&word),
                    did_you_mean(&word, keywords)
                )))
            }
        }
    }

    /// A builder result, with a refusal turned into an error at `pos` that names values as
    /// the text does.
    pub(super) fn built<T>(
        &self,
        result: Result<T, KernelError>,
        pos: Pos,
        pending: Pending,
    ) -> Result<T, ParseError> {
        result.map_err(|e| match e {
            KernelError::Build { what, message, .. } => {
                let m = format!("{what}: {message}");
                pos.error(self.names.rename(&m, pending))
            }
            e => pos.error(e.to_string()),
        })
    }

    /// A load's source or a store's target, by name.
    pub(super) fn memory(&mut self, b: &KernelBuilder) -> Result<Memory, ParseError> {
        let (name, pos) = self.c.word("a buffer or shared array name")?;
        let kernel = b.kernel();
        if let Some((id, p)) = kernel.params().find(|(_, p)| p.name() == name) {
            return match p {
                crate::kernel::Param::Buffer { .. } => Ok(Memory::Global(id)),
                crate::kernel::Param::Scalar { .. } => Err(pos.error(format!(
                    "'{name}' is a scalar parameter, not a buffer (read it with 'param {name}')"
                ))),
            };
        }
        if let Some((id, _)) = kernel.shared_arrays().find(|(_, s)| s.name == name) {
            return Ok(Memory::Shared(id));
        }
        let params = kernel.params().map(|(_, p)| p.name());
        let shared = kernel.shared_arrays().map(|(_, s)| s.name.as_str());
        let candidates: Vec<&str> = params.chain(shared).collect();
        Err(pos.error(format!(
            "no buffer or shared array named '{}'{}",
            crate::text::error::short(&name),
            did_you_mean(&name, candidates)
        )))
    }
}
