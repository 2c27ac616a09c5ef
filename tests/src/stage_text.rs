//! What the pipeline snapshots store for one graph compiled for several targets, without
//! repeating anything: the source file is never copied (the graph stage is asserted equal to
//! it instead), target-independent stages appear once, and targets whose kernels print the
//! same share one section.

use egpu_ir::{Target, text};
use egpu_passes::pipeline::{Compiled, PipelineOptions, Stage, compile};

/// The simplified graph and the schedule, which must not depend on the target: `Err` names
/// the first stage where two targets differ. The simplified graph is written out only where
/// simplify changed something; otherwise one line says it is the graph as written.
pub fn shared_stages(per_target: &[(&str, Compiled)]) -> Result<String, String> {
    let mut text = String::new();
    for stage in [Stage::Simplified, Stage::Schedule] {
        let mut texts = per_target.iter().map(|(t, c)| (t, c.stage_text(stage)));
        let Some((first_target, first)) = texts.next() else {
            return Err("no target compiled".to_string());
        };
        if let Some((target, _)) = texts.find(|(_, t)| *t != first) {
            return Err(format!(
                "stage {stage} differs between {first_target} and {target}"
            ));
        }
        let unchanged = stage == Stage::Simplified
            && per_target
                .first()
                .is_some_and(|(_, c)| first == c.stage_text(Stage::Graph));
        if unchanged {
            text += &format!("== {stage}: the graph as written\n");
        } else {
            text += &format!("== {stage}\n{first}");
        }
    }
    Ok(text)
}

/// Every target's kernels (plans, kernel IR, launches); targets whose text is identical are
/// listed together in one section header (`== kernels: gfx1100, sm_90`).
pub fn kernels_by_target(per_target: &[(&str, Compiled)]) -> String {
    let mut groups: Vec<(Vec<&str>, String)> = Vec::new();
    for (target, compiled) in per_target {
        let kernels = compiled.stage_text(Stage::Kernels);
        match groups.iter_mut().find(|(_, text)| *text == kernels) {
            Some((targets, _)) => targets.push(target),
            None => groups.push((vec![target], kernels)),
        }
    }
    groups
        .into_iter()
        .map(|(targets, kernels)| format!("== kernels: {}\n{kernels}", targets.join(", ")))
        .collect()
}

/// The targets the pipeline and suite snapshots are taken for.
pub const SNAPSHOT_TARGETS: [&str; 2] = ["gfx1100", "sm_90"];

/// `source` (the graph file `name`) compiled for each of [`SNAPSHOT_TARGETS`] with the default
/// options; panics naming the graph and target on an error, or if a graph stage does not
/// print the file itself (the snapshots rely on that instead of storing the file again).
pub fn compile_for_snapshots(name: &str, source: &str) -> Vec<(&'static str, Compiled)> {
    let graph = text::parse(source).unwrap_or_else(|e| panic!("{name}: {e}"));
    SNAPSHOT_TARGETS
        .iter()
        .map(|&target| {
            let options = PipelineOptions {
                target: Target::by_name(target).expect("known target"),
                disabled: vec![],
                simplify: Default::default(),
            };
            let compiled =
                compile(&graph, &options).unwrap_or_else(|e| panic!("{name} on {target}: {e}"));
            assert_eq!(
                compiled.stage_text(Stage::Graph),
                source,
                "{name} on {target}: the graph stage prints the source file"
            );
            (target, compiled)
        })
        .collect()
}

/// `tests/snapshots/` holds exactly the `PREFIX__NAME_stages.snap` and
/// `PREFIX__NAME_kernels.snap` files of `names` among the files starting with `PREFIX__` or
/// with one of `retired` (prefixes whose snapshots must all be gone).
pub fn assert_no_orphan_snapshots(prefix: &str, names: &[&str], retired: &[&str]) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots");
    let mut expected: Vec<String> = names
        .iter()
        .flat_map(|n| {
            [
                format!("{prefix}__{n}_kernels.snap"),
                format!("{prefix}__{n}_stages.snap"),
            ]
        })
        .collect();
    expected.sort();
    let own = format!("{prefix}__");
    let mut found: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|f| f.starts_with(&own) || retired.iter().any(|r| f.starts_with(r)))
        .collect();
    found.sort();
    assert_eq!(found, expected);
}
