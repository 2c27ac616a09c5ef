//! Malformed `.egir` texts: each must give one error at the exact line and column of the
//! token at fault, with a message that says what is wrong. Positions are counted by hand.

use egpu_ir::text::{ParseError, parse, parse_bytes};

fn error_of(source: &str) -> ParseError {
    match parse(source) {
        Ok(g) => panic!(
            "expected an error, got a graph {:?}\n--- source:\n{source}",
            g.name()
        ),
        Err(e) => e,
    }
}

#[track_caller]
fn check(source: &str, line: usize, col: usize, message: &str) {
    let e = error_of(source);
    assert!(
        (e.line, e.col) == (line, col) && e.message.contains(message),
        "want {line}:{col}: …{message}…\n got {}:{}: {}\n--- source:\n{source}",
        e.line,
        e.col,
        e.message
    );
}

/// A graph over `x: f32[4]` whose body is `body` (lines 2.., then `return y` and `}`).
fn with_x(body: &str) -> String {
    format!("graph g(x: f32[4]) {{\n{body}\n  return y\n}}\n")
}

/// A graph over `x: f32[4, 4]`.
fn with_x44(body: &str) -> String {
    format!("graph g(x: f32[4, 4]) {{\n{body}\n  return y\n}}\n")
}

// ---- empty input, junk, characters ----

#[test]
fn empty_file() {
    check("", 1, 1, "expected 'graph', found end of file");
}

#[test]
fn only_comments() {
    check(
        "# nothing here\n\n",
        3,
        1,
        "expected 'graph', found end of file",
    );
}

#[test]
fn non_utf8_bytes() {
    let e = parse_bytes(b"graph g(x: f32[4]) {\n  y = n\xffeg(x)\n  return y\n}\n").unwrap_err();
    assert_eq!((e.line, e.col), (2, 8), "{e}");
    assert!(e.message.contains("not valid UTF-8"), "{e}");
    assert!(e.message.contains("0xff"), "{e}");
    // Columns count characters: 'é' is two bytes but one column.
    let mut bytes = "graph éé".as_bytes().to_vec();
    bytes.push(0xc3);
    let e = parse_bytes(&bytes).unwrap_err();
    assert_eq!((e.line, e.col), (1, 9), "{e}");
}

#[test]
fn control_bytes() {
    check(
        "graph g(x: f32[4]) {\n\u{1}\u{2}\n",
        2,
        1,
        "unexpected character U+0001",
    );
    let e = parse_bytes(b"\x00\x13\x37junk").unwrap_err();
    assert_eq!(
        (e.line, e.col, e.message.as_str()),
        (1, 1, "unexpected character U+0000")
    );
}

#[test]
fn stray_character() {
    check(&with_x("  y = neg(x);"), 2, 13, "unexpected character ';'");
}

#[test]
fn invalid_number() {
    check(&with_x("  y = add(x, 1.x)"), 2, 14, "invalid number '1.x'");
}

// ---- structure ----

#[test]
fn missing_graph_name() {
    check(
        "graph (x: f32[4]) {",
        1,
        7,
        "expected the graph's name after 'graph', found '('",
    );
}

#[test]
fn unclosed_input_list() {
    check(
        "graph g(x: f32[4] {\n  return x\n}",
        1,
        19,
        "expected ',' or ')' after an input, found '{'",
    );
}

#[test]
fn missing_return() {
    check(
        "graph g(x: f32[4]) {\n  y = neg(x)\n}\n",
        3,
        1,
        "missing 'return'",
    );
}

#[test]
fn statement_after_return() {
    check(
        "graph g(x: f32[4]) {\n  return x\n  z = neg(x)\n}\n",
        3,
        3,
        "expected '}' after the return statement, found 'z'",
    );
}

