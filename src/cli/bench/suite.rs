//! The benchmark suite of docs/architecture.md, built into the command so that `egpu bench`
//! runs it from anywhere: per graph the full-size text (`benches/suite/`), a small copy
//! (`benches/suite/small/`: the same graph with shapes scaled down, for the emulator and the
//! cpu device) and, for the full-size check, the same computation on sampled rows
//! (`benches/suite/sampled/`) with where those rows sit in the full-size tensors.

/// Which sampled indices an axis takes: every row-like axis shares [`Samples::Rows`], the
/// column axis of a matrix product's right operand takes [`Samples::Cols`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Samples {
    Rows,
    Cols,
}

/// Per axis of a tensor: `Some(samples)` where the sampled graph keeps only sampled indices
/// of the full-size axis, `None` where it keeps the whole axis.
pub type AxisSamples = &'static [Option<Samples>];

/// A full-size graph's check on sampled rows: `text` is the same computation as the
/// full-size graph with some axes cut to the sampled indices, valid because every output
/// element along those axes depends only on the input elements at the same sampled indices
/// (a row of softmax on the same row of `x`; `c[i, j]` of a matrix product on row `i` of `a`
/// and column `j` of `b`).
pub struct Sampled {
    pub text: &'static str,
    /// Graph inputs with sampled axes, by name; an input not named is used whole.
    pub inputs: &'static [(&'static str, AxisSamples)],
    /// Every graph output, by name, with its sampled axes.
    pub outputs: &'static [(&'static str, AxisSamples)],
}

/// One graph of the suite.
pub struct SuiteGraph {
    pub name: &'static str,
    pub full: &'static str,
    pub small: &'static str,
    /// `None`: the full-size graph is checked whole against the reference interpreter (its
    /// single output depends on every input element, and the reference costs about what the
    /// kernel's own work does: `sum_all`).
    pub sampled: Option<Sampled>,
}

const ROW: AxisSamples = &[Some(Samples::Rows)];
const ROWS_OF_MATRIX: AxisSamples = &[Some(Samples::Rows), None];
const MATRIX_ENTRIES: AxisSamples = &[Some(Samples::Rows), Some(Samples::Cols)];
const COLS_OF_MATRIX: AxisSamples = &[None, Some(Samples::Cols)];

macro_rules! suite_file {
    ($dir:literal, $name:literal) => {
        include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/benches/suite/",
            $dir,
            $name,
            ".egir"
        ))
    };
}

/// The suite in the order of docs/architecture.md's table.
pub const SUITE: [SuiteGraph; 8] = [
    SuiteGraph {
        name: "add",
        full: suite_file!("", "add"),
        small: suite_file!("small/", "add"),
        sampled: Some(Sampled {
            text: suite_file!("sampled/", "add"),
            inputs: &[("a", ROW), ("b", ROW)],
            outputs: &[("c", ROW)],
        }),
    },
    SuiteGraph {
        name: "gelu_chain",
        full: suite_file!("", "gelu_chain"),
        small: suite_file!("small/", "gelu_chain"),
        sampled: Some(Sampled {
            text: suite_file!("sampled/", "gelu_chain"),
            inputs: &[("x", ROWS_OF_MATRIX)],
            outputs: &[("y", ROWS_OF_MATRIX)],
        }),
    },
    SuiteGraph {
        name: "sum_rows",
        full: suite_file!("", "sum_rows"),
        small: suite_file!("small/", "sum_rows"),
        sampled: Some(Sampled {
            text: suite_file!("sampled/", "sum_rows"),
            inputs: &[("x", ROWS_OF_MATRIX)],
            outputs: &[("y", ROWS_OF_MATRIX)],
        }),
    },
    SuiteGraph {
        name: "sum_all",
        full: suite_file!("", "sum_all"),
        small: suite_file!("small/", "sum_all"),
        sampled: None,
    },
    SuiteGraph {
        name: "softmax",
        full: suite_file!("", "softmax"),
        small: suite_file!("small/", "softmax"),
        sampled: Some(Sampled {
            text: suite_file!("sampled/", "softmax"),
            inputs: &[("x", ROWS_OF_MATRIX)],
            outputs: &[("y", ROWS_OF_MATRIX)],
        }),
    },
    SuiteGraph {
        name: "layernorm",
        full: suite_file!("", "layernorm"),
        small: suite_file!("small/", "layernorm"),
        sampled: Some(Sampled {
            text: suite_file!("sampled/", "layernorm"),
            inputs: &[("x", ROWS_OF_MATRIX)],
            outputs: &[("y", ROWS_OF_MATRIX)],
        }),
    },
    SuiteGraph {
        name: "matmul_f32",
        full: suite_file!("", "matmul_f32"),
        small: suite_file!("small/", "matmul_f32"),
        sampled: Some(Sampled {
            text: suite_file!("sampled/", "matmul_f32"),
            inputs: &[("a", ROWS_OF_MATRIX), ("b", COLS_OF_MATRIX)],
            outputs: &[("c", MATRIX_ENTRIES)],
        }),
    },
    SuiteGraph {
        name: "matmul_f16",
        full: suite_file!("", "matmul_f16"),
        small: suite_file!("small/", "matmul_f16"),
        sampled: Some(Sampled {
            text: suite_file!("sampled/", "matmul_f16"),
            inputs: &[("a", ROWS_OF_MATRIX), ("b", COLS_OF_MATRIX)],
            outputs: &[("c", MATRIX_ENTRIES)],
        }),
    },
];

