//! Checking a bench row's outputs against the reference interpreter.
//!
//! - [`Check::Reference`]: every element of every output against
//!   [`evaluate_with_bounds`] on the very inputs the device ran (small sizes).
//! - [`Check::Sampled`]: at full size the reference interpreter would take minutes (a
//!   matrix product's expand alone is 2^36 elements), so a suite graph is checked on sampled
//!   rows: the sampled inputs are cut out of the device's inputs, the suite's sampled copy
//!   of the graph (the same computation on fewer rows) is evaluated with bounds, and the
//!   device's output elements at those rows are compared with it. Rows 0 and the last are
//!   always among them (edge work-groups), the others are drawn from a fixed seed.
//! - [`Check::IfSmall`]: a graph file given on the command line is checked whole when the
//!   reference interpreter can hold it ([`REFERENCE_BUDGET`]), else not checked and said so.

use super::suite::{AxisSamples, Sampled, Samples};
use egpu_ir::interp::{
    EvalError, Reference, SplitMix64, Tensor, check_limits, compare, evaluate_with_bounds,
};
use egpu_ir::{Graph, Target, text};
use std::collections::{BTreeMap, BTreeSet};

/// The most values (elements summed over every node) a graph may have for [`Check::IfSmall`]
/// to run the reference interpreter on it: with its bounds that is about 2 GiB.
pub const REFERENCE_BUDGET: usize = 1 << 27;

/// The seed the sampled rows are drawn from.
const SAMPLE_SEED: u64 = 0x5eed_0b5e;

