//! `egpu devices [--json]`: every device egpu knows, whether it opens here (its description,
//! or why not), its target, and which one `run` picks when no device is named. The probing
//! is the runtime's ([`egpu_runtime::probe_devices`]); this file only formats.

use super::CliError;
use super::error::output;
use egpu_ir::kernel::json_string;
use egpu_runtime::{DEVICE_ENV, DeviceProbe, probe_devices};
use std::io::Write;

pub fn run(json: bool, out: &mut dyn Write) -> Result<(), CliError> {
    // A bad EGPU_DEVICE is the user's to fix; the message already names the variable.
    let probes = probe_devices().map_err(|e| CliError::User(e.to_string()))?;
    let text = if json {
        json_text(&probes)
    } else {
        table_text(&probes)
    };
    out.write_all(text.as_bytes()).map_err(output)
}

/// The target column: the device's own, or "any" for the cpu device's kernel-IR interpreter,
/// or "-" for a device that did not open.
fn target_text(probe: &DeviceProbe) -> &'static str {
    match (&probe.status, probe.target) {
        (Ok(_), Some(target)) => target,
        (Ok(_), None) => "any",
        (Err(_), _) => "-",
    }
}

/// One line per device, `*` before the default, then a line saying what the mark means.
fn table_text(probes: &[DeviceProbe]) -> String {
    let width = probes.iter().map(|p| p.name.len()).max().unwrap_or(0);
    let mut text = String::new();
    for probe in probes {
        let mark = if probe.default { '*' } else { ' ' };
        let status = match &probe.status {
            Ok(description) => format!("available    {description}"),
            Err(why) => format!("unavailable  {why}"),
        };
        text += &format!(
            "{mark} {:<width$}  {:<8} {status}\n",
            probe.name,
            target_text(probe)
        );
    }
    text += &format!(
        "* = the default device, which `egpu run` uses without --device: {DEVICE_ENV} if set, \
else the first GPU that opens, else emu\n"
    );
    text
}

/// `{"devices": [{"name", "available", "default", "target", "description", "reason"}]}`,
/// keys always in this order; `target` is null for cpu (any target) and unavailable devices,
/// `description` null when unavailable, `reason` null when available.
fn json_text(probes: &[DeviceProbe]) -> String {
    let rows: Vec<String> = probes
        .iter()
        .map(|p| {
            let (description, reason) = match &p.status {
                Ok(d) => (json_string(d), "null".to_string()),
                Err(e) => ("null".to_string(), json_string(&e.to_string())),
            };
            format!(
                "    {{\"name\": {}, \"available\": {}, \"default\": {}, \"target\": {}, \
\"description\": {description}, \"reason\": {reason}}}",
                json_string(&p.name),
                p.available(),
                p.default,
                p.target.map_or("null".into(), json_string),
            )
        })
        .collect();
    format!("{{\n  \"devices\": [\n{}\n  ]\n}}\n", rows.join(",\n"))
}
