//! What a bench row's throughput is measured in: TFLOP/s for a graph with a contraction (a
//! sum over a product: 2 flops per product element), else GB/s of every graph input and
//! output moved once.

use egpu_ir::{BinaryOp, Graph, Op, ReduceOp};

/// What one graph's throughput is measured in.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Metric {
    /// Bytes of every input and output, counted once per run.
    GigabytesPerSecond { bytes: f64 },
    /// Floating-point operations per run.
    TeraflopsPerSecond { flops: f64 },
}

impl Metric {
    /// The graph's metric: flops of its contractions (`sum(mul(expand(a), expand(b)))`, the
    /// form a matrix product takes: a multiply and an add per product element) when it has
    /// any, else the bytes it must move. Both factors must be broadcasts: a sum of squares
    /// (layernorm's variance) reads each element once and is bandwidth-bound.
    pub fn of(graph: &Graph) -> Metric {
        let flops: f64 = graph
            .nodes()
            .filter_map(|(_, node)| match &node.op {
                Op::Reduce {
                    op: ReduceOp::Sum,
                    x,
                    ..
                } => Some(graph.node(*x)),
                _ => None,
            })
            .filter(|x| match x.op {
                Op::Binary {
                    op: BinaryOp::Mul,
                    a,
                    b,
                } => [a, b]
                    .iter()
                    .all(|&f| matches!(graph.node(f).op, Op::Expand { .. })),
                _ => false,
            })
            .map(|product| 2.0 * product.shape.numel() as f64)
            .sum();
        if flops > 0.0 {
            return Metric::TeraflopsPerSecond { flops };
        }
        let bytes = |id| {
            let node = graph.node(id);
            (node.shape.numel() * node.dtype.size_bytes()) as f64
        };
        let inputs: f64 = graph.inputs().iter().map(|&id| bytes(id)).sum();
        let outputs: f64 = graph.outputs().iter().map(|o| bytes(o.node)).sum();
        Metric::GigabytesPerSecond {
            bytes: inputs + outputs,
        }
    }

    /// (unit, value) for a run taking `ms`.
    pub fn rate(self, ms: f64) -> (&'static str, f64) {
        let seconds = ms / 1e3;
        match self {
            Metric::GigabytesPerSecond { bytes } => ("GB/s", bytes / seconds / 1e9),
            Metric::TeraflopsPerSecond { flops } => ("TFLOP/s", flops / seconds / 1e12),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph(text: &str) -> Graph {
        egpu_ir::text::parse(text).unwrap()
    }

    /// The suite's metrics: bytes of inputs and outputs, 2·M·N·K for a matmul.
    #[test]
    fn metrics_count_bytes_or_contraction_flops() {
        let add =
            graph("graph add(a: f32[1024], b: f32[1024]) {\n  c = add(a, b)\n  return c\n}\n");
        assert_eq!(
            Metric::of(&add),
            Metric::GigabytesPerSecond {
                bytes: 3.0 * 4096.0
            }
        );
        let mm = graph(
            "graph mm(a: f16[64, 32], b: f16[32, 16]) {\n  c = matmul(a, b)\n  return c\n}\n",
        );
        assert_eq!(
            Metric::of(&mm),
            Metric::TeraflopsPerSecond {
                flops: 2.0 * 64.0 * 32.0 * 16.0
            }
        );
        let ln = graph(
            "graph ln(x: f32[8, 64], w: f32[64], b: f32[64]) {\n  y = layernorm(x, w, b, eps=1e-5)\n  return y\n}\n",
        );
        assert_eq!(
            Metric::of(&ln),
            Metric::GigabytesPerSecond {
                bytes: 4.0 * (2.0 * 8.0 * 64.0 + 2.0 * 64.0)
            },
            "a sum of squares is not a contraction"
        );
        let (unit, value) = Metric::GigabytesPerSecond { bytes: 2e9 }.rate(1000.0);
        assert_eq!((unit, value), ("GB/s", 2.0));
    }
}