#[test]
fn trailing_garbage() {
    check(
        &(with_x("  y = neg(x)") + "foo\n"),
        5,
        1,
        "unexpected 'foo' after the closing '}'",
    );
    check(
        &(with_x("  y = neg(x)") + "}"),
        5,
        1,
        "unexpected '}' after the closing '}'",
    );
}

#[test]
fn missing_equals() {
    check(
        &with_x("  y neg(x)"),
        2,
        5,
        "expected '=' or ':' after 'y', found 'neg'",
    );
}

#[test]
fn syntax_error_in_arguments() {
    check(
        &with_x("  y = add(x, 2 = x)"),
        2,
        16,
        "expected ',' or ')' after an argument, found '='",
    );
}

#[test]
fn unterminated_call() {
    check(
        "graph g(x: f32[4]) {\n  y = add(x, x\n  return y\n}\n",
        3,
        3,
        "expected ',' or ')' after an argument, found 'return' (the '(' at 2:10 is not closed)",
    );
    check(
        "graph g(x: f32[4]) {\n  y = add(x,",
        2,
        13,
        "found end of file",
    );
}

#[test]
fn operand_after_keyword() {
    check(
        &with_x44("  y = sum(axes=[0], x)"),
        2,
        21,
        "an operand cannot follow the keyword arguments",
    );
}

#[test]
fn deep_nesting() {
    let depth = 300;
    let body = format!("  y = {}x{}", "neg(".repeat(depth), ")".repeat(depth));
    // The call at nesting level 256 (counting from 0) starts 4 columns per level after col 7.
    check(&with_x(&body), 2, 7 + 4 * 256, "nested too deeply");
    // 256 levels are fine.
    let ok = format!("  y = {}x{}", "neg(".repeat(256), ")".repeat(256));
    assert!(parse(&with_x(&ok)).is_ok());
}

// ---- ops, operands and keywords ----

#[test]
fn unknown_op_with_suggestion() {
    check(
        &with_x("  y = softmx(x)"),
        2,
        7,
        "unknown op 'softmx' (did you mean 'softmax'?)",
    );
    check(
        &with_x("  y = mull(x, x)"),
        2,
        7,
        "unknown op 'mull' (did you mean 'mul'?)",
    );
}

#[test]
fn unknown_op_without_suggestion() {
    let e = error_of(&with_x("  y = banana(x)"));
    assert_eq!(
        (e.line, e.col, e.message.as_str()),
        (2, 7, "unknown op 'banana'")
    );
}

#[test]
fn wrong_arity() {
    check(
        &with_x("  y = add(x, x, x)"),
        2,
        7,
        "'add' takes 2 operands, got 3",
    );
    check(&with_x("  y = neg()"), 2, 7, "'neg' takes 1 operand, got 0");
    check(
        &with_x("  y = max(x)"),
        2,
        7,
        "'max' takes 2 operands, got 1 (or 1 with axes=)",
    );
    check(
        &with_x("  y = layernorm(x, x, x, x)"),
        2,
        7,
        "'layernorm' takes 1 to 3 operands, got 4",
    );
}

#[test]
fn unknown_keyword() {
    check(
        &with_x44("  y = sum(x, axis=[0])"),
        2,
        14,
        "unknown keyword 'axis' for 'sum' (did you mean 'axes'?); it takes: axes",
    );
    check(
        &with_x("  y = add(x, x, foo=1)"),
        2,
        17,
        "unknown keyword 'foo' for 'add'; it takes: none",
    );
    check(
        &with_x("  y = pad(x, pads=[[0, 0]], foo=1)"),
        2,
        29,
        "it takes: pads, value",
    );
}

#[test]
fn duplicate_keyword() {
    check(
        &with_x44("  y = sum(x, axes=[0], axes=[1])"),
        2,
        24,
        "keyword 'axes' is given twice",
    );
}

