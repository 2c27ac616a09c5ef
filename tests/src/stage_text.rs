//! What the pipeline snapshots store for one graph compiled for several targets, without
//! repeating anything: the source file is never copied (the graph stage is asserted equal to
//! it instead), target-independent stages appear once, and targets whose kernels print the
//! same share one section.

use egpu_passes::pipeline::{Compiled, Stage};

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
