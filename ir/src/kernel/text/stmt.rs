//! Statements and expressions of a `.kir` body, each built with the builder as it is read.

use super::lexer::TokenKind;
use super::names::{Named, Pending};
use super::parser::KernelParser;
use crate::kernel::FragId;
use crate::kernel::{
    AccUpdate, AtomicOp, Axis, KernelBuilder, Memory, TileRef, ValueId, ValueType,
};
use crate::text::error::{ParseError, Pos, did_you_mean, short};
use crate::{BinaryOp, ReduceOp, Scalar, UnaryOp};

/// The words that start an expression (for "did you mean").
const EXPR_WORDS: [&str; 15] = [
    "workgroup_id",
    "local_id",
    "const",
    "param",
    "load",
    "where",
    "mulhi",
    "fma",
    "cast",
    "bitcast",
    "vec",
    "extract",
    "read",
    "init",
    "loop_var",
];

impl KernelParser<'_> {
    /// `NAME: TYPE = EXPR` (a value) or `NAME: TYPE = init VALUE` (an accumulator).
    pub(super) fn definition(&mut self, b: &mut KernelBuilder) -> Result<(), ParseError> {
        let (name, pos) = self.c.word("a name")?;
        self.names.check_new(&name, pos)?;
        self.c.expect(&TokenKind::Colon, "':'")?;
        let (ty, ty_pos) = self.value_type()?;
        self.c.expect(&TokenKind::Equals, "'='")?;
        if self.c.eat_word("init") {
            let init = self.value()?;
            let acc = self.built(b.acc_init(init), pos, Pending::Acc(&name))?;
            let got = b.kernel().acc_type(acc);
            self.check_annotation(got, ty, ty_pos)?;
            self.names.define(&name, Named::Acc(acc), pos);
            return Ok(());
        }
        let v = self.expression(b, ty, &name)?;
        self.check_annotation(b.value_type(v), ty, ty_pos)?;
        self.names.define(&name, Named::Value(v), pos);
        Ok(())
    }

    fn check_annotation(
        &self,
        got: Option<ValueType>,
        annotated: ValueType,
        pos: Pos,
    ) -> Result<(), ParseError> {
        match got {
            Some(got) if got == annotated => Ok(()),
            Some(got) => Err(pos.error(format!(
                "the type is written {annotated}, but the definition gives {got}"
            ))),
            None => Err(pos.error("the definition gives no value")),
        }
    }

    /// `f32` or `f32x4`.
    fn value_type(&mut self) -> Result<(ValueType, Pos), ParseError> {
        let pos = self.c.pos();
        let TokenKind::Ident(word) = &self.c.peek().kind else {
            return Err(self.c.expected("a type"));
        };
        let word = word.clone();
        let split = word
            .rfind('x')
            .map(|i| (&word[..i], &word[i + 1..]))
            .filter(|(_, digits)| !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()));
        let (name, width) = match split {
            Some((name, digits)) => (name, digits.parse::<u32>().ok()),
            None => (word.as_str(), Some(1)),
        };
        let Some(dtype) = crate::DType::from_name(name) else {
            let names = crate::DType::ALL.map(|d| d.name());
            return Err(pos.error(format!(
                "unknown type '{}'{}",
                short(&word),
                did_you_mean(name, names)
            )));
        };
        match width {
            Some(w) if crate::kernel::WIDTHS.contains(&w) => {
                self.c.bump();
                Ok((ValueType::vector(dtype, w), pos))
            }
            _ => Err(pos.error(format!(
                "type '{}': a vector has 2, 4 or 8 elements",
                short(&word)
            ))),
        }
    }

    /// A use of a value: its name.
    pub(super) fn value(&mut self) -> Result<ValueId, ParseError> {
        let (name, pos) = self.c.word("a value")?;
        self.names.value(&name, pos)
    }

    /// Values separated by commas: `n` of them.
    fn values(&mut self, n: usize) -> Result<Vec<ValueId>, ParseError> {
        let mut out = Vec::with_capacity(n);
        for i in 0..n {
            if i > 0 {
                self.c.expect(&TokenKind::Comma, "','")?;
            }
            out.push(self.value()?);
        }
        Ok(out)
    }

    /// ` mask VALUE`, if present.
    fn mask(&mut self) -> Result<Option<ValueId>, ParseError> {
        if self.c.eat_word("mask") {
            return self.value().map(Some);
        }
        Ok(None)
    }

    /// The right-hand side of a value definition of type `ty` (which gives the dtype of
    /// `const`, `cast` and `bitcast` and the width of `load`).
    fn expression(
        &mut self,
        b: &mut KernelBuilder,
        ty: ValueType,
        name: &str,
    ) -> Result<ValueId, ParseError> {
        let (word, pos) = self.c.word("an expression")?;
        let pending = Pending::Value(name);
        let built = match word.as_str() {
            "workgroup_id" => Ok(b.workgroup_id(self.axis()?)),
            "local_id" => Ok(b.local_id(self.axis()?)),
            "const" => {
                let value = self.literal()?;
                if !ty.is_scalar() {
                    return Err(pos.error(format!("a constant is a scalar, not {ty}")));
                }
                b.constant(ty.dtype, value)
            }
            "param" => b.param(self.param_name(b)?),
            "load" => {
                let (source, index, mask) = self.access_of(b)?;
                b.load(source, index, ty.width, mask)
            }
            "where" => {
                let v = self.values(3)?;
                b.select(v[0], v[1], v[2])
            }
            "mulhi" => {
                let v = self.values(2)?;
                b.mulhi(v[0], v[1])
            }
            "fma" => {
                let v = self.values(3)?;
                b.fma(v[0], v[1], v[2])
            }
            "cast" => b.cast(self.value()?, ty.dtype),
            "bitcast" => b.bitcast(self.value()?, ty.dtype),
            "vec" => {
                let mut items = vec![self.value()?];
                while self.c.eat(&TokenKind::Comma) {
                    if items.len() >= 8 {
                        return Err(self.c.pos().error("a vector has at most 8 elements"));
                    }
                    items.push(self.value()?);
                }
                b.vector(&items)
            }
            "extract" => {
                let x = self.value()?;
                self.c.expect(&TokenKind::Comma, "','")?;
                let (lane, _) = self.c.unsigned::<u32>("an element number")?;
                b.extract(x, lane)
            }
            "read" => {
                let (acc, apos) = self.c.word("an accumulator")?;
                let acc = self.names.acc(&acc, apos)?;
                b.acc_read(acc)
            }
            "init" => {
                return Err(pos.error("'init' defines an accumulator; this is a value"));
            }
            "loop_var" => {
                return Err(pos.error("a loop variable is defined only by its 'for'"));
            }
            op => match op_by_name(op) {
                Some(ExprOp::Unary(op)) => b.unary(op, self.value()?),
                Some(ExprOp::Binary(op)) => {
                    let v = self.values(2)?;
                    b.binary(op, v[0], v[1])
                }
                Some(ExprOp::Subgroup(op)) => b.subgroup_reduce(op, self.value()?),
                None => return Err(unknown_op(op, pos)),
            },
        };
        self.built(built, pos, pending)
    }

    /// `NAME` of a scalar parameter (the builder checks that it is one).
    fn param_name(&mut self, b: &KernelBuilder) -> Result<crate::kernel::ParamId, ParseError> {
        let (param, pos) = self.c.word("a parameter name")?;
        let found = b.kernel().params().find(|(_, p)| p.name() == param);
        if let Some((id, _)) = found {
            return Ok(id);
        }
        let names: Vec<&str> = b.kernel().params().map(|(_, p)| p.name()).collect();
        Err(pos.error(format!(
            "no parameter named '{}'{}",
            short(&param),
            did_you_mean(&param, names)
        )))
    }

    /// `M[INDEX] [mask MASK]` of a load.
    fn access_of(
        &mut self,
        b: &KernelBuilder,
    ) -> Result<(Memory, ValueId, Option<ValueId>), ParseError> {
        let memory = self.memory(b)?;
        self.c.expect(&TokenKind::LBracket, "'['")?;
        let index = self.value()?;
        self.c.expect(&TokenKind::RBracket, "']'")?;
        Ok((memory, index, self.mask()?))
    }

    /// `.x`, `.y` or `.z`.
    fn axis(&mut self) -> Result<Axis, ParseError> {
        self.c.expect(&TokenKind::Dot, "'.'")?;
        let (word, pos) = self.c.word("an axis (x, y or z)")?;
        Axis::ALL
            .into_iter()
            .find(|a| a.name() == word)
            .ok_or_else(|| {
                pos.error(format!(
                    "unknown axis '{}'; expected x, y or z",
                    short(&word)
                ))
            })
    }

    /// A constant: an integer, a float, `inf`, `-inf`, `nan`, `true` or `false`.
    fn literal(&mut self) -> Result<Scalar, ParseError> {
        let token = self.c.peek().clone();
        let value = match &token.kind {
            TokenKind::Int(text) => match text.parse::<i128>() {
                Ok(i) => Scalar::Int(i),
                Err(_) => {
                    let m = format!("the integer '{}' is too large", short(text));
                    return Err(token.pos.error(m));
                }
            },
            TokenKind::Float(text) => match text.parse::<f64>() {
                Ok(f) if f.is_finite() || text == "-inf" => Scalar::Float(f),
                _ => {
                    let m = format!("the number '{}' is too large for f64", short(text));
                    return Err(token.pos.error(m));
                }
            },
            TokenKind::Ident(w) if w == "inf" => Scalar::Float(f64::INFINITY),
            TokenKind::Ident(w) if w == "nan" => Scalar::Float(f64::NAN),
            TokenKind::Ident(w) if w == "true" => Scalar::Bool(true),
            TokenKind::Ident(w) if w == "false" => Scalar::Bool(false),
            _ => return Err(self.c.expected("a constant")),
        };
        self.c.bump();
        Ok(value)
    }

    /// `NAME = VALUE` or `NAME = OP NAME, VALUE`.
    pub(super) fn acc_update(&mut self, b: &mut KernelBuilder) -> Result<(), ParseError> {
        let (name, pos) = self.c.word("an accumulator")?;
        let acc = self.names.acc(&name, pos)?;
        self.c.expect(&TokenKind::Equals, "'='")?;
        let combine = match (&self.c.peek().kind, &self.c.peek_at(2).kind) {
            (TokenKind::Ident(w), TokenKind::Comma) => {
                ReduceOp::ALL.into_iter().find(|r| r.name() == w)
            }
            _ => None,
        };
        let update = match combine {
            Some(op) => {
                self.c.bump();
                let (again, apos) = self.c.word("an accumulator")?;
                if again != name {
                    let m = format!(
                        "'{}' combines into '{name}', so it reads '{name}'",
                        op.name()
                    );
                    return Err(apos.error(m));
                }
                self.c.expect(&TokenKind::Comma, "','")?;
                AccUpdate::Combine(op)
            }
            None => AccUpdate::Assign,
        };
        let value = self.value()?;
        self.built(b.acc_update(acc, update, value), pos, Pending::Nothing)
    }

    /// `for NAME: TYPE in START..END [step N] [unroll] {` — opens the loop.
    pub(super) fn for_header(&mut self, b: &mut KernelBuilder) -> Result<(), ParseError> {
        let (name, pos) = self.c.word("a loop variable")?;
        self.names.check_new(&name, pos)?;
        self.c.expect(&TokenKind::Colon, "':'")?;
        let (ty, ty_pos) = self.value_type()?;
        self.c.keyword("in")?;
        let start = self.value()?;
        self.c.expect(&TokenKind::DotDot, "'..'")?;
        let end = self.value()?;
        let step = if self.c.eat_word("step") {
            self.c.unsigned::<u32>("a step")?.0
        } else {
            1
        };
        let unroll = self.c.eat_word("unroll");
        self.c.expect(&TokenKind::LBrace, "'{'")?;
        let var = self.built(
            b.begin_loop(start, end, step, unroll),
            pos,
            Pending::Value(&name),
        )?;
        self.check_annotation(b.value_type(var), ty, ty_pos)?;
        // The variable belongs to the loop's block.
        self.names.open_block();
        self.names.define(&name, Named::Value(var), pos);
        Ok(())
    }

    /// `if COND {` — opens the then-block.
    pub(super) fn if_header(&mut self, b: &mut KernelBuilder) -> Result<(), ParseError> {
        let pos = self.c.pos();
        let cond = self.value()?;
        self.c.expect(&TokenKind::LBrace, "'{'")?;
        self.built(b.begin_if(cond), pos, Pending::Nothing)?;
        self.names.open_block();
        Ok(())
    }

    /// `store NAME[INDEX] = VALUE [mask MASK]`
    pub(super) fn store(&mut self, b: &mut KernelBuilder) -> Result<(), ParseError> {
        let pos = self.c.pos();
        let target = self.memory(b)?;
        self.c.expect(&TokenKind::LBracket, "'['")?;
        let index = self.value()?;
        self.c.expect(&TokenKind::RBracket, "']'")?;
        self.c.expect(&TokenKind::Equals, "'='")?;
        let value = self.value()?;
        let mask = self.mask()?;
        self.built(b.store(target, index, value, mask), pos, Pending::Nothing)
    }

    /// `atomic_OP M[INDEX], VALUE` (after the keyword).
    pub(super) fn atomic(&mut self, b: &mut KernelBuilder, op: AtomicOp) -> Result<(), ParseError> {
        let pos = self.c.pos();
        let target = self.memory(b)?;
        self.c.expect(&TokenKind::LBracket, "'['")?;
        let index = self.value()?;
        self.c.expect(&TokenKind::RBracket, "']'")?;
        self.c.expect(&TokenKind::Comma, "','")?;
        let value = self.value()?;
        self.built(b.atomic(op, target, index, value), pos, Pending::Nothing)
    }

    /// `matrix_tile D[OFF, stride N] += A[OFF, stride N] * B[OFF, stride N]`
    pub(super) fn matrix_tile(&mut self, b: &mut KernelBuilder) -> Result<(), ParseError> {
        let pos = self.c.pos();
        let d = self.tile(b)?;
        self.c.expect(&TokenKind::PlusEquals, "'+='")?;
        let a = self.tile(b)?;
        self.c.expect(&TokenKind::Star, "'*'")?;
        let bt = self.tile(b)?;
        self.built(b.matrix_tile(a, bt, d), pos, Pending::Nothing)
    }

    /// `fragment_zero F`, `fragment_mma F += A * B`, `fragment_store D = F` (after the
    /// keyword, which is `word`).
    pub(super) fn fragment_stmt(
        &mut self,
        b: &mut KernelBuilder,
        word: &str,
    ) -> Result<(), ParseError> {
        let pos = self.c.pos();
        let built = match word {
            "fragment_zero" => {
                let f = self.fragment(b)?;
                b.fragment_zero(f)
            }
            "fragment_mma" => {
                let f = self.fragment(b)?;
                self.c.expect(&TokenKind::PlusEquals, "'+='")?;
                let a = self.tile(b)?;
                self.c.expect(&TokenKind::Star, "'*'")?;
                let bt = self.tile(b)?;
                b.fragment_mma(f, a, bt)
            }
            _ => {
                let d = self.tile(b)?;
                self.c.expect(&TokenKind::Equals, "'='")?;
                let f = self.fragment(b)?;
                b.fragment_store(f, d)
            }
        };
        self.built(built, pos, Pending::Nothing)
    }

    /// The name of a declared fragment.
    fn fragment(&mut self, b: &KernelBuilder) -> Result<FragId, ParseError> {
        let (name, pos) = self.c.word("a fragment name")?;
        b.fragment_named(&name)
            .ok_or_else(|| pos.error(format!("no fragment named '{}'", short(&name))))
    }

    /// `NAME[OFFSET, stride N]` of a shared array.
    fn tile(&mut self, b: &KernelBuilder) -> Result<TileRef, ParseError> {
        let pos = self.c.pos();
        let Memory::Shared(array) = self.memory(b)? else {
            return Err(pos.error("a matrix tile is in a shared array, not a buffer"));
        };
        self.c.expect(&TokenKind::LBracket, "'['")?;
        let offset = self.value()?;
        self.c.expect(&TokenKind::Comma, "','")?;
        self.c.keyword("stride")?;
        let (stride, _) = self.c.unsigned::<u32>("a stride")?;
        self.c.expect(&TokenKind::RBracket, "']'")?;
        Ok(TileRef {
            array,
            offset,
            stride,
        })
    }
}