#[test]
fn missing_keyword() {
    check(
        &with_x("  y = reshape(x)"),
        2,
        7,
        "missing keyword 'shape=' for 'reshape'",
    );
    check(
        &with_x("  y = cast(x)"),
        2,
        7,
        "missing keyword 'to=' for 'cast'",
    );
}

#[test]
fn broadcast_shape_mismatch() {
    check(
        "graph g(x: f32[4], w: f32[5]) {\n  y = add(x, w)\n  return y\n}\n",
        2,
        7,
        "shapes [4] and [5] cannot be broadcast together",
    );
}

#[test]
fn operand_dtypes_differ() {
    check(
        "graph g(x: f32[4], w: i32[4]) {\n  y = mul(x, w)\n  return y\n}\n",
        2,
        7,
        "operand dtypes differ: f32 and i32",
    );
}

#[test]
fn bad_axis() {
    check(
        &with_x44("  y = sum(x, axes=[3])"),
        2,
        20,
        "axis 3 is out of range for rank 2",
    );
    check(
        &with_x44("  y = max(x, axes=[-3])"),
        2,
        20,
        "axis -3 is out of range for rank 2",
    );
    check(
        &with_x44("  y = flip(x, axes=[0, -2])"),
        2,
        24,
        "axis 0 is listed twice",
    );
    check(
        "graph g() {\n  y = iota(dtype=i32, shape=[4], axis=1)\n  return y\n}",
        2,
        39,
        "axis 1 is out of range for rank 1",
    );
}

#[test]
fn bad_dtype() {
    check(
        "graph g(x: f31[4]) {\n  return x\n}",
        1,
        12,
        "unknown dtype 'f31' (did you mean 'f32'?)",
    );
    check(
        &with_x("  y = cast(x, to=f33)"),
        2,
        18,
        "unknown dtype 'f33' (did you mean 'f32'?)",
    );
    check(
        &with_x("  y = cast(x, to=3)"),
        2,
        18,
        "expected a dtype such as f32, found '3'",
    );
}

#[test]
fn duplicate_name() {
    check(
        "graph g(x: f32[4]) {\n  y = neg(x)\n  y = neg(x)\n  return y\n}\n",
        3,
        3,
        "'y' is already defined (line 2)",
    );
    check(
        &with_x("  x = neg(x)"),
        2,
        3,
        "'x' is already defined (line 1)",
    );
    check(
        "graph g(x: f32[4],\n        x: f32[4]) {\n  return x\n}",
        2,
        9,
        "'x' is already defined (line 1)",
    );
}

#[test]
fn reserved_name() {
    check(&with_x("  f32 = neg(x)"), 2, 3, "'f32' is a reserved word");
    check(
        "graph g(inf: f32[4]) {\n  return inf\n}",
        1,
        9,
        "'inf' is a reserved word",
    );
}

#[test]
fn undefined_name() {
    check(&with_x("  y = add(x, z)"), 2, 14, "undefined value 'z'");
    check(
        "graph g(x: f32[4]) {\n  return z\n}",
        2,
        10,
        "undefined value 'z'",
    );
    check(
        "graph g(input: f32[4]) {\n  y = neg(inptu)\n  return y\n}",
        2,
        11,
        "undefined value 'inptu' (did you mean 'input'?)",
    );
}

#[test]
fn huge_dimension_literal() {
    check(
        "graph g(x: f32[99999999999999999999999]) {\n  return x\n}",
        1,
        16,
        "dimension 99999999999999999999999 is too large",
    );
    check(
        &with_x("  y = reshape(x, shape=[18446744073709551616])"),
        2,
        25,
        "is too large",
    );
}

#[test]
fn too_many_elements() {
    check(
        "graph g(x: f32[99999999, 99999999, 99999999]) {\n  return x\n}",
        1,
        12,
        "shape [99999999, 99999999, 99999999] has too many elements",
    );
    // 2^24 · 2^24 · 2 = 2^49 elements.
    check(
        &with_x("  y = expand(x, shape=[16777216, 16777216, 2])"),
        2,
        23,
        "has too many elements",
    );
    check(
        &with_x("  y = const(1, dtype=f32, shape=[281474976710657])"),
        2,
        33,
        "has too many elements",
    );
}