/// How a row is verified.
#[derive(Clone, Copy)]
pub enum Check {
    Reference,
    Sampled(&'static Sampled),
    IfSmall,
}

/// What the verification found.
#[derive(Clone, Debug, PartialEq)]
pub enum Verdict {
    /// Every checked element is within its bound; the text says which were checked.
    Passed(String),
    /// Some element is not; the text names the output and the worst element.
    Failed(String),
    /// Not checked; the text says why.
    Skipped(String),
}

type Tensors = BTreeMap<String, Tensor>;

/// Verifies `outputs` (the device's, in graph order) of `graph` run on `inputs`, for
/// `target`'s precision.
pub fn verify(
    graph: &Graph,
    inputs: &Tensors,
    outputs: &[(String, Tensor)],
    target: &Target,
    check: Check,
) -> Verdict {
    match check {
        Check::Reference => whole(graph, inputs, outputs, target),
        Check::IfSmall => match too_large(graph) {
            Some(reason) => Verdict::Skipped(reason),
            None => whole(graph, inputs, outputs, target),
        },
        Check::Sampled(sampled) => match sampled_rows(graph, inputs, outputs, target, sampled) {
            Ok(verdict) => verdict,
            Err(e) => Verdict::Failed(format!("the sampled check could not run: {e}")),
        },
    }
}

/// Why the reference interpreter cannot evaluate `graph` (too many values), if it cannot.
fn too_large(graph: &Graph) -> Option<String> {
    if let Err(e) = check_limits(graph) {
        return Some(format!("too large for the reference interpreter: {e}"));
    }
    let values: usize = graph.nodes().map(|(_, n)| n.shape.numel()).sum();
    (values > REFERENCE_BUDGET).then(|| {
        format!(
            "too large for the reference interpreter ({values} values, at most {REFERENCE_BUDGET})"
        )
    })
}

/// Every element of every output against the reference.
fn whole(
    graph: &Graph,
    inputs: &Tensors,
    outputs: &[(String, Tensor)],
    target: &Target,
) -> Verdict {
    let expected = match evaluate_with_bounds(graph, inputs, target) {
        Ok(expected) => expected,
        Err(e) => return Verdict::Skipped(format!("the reference failed: {e}")),
    };
    let got: Vec<&Tensor> = outputs.iter().map(|(_, t)| t).collect();
    let failures = mismatches(&expected, &got, |_, flat| flat);
    if failures.is_empty() {
        Verdict::Passed("every element".into())
    } else {
        Verdict::Failed(failures.join("; "))
    }
}

/// The sampled-rows check of a full-size suite graph (see the module comment).
fn sampled_rows(
    graph: &Graph,
    inputs: &Tensors,
    outputs: &[(String, Tensor)],
    target: &Target,
    sampled: &Sampled,
) -> Result<Verdict, String> {
    let cut = text::parse(sampled.text).map_err(|e| e.to_string())?;
    let picks = pick_samples(graph, &cut, sampled)?;
    let mut cut_inputs = Tensors::new();
    for (name, tensor) in inputs {
        let axes = sampled.inputs.iter().find(|(n, _)| n == name);
        let value = match axes {
            Some((_, axes)) => gather(tensor, &axis_picks(axes, &picks))?,
            None => tensor.clone(),
        };
        cut_inputs.insert(name.clone(), value);
    }
    let expected = evaluate_with_bounds(&cut, &cut_inputs, target).map_err(|e| e.to_string())?;
    let mut got = Vec::new();
    let mut output_picks = Vec::new();
    for (name, tensor) in outputs {
        let (_, axes) = sampled
            .outputs
            .iter()
            .find(|(n, _)| n == name)
            .ok_or_else(|| format!("no samples for output {name}"))?;
        let axis_picks = axis_picks(axes, &picks);
        got.push(gather(tensor, &axis_picks)?);
        output_picks.push(axis_picks);
    }
    let got_refs: Vec<&Tensor> = got.iter().collect();
    // A mismatch is reported at its index in the full-size output.
    let full_index = |output: usize, cut_flat: usize| {
        let (shape, picks) = (&got[output].shape, &output_picks[output]);
        let cut_index = shape.unravel(cut_flat);
        let full: Vec<usize> = cut_index
            .iter()
            .zip(picks.iter())
            .map(|(&i, pick)| pick.map_or(i, |p| p[i]))
            .collect();
        outputs[output].1.shape.ravel(&full)
    };
    let failures = mismatches(&expected, &got_refs, full_index);
    let rows = picks
        .iter()
        .map(|(s, p)| format!("{} {}", p.len(), s.noun()));
    let what = format!("sampled {}", rows.collect::<Vec<_>>().join(" x "));
    Ok(if failures.is_empty() {
        Verdict::Passed(what)
    } else {
        Verdict::Failed(format!("{what}: {}", failures.join("; ")))
    })
}

impl Samples {
    fn noun(self) -> &'static str {
        match self {
            Samples::Rows => "rows",
            Samples::Cols => "columns",
        }
    }
}

/// Per sample set, the sampled indices of the full-size axis: as many as the sampled graph
/// keeps, drawn from the full-size length.
fn pick_samples(
    full: &Graph,
    cut: &Graph,
    sampled: &Sampled,
) -> Result<Vec<(Samples, Vec<usize>)>, String> {
    let mut picks: Vec<(Samples, Vec<usize>)> = Vec::new();
    for (name, axes) in sampled.inputs {
        let dims = |g: &Graph| {
            let id = g.inputs().iter().find(|&&id| g.input_name(id) == *name);
            id.map(|&id| g.node(id).shape.dims().to_vec())
                .ok_or_else(|| format!("no input {name}"))
        };
        let (n, k) = (dims(full)?, dims(cut)?);
        for (axis, samples) in axes.iter().enumerate() {
            let (Some(samples), Some(&n), Some(&k)) = (samples, n.get(axis), k.get(axis)) else {
                continue;
            };
            if !picks.iter().any(|(s, _)| s == samples) {
                picks.push((*samples, sample_indices(n, k, SAMPLE_SEED)));
            }
        }
    }
    Ok(picks)
}