enum ExprOp {
    Unary(UnaryOp),
    Binary(BinaryOp),
    Subgroup(ReduceOp),
}

fn op_by_name(word: &str) -> Option<ExprOp> {
    if let Some(op) = UnaryOp::ALL.into_iter().find(|o| o.name() == word) {
        return Some(ExprOp::Unary(op));
    }
    if let Some(op) = BinaryOp::ALL.into_iter().find(|o| o.name() == word) {
        return Some(ExprOp::Binary(op));
    }
    let reduce = word.strip_prefix("subgroup_")?;
    ReduceOp::ALL
        .into_iter()
        .find(|o| o.name() == reduce)
        .map(ExprOp::Subgroup)
}

fn unknown_op(word: &str, pos: Pos) -> ParseError {
    let subgroup: Vec<String> = ReduceOp::ALL
        .iter()
        .map(|o| format!("subgroup_{}", o.name()))
        .collect();
    let unary = UnaryOp::ALL.map(|o| o.name());
    let binary = BinaryOp::ALL.map(|o| o.name());
    let candidates = EXPR_WORDS
        .into_iter()
        .chain(unary)
        .chain(binary)
        .chain(subgroup.iter().map(String::as_str));
    pos.error(format!(
        "unknown operation '{}'{}",
        short(word),
        did_you_mean(word, candidates)
    ))
}