#[test]
fn negative_dimension() {
    check(
        "graph g(x: f32[-4]) {\n  return x\n}",
        1,
        16,
        "a dimension must not be negative, found -4",
    );
    check(
        "graph g(x: f32[2.5]) {\n  return x\n}",
        1,
        16,
        "a dimension must be a whole number, found '2.5'",
    );
}

#[test]
fn type_annotation_mismatch() {
    check(
        &with_x("  y: f32[4, 4] = neg(x)"),
        2,
        6,
        "type annotation f32[4, 4] does not match the value's type f32[4]",
    );
    check(
        &with_x("  y: f16[4] = neg(x)"),
        2,
        6,
        "type annotation f16[4] does not match the value's type f32[4]",
    );
}

#[test]
fn bad_pad() {
    check(
        &with_x("  y = pad(x, pads=[[1, 2], [0, 0]])"),
        2,
        7,
        "pad: needs one (before, after) pair per axis: 2 given for [4]",
    );
    check(
        &with_x("  y = pad(x, pads=[[1]])"),
        2,
        20,
        "a (before, after) pair needs 2 numbers, found 1",
    );
    check(
        &with_x("  y = pad(x, pads=[[-1, 0]])"),
        2,
        21,
        "must not be negative, found -1",
    );
    check(
        &with_x("  y = pad(x, pads=[[0, 0]], value=1.5e999)"),
        2,
        35,
        "too large for f64",
    );
    check(
        "graph g(x: i8[4]) {\n  y = pad(x, pads=[[1, 1]], value=300)\n  return y\n}",
        2,
        35,
        "300 is not a value of i8",
    );
}

#[test]
fn bad_shrink() {
    check(
        &with_x("  y = shrink(x, ranges=[[2, 9]])"),
        2,
        7,
        "range 2..9 on axis 0 is not within 0..4",
    );
    check(
        &with_x("  y = shrink(x, ranges=[3, 4])"),
        2,
        25,
        "expected a (start, end) pair such as [0, 1], found '3'",
    );
}

#[test]
fn bitcast_width_mismatch() {
    check(
        &with_x("  y = bitcast(x, to=f16)"),
        2,
        7,
        "cannot reinterpret f32 (32 bits) as f16 (16 bits)",
    );
}

#[test]
fn duplicate_output() {
    check(
        &with_x("  y = neg(x)").replace("return y", "return y, y"),
        3,
        13,
        "output 'y' is returned twice",
    );
    check(
        &with_x("  y = neg(x)").replace("return y", "return y, y=x"),
        3,
        13,
        "output 'y' is returned twice",
    );
}

#[test]
fn literals() {
    check(
        "graph g(x: i32[4]) {\n  y = add(x, 2.5)\n  return y\n}",
        2,
        14,
        "2.5 is not a value of i32",
    );
    check(
        &with_x("  y = add(x, 1000000000000000000000000000000000000000)"),
        2,
        14,
        "integer literal 1000000000000000000000000000000000000000 is too large",
    );
    check(
        &with_x("  y = add(1, 2)"),
        2,
        7,
        "'add' needs a tensor operand",
    );
    check(&with_x("  y = 3"), 2, 7, "a literal has no dtype or shape");
    check(
        &with_x("  y = neg(3)"),
        2,
        11,
        "operand 1 of 'neg' must be a tensor value, found the literal '3'",
    );
    check(
        &with_x("  y = const(x, dtype=f32)"),
        2,
        13,
        "the value of 'const' must be a number literal",
    );
}

#[test]
fn long_words_are_shortened_in_messages() {
    let name = "v".repeat(100);
    let want = format!("undefined value '{}…'", "v".repeat(40));
    check(&with_x(&format!("  y = neg({name})")), 2, 11, &want);
}