/// The index list each axis of a tensor takes (`None`: the whole axis).
fn axis_picks(axes: AxisSamples, picks: &[(Samples, Vec<usize>)]) -> Vec<Option<&[usize]>> {
    axes.iter()
        .map(|axis| {
            axis.and_then(|s| picks.iter().find(|(t, _)| *t == s))
                .map(|(_, p)| p.as_slice())
        })
        .collect()
}

/// `k` distinct indices below `n`, ascending: 0, `n - 1` and `k - 2` drawn from `seed`
/// (all of them when `k >= n`).
pub fn sample_indices(n: usize, k: usize, seed: u64) -> Vec<usize> {
    if k >= n {
        return (0..n).collect();
    }
    let mut chosen: BTreeSet<usize> = [0, n - 1].into_iter().take(k).collect();
    let mut random = SplitMix64(seed);
    while chosen.len() < k {
        chosen.insert((random.next() % n as u64) as usize);
    }
    chosen.into_iter().collect()
}

/// The elements of `tensor` at the picked indices of each axis (`None`: every index).
fn gather(tensor: &Tensor, picks: &[Option<&[usize]>]) -> Result<Tensor, String> {
    let dims = tensor.shape.dims();
    if picks.len() != dims.len() {
        return Err(format!("{} axes picked of {}", picks.len(), tensor.shape));
    }
    let kept: Vec<usize> = dims
        .iter()
        .zip(picks)
        .map(|(&n, p)| p.map_or(n, <[usize]>::len))
        .collect();
    let strides = tensor.shape.strides();
    let count: usize = kept.iter().product();
    let mut index = vec![0; kept.len()];
    let mut values = Vec::with_capacity(count);
    for _ in 0..count {
        let flat: usize = index
            .iter()
            .zip(picks)
            .zip(&strides)
            .map(|((&i, p), &s)| p.map_or(i, |p| p[i]) * s)
            .sum();
        values.push(tensor.get(flat));
        // The next index in row-major order (an odometer).
        for axis in (0..kept.len()).rev() {
            index[axis] += 1;
            if index[axis] < kept[axis] {
                break;
            }
            index[axis] = 0;
        }
    }
    let shape = egpu_ir::Shape::new(kept)?;
    Tensor::from_scalars(tensor.dtype, shape, values).map_err(|e: EvalError| e.to_string())
}

/// One message per output outside its bounds, naming the worst element at the index
/// `index(output, flat)` gives.
fn mismatches(
    expected: &[Reference],
    got: &[&Tensor],
    index: impl Fn(usize, usize) -> usize,
) -> Vec<String> {
    let mut failures = Vec::new();
    for (o, (want, got)) in expected.iter().zip(got).enumerate() {
        if let Some(m) = compare(want, got) {
            failures.push(format!(
                "output {}: {} of {} checked elements differ from the reference, worst at flat index {}: got {}, expected {} (allowed error {:e})",
                want.name,
                m.count,
                want.value.numel(),
                index(o, m.index),
                m.got,
                m.expected,
                m.allowed
            ));
        }
    }
    if expected.len() != got.len() {
        failures.push(format!(
            "{} outputs, the reference has {}",
            got.len(),
            expected.len()
        ));
    }
    failures
}

#[cfg(test)]
mod tests {
    use super::super::suite::SUITE;
    use super::*;
    use egpu_ir::interp::{evaluate, random_inputs};

    #[test]
    fn samples_include_both_ends_and_are_distinct() {
        let s = sample_indices(16384, 8, 7);
        assert_eq!(s.len(), 8);
        assert_eq!((s[0], s[7]), (0, 16383));
        assert!(s.windows(2).all(|w| w[0] < w[1]), "{s:?}");
        assert_eq!(sample_indices(3, 8, 7), vec![0, 1, 2]);
        assert_eq!(sample_indices(16384, 8, 7), s, "deterministic");
    }