#[cfg(test)]
mod tests {
    use super::*;
    use egpu_ir::{Graph, Op, text};

    fn parse(name: &str, which: &str, source: &str) -> Graph {
        text::parse(source).unwrap_or_else(|e| panic!("{name} ({which}): {e}"))
    }

    /// The operations in graph order, without shapes: the small and sampled copies must be
    /// the full-size computation with other shapes.
    fn ops(graph: &Graph) -> Vec<String> {
        graph
            .nodes()
            .map(|(_, node)| match &node.op {
                Op::Const { .. } => "const".to_string(),
                op => format!("{op:?}"),
            })
            .collect()
    }

    /// Per output (and per sampled input) the sampled graph keeps the full-size dims where
    /// no samples are taken and fewer where they are; the same samples have one size.
    #[test]
    fn small_and_sampled_copies_are_the_full_size_computation() {
        for graph in &SUITE {
            let full = parse(graph.name, "full", graph.full);
            let small = parse(graph.name, "small", graph.small);
            assert_eq!(ops(&small), ops(&full), "{}: small copy", graph.name);
            assert_eq!(small.name(), graph.name);
            let Some(sampled) = &graph.sampled else {
                continue;
            };
            let cut = parse(graph.name, "sampled", sampled.text);
            assert_eq!(ops(&cut), ops(&full), "{}: sampled copy", graph.name);
            let mut sizes: Vec<(Samples, usize, usize)> = Vec::new();
            let dims = |g: &Graph, name: &str| {
                let id = g
                    .inputs()
                    .iter()
                    .copied()
                    .find(|&id| g.input_name(id) == name)
                    .or_else(|| g.outputs().iter().find(|o| o.name == name).map(|o| o.node))
                    .unwrap_or_else(|| panic!("{}: no tensor {name}", graph.name));
                g.node(id).shape.dims().to_vec()
            };
            let named = sampled.inputs.iter().chain(sampled.outputs);
            for (name, axes) in named {
                let (f, c) = (dims(&full, name), dims(&cut, name));
                assert_eq!(axes.len(), f.len(), "{}: {name}", graph.name);
                for ((&n, &k), axis) in f.iter().zip(&c).zip(axes.iter()) {
                    match axis {
                        None => assert_eq!(n, k, "{}: {name}", graph.name),
                        Some(s) => {
                            assert!(k < n, "{}: {name}", graph.name);
                            if let Some(&(_, n0, k0)) = sizes.iter().find(|(t, ..)| t == s) {
                                assert_eq!((n, k), (n0, k0), "{}: {name}", graph.name);
                            }
                            sizes.push((*s, n, k));
                        }
                    }
                }
            }
            for &input in cut.inputs() {
                let name = cut.input_name(input);
                if !sampled.inputs.iter().any(|(n, _)| *n == name) {
                    assert_eq!(dims(&cut, name), dims(&full, name), "{}", graph.name);
                }
            }
            assert_eq!(sampled.outputs.len(), full.outputs().len());
        }
    }
}