#[test]
fn render_shows_the_line_and_a_caret() {
    let source = "# a doc line\ngraph g(x: f32[4]) {\n  y = softmx(x)\n  return y\n}\n";
    let e = error_of(source);
    assert_eq!(
        e.render("examples/x.egir", source),
        "examples/x.egir:3:7: error: unknown op 'softmx' (did you mean 'softmax'?)\n   \
         3 |   y = softmx(x)\n     |       ^\n"
    );
    assert_eq!(
        e.to_string(),
        "3:7: unknown op 'softmx' (did you mean 'softmax'?)"
    );
}

// ---- float literals out of their dtype's range ----

/// `const(LITERAL, dtype=DTYPE, shape=[1])` on line 2, the literal at column 13; its value as
/// the reference interpreter computes it, or the error.
fn const_literal(literal: &str, dtype: &str) -> Result<f64, ParseError> {
    let source =
        format!("graph g() {{\n  y = const({literal}, dtype={dtype}, shape=[1])\n  return y\n}}\n");
    let graph = parse(&source)?;
    let results = egpu_ir::interp::evaluate(&graph, &Default::default()).unwrap();
    Ok(results[0].1.to_f64_vec()[0])
}

/// Each value is written as the shortest decimal that parses back to exactly that f64; the
/// literal must be accepted with the oracle's value when the oracle rounds it to a finite
/// value, and refused at its line:col naming the dtype when the oracle gives infinity.
#[track_caller]
fn check_range(dtype: &str, values: &[f64], oracle: impl Fn(f64) -> f64) {
    for &v in values {
        for v in [v, -v] {
            let literal = format!("{v:e}");
            let want = oracle(v);
            match const_literal(&literal, dtype) {
                Ok(got) => assert!(
                    want.is_finite() && got == want,
                    "{literal} as {dtype}: accepted as {got}, oracle gives {want}"
                ),
                Err(e) => assert!(
                    want.is_infinite()
                        && (e.line, e.col) == (2, 13)
                        && e.message.contains(&format!("out of range for {dtype}")),
                    "{literal} as {dtype}: refused ({}:{}: {}), oracle gives {want}",
                    e.line,
                    e.col,
                    e.message
                ),
            }
        }
    }
}

/// The largest literal of a float dtype is the largest value that rounds to its maximum
/// (max + half an ulp, exclusive: the tie rounds to even, which is infinity); values on
/// both sides of that boundary are checked against `half`'s and Rust's conversions, which
/// must also disagree about finiteness there (so the test sees both outcomes).
#[test]
fn float_literals_out_of_range_f16() {
    // f16: max 65504, ulp 32 at the top; boundary 65520. All values are exact in f32.
    let values = [
        65504.0,
        65519.0,
        65519.99609375,
        65520.0,
        65521.0,
        70000.0,
        1e6,
    ];
    let oracle = |v: f64| f64::from(half::f16::from_f32(v as f32));
    assert!(oracle(65519.0).is_finite() && oracle(65520.0).is_infinite());
    check_range("f16", &values, oracle);
}

#[test]
fn float_literals_out_of_range_bf16() {
    // bf16: max (2 - 2^-7)·2^127, ulp 2^120; boundary 2^128 - 2^119. Exact in f32.
    let max = f64::from(f32::from(half::bf16::MAX));
    let boundary = 2f64.powi(128) - 2f64.powi(119);
    let values = [
        max,
        boundary - 2f64.powi(104),
        boundary,
        boundary + 2f64.powi(104),
        3.4e38,
    ];
    let oracle = |v: f64| f64::from(f32::from(half::bf16::from_f32(v as f32)));
    assert!(oracle(values[1]).is_finite() && oracle(boundary).is_infinite());
    check_range("bf16", &values, oracle);
}