    #[test]
    fn gather_picks_rows_and_columns() {
        let values: Vec<f64> = (0..12).map(f64::from).collect();
        let t = Tensor::from_f64(egpu_ir::DType::F32, &[3, 4], &values).unwrap();
        let g = gather(&t, &[Some(&[0, 2]), Some(&[1, 3])]).unwrap();
        assert_eq!(g.shape.dims(), &[2, 2]);
        assert_eq!(g.to_f64_vec(), vec![1.0, 3.0, 9.0, 11.0]);
        let rows = gather(&t, &[Some(&[2]), None]).unwrap();
        assert_eq!(rows.to_f64_vec(), vec![8.0, 9.0, 10.0, 11.0]);
    }

    /// The sampled check on a graph small enough for the full reference: the reference's
    /// own outputs pass, one wrong element in a sampled row fails naming its full index, one
    /// in a row not sampled is (by design) not seen.
    #[test]
    fn the_sampled_check_sees_sampled_rows_only() {
        let sampled = Sampled {
            text: "graph softmax(x: f32[3, 16]) {\n  y = softmax(x, axis=-1)\n  return y\n}\n",
            inputs: &[("x", &[Some(Samples::Rows), None])],
            outputs: &[("y", &[Some(Samples::Rows), None])],
        };
        let sampled: &'static Sampled = Box::leak(Box::new(sampled));
        let graph = text::parse(
            "graph softmax(x: f32[40, 16]) {\n  y = softmax(x, axis=-1)\n  return y\n}\n",
        )
        .unwrap();
        let inputs = random_inputs(&graph, 3);
        let right = evaluate(&graph, &inputs).unwrap();
        let target = Target::by_name("gfx1100").unwrap();
        let verdict = verify(&graph, &inputs, &right, &target, Check::Sampled(sampled));
        assert_eq!(verdict, Verdict::Passed("sampled 3 rows".into()));
        let rows = sample_indices(40, 3, SAMPLE_SEED);
        let unsampled = (0..40).find(|r| !rows.contains(r)).unwrap();
        let wrong_at = |row: usize| {
            let mut values = right[0].1.to_f64_vec();
            values[row * 16 + 5] += 0.5;
            let t = Tensor::from_f64(egpu_ir::DType::F32, &[40, 16], &values).unwrap();
            vec![("y".to_string(), t)]
        };
        let verdict = verify(
            &graph,
            &inputs,
            &wrong_at(rows[1]),
            &target,
            Check::Sampled(sampled),
        );
        let Verdict::Failed(text) = verdict else {
            panic!("{verdict:?}")
        };
        let at = format!("worst at flat index {}", rows[1] * 16 + 5);
        assert!(
            text.contains(&at) && text.contains("1 of 48 checked"),
            "{text}"
        );
        let verdict = verify(
            &graph,
            &inputs,
            &wrong_at(unsampled),
            &target,
            Check::Sampled(sampled),
        );
        assert!(matches!(verdict, Verdict::Passed(_)), "{verdict:?}");
        let whole = verify(
            &graph,
            &inputs,
            &wrong_at(unsampled),
            &target,
            Check::Reference,
        );
        assert!(matches!(whole, Verdict::Failed(_)), "{whole:?}");
    }

    /// Every suite graph's sampled copy parses and its samples are found in the full-size
    /// graph (running the check needs full-size outputs, which only a device run makes).
    #[test]
    fn every_sampled_suite_graph_has_its_samples() {
        for graph in &SUITE {
            let Some(sampled) = &graph.sampled else {
                continue;
            };
            let full = text::parse(graph.full).unwrap();
            let cut = text::parse(sampled.text).unwrap();
            let picks = pick_samples(&full, &cut, sampled).unwrap();
            assert!(!picks.is_empty(), "{}", graph.name);
            for (_, p) in &picks {
                assert!(p.len() >= 8, "{}: {p:?}", graph.name);
            }
        }
    }

    #[test]
    fn graphs_beyond_the_budget_are_skipped() {
        let big = text::parse(SUITE[6].full).unwrap();
        assert!(too_large(&big).is_some());
        let small = text::parse(SUITE[6].small).unwrap();
        assert_eq!(too_large(&small), None);
    }
}