#[test]
fn float_literals_out_of_range_f32() {
    // f32: max (2 - 2^-23)·2^127, ulp 2^104; boundary 2^128 - 2^103 (exact in f64).
    let boundary = 2f64.powi(128) - 2f64.powi(103);
    let values = [
        f64::from(f32::MAX),
        boundary - 2f64.powi(75),
        boundary,
        boundary + 2f64.powi(75),
        1e39,
    ];
    let oracle = |v: f64| f64::from(v as f32);
    assert!(oracle(values[1]).is_finite() && oracle(boundary).is_infinite());
    check_range("f32", &values, oracle);
}

/// f64's boundary (max + 2^970) is not an f64, so the literals are decimal texts on either
/// side of it: 1.7976931348623158e308 rounds to max, 1.7976931348623159e308 to infinity.
#[test]
fn float_literals_out_of_range_f64() {
    assert_eq!(const_literal("1.7976931348623158e308", "f64"), Ok(f64::MAX));
    assert_eq!(
        const_literal("-1.7976931348623158e308", "f64"),
        Ok(-f64::MAX)
    );
    for text in ["1.7976931348623159e308", "-1.8e308", "1e400"] {
        let e = const_literal(text, "f64").unwrap_err();
        assert_eq!((e.line, e.col), (2, 13), "{e}");
        assert!(e.message.contains("too large for f64"), "{text}: {e}");
    }
}

/// Integer literals take the same rule, and the spelled-out infinities and NaN stay allowed.
#[test]
fn integer_literals_and_infinities_in_float_dtypes() {
    let e = error_of(&with_x16("  y = mul(x, 65520)"));
    assert_eq!((e.line, e.col), (2, 14), "{e}");
    assert!(
        e.message.contains("number 65520 is out of range for f16"),
        "{e}"
    );
    assert!(parse(&with_x16("  y = mul(x, 65519)")).is_ok());
    assert_eq!(const_literal("inf", "f16"), Ok(f64::INFINITY));
    assert_eq!(const_literal("-inf", "bf16"), Ok(f64::NEG_INFINITY));
    assert!(const_literal("nan", "f32").is_ok_and(f64::is_nan));
    // Tiny values round (to zero here); only overflow is an error.
    assert_eq!(const_literal("1e-10", "f16"), Ok(0.0));
}

/// A graph over `x: f16[4]`.
fn with_x16(body: &str) -> String {
    format!("graph g(x: f16[4]) {{\n{body}\n  return y\n}}\n")
}

// ---- long lines ----

/// A 1 MB line is shown as a window of at most 100 characters around the column, cut with
/// `...` on each side, and the caret stands under the character at the error's column.
#[test]
fn long_lines_are_shown_as_a_window_around_the_column() {
    for (before, after) in [(1_000_000, 1_000_000), (10, 1_000_000), (1_000_000, 3)] {
        let pad_before = " ".repeat(before);
        let source = format!(
            "graph g(x: f32[4]) {{\n  y ={pad_before}softmx(x){}\n  return y\n}}\n",
            " ".repeat(after)
        );
        let e = error_of(&source);
        let col = 2 + 3 + before + 1;
        assert_eq!((e.line, e.col), (2, col));
        let rendered = e.render("f.egir", &source);
        let lines: Vec<&str> = rendered.lines().collect();
        assert_eq!(lines.len(), 3, "{rendered:.400}");
        let (shown, caret) = (lines[1], lines[2]);
        assert!(shown.chars().count() < 120, "{shown:.400}");
        // "   2 | " prefixes both lines; the caret's offset picks the character above it.
        let at = caret.find('^').unwrap();
        assert_eq!(&shown[at..at + 6], "softmx", "{shown}\n{caret}");
        assert_eq!(shown.contains(" | ..."), before > 60, "{shown}");
        assert_eq!(shown.ends_with("..."), after > 60, "{shown}");
    }
}
