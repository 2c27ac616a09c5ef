//! The bench's results as a table for people or as one JSON object (`--json`), written by
//! hand so that keys keep a fixed order.

use super::copy::Bandwidth;
use super::device::{Row, Timing};
use super::verify::Verdict;
use egpu_ir::kernel::json_string;

/// What every row was measured on and against.
pub struct Header {
    pub device: String,
    pub target: String,
    pub size: &'static str,
    pub timing: Timing,
    pub bandwidth: Bandwidth,
}

/// A row measured, or the error that stopped it.
pub enum Line {
    Measured(Row),
    Error { name: String, message: String },
}

/// The row's rate as a percentage of the measured copy bandwidth (GB/s rows only).
fn percent_of_copy(row: &Row, copy_gbps: f64) -> Option<f64> {
    let percent = 100.0 * row.value / copy_gbps;
    (row.unit == "GB/s" && percent.is_finite()).then_some(percent)
}

/// Four significant digits (the emulator's rates are tiny, a GPU's large).
fn significant(v: f64) -> String {
    if !v.is_finite() || v == 0.0 {
        return format!("{v}");
    }
    let digits = (3 - v.abs().log10().floor() as i32).clamp(0, 12) as usize;
    format!("{v:.digits$}")
}

/// `2^k` for a power of two, else the number.
fn count(n: usize) -> String {
    if n.is_power_of_two() && n >= 1024 {
        format!("2^{}", n.trailing_zeros())
    } else {
        n.to_string()
    }
}

pub fn table(header: &Header, lines: &[Line]) -> String {
    let Timing { warmup, runs } = header.timing;
    let bw = &header.bandwidth;
    let mut text = format!(
        "device {}, target {}, size {}: median of {runs} timed runs after {warmup} warm-up run(s)\n",
        header.device, header.target, header.size
    );
    text += &format!(
        "copy (y = x, {} f32, read + write) {} GB/s; link host->device {} GB/s, device->host {} GB/s\n",
        count(bw.elements),
        significant(bw.copy_gbps),
        significant(bw.upload_gbps),
        significant(bw.download_gbps)
    );
    text += &format!(
        "{:<14} {:>7} {:>11} {:>11} {:>19} {:>7}  check\n",
        "graph", "kernels", "compile ms", "run ms", "rate", "% copy"
    );
    let mut notes = String::new();
    for line in lines {
        match line {
            Line::Measured(r) => {
                let percent = percent_of_copy(r, bw.copy_gbps)
                    .map_or_else(|| "-".to_string(), |p| format!("{p:.1}"));
                let rate = format!("{} {}", significant(r.value), r.unit);
                let check = match &r.verdict {
                    Verdict::Passed(what) => format!("ok ({what})"),
                    Verdict::Failed(why) => {
                        notes += &format!("{}: verification failed: {why}\n", r.name);
                        "FAILED (below)".to_string()
                    }
                    Verdict::Skipped(why) => format!("not checked: {why}"),
                };
                text += &format!(
                    "{:<14} {:>7} {:>11.1} {:>11.4} {rate:>19} {percent:>7}  {check}\n",
                    r.name, r.kernels, r.compile_ms, r.run_ms
                );
            }
            Line::Error { name, message } => {
                notes += &format!("{name}: {message}\n");
                text += &format!(
                    "{name:<14} {:>7} {:>11} {:>11} {:>19} {:>7}  error (below)\n",
                    "-", "-", "-", "-", "-"
                );
            }
        }
    }
    text + &notes
}

/// `{"device", "target", "size", "warmup", "runs", "copy_elements", "copy_gbps",
/// "upload_gbps", "download_gbps", "rows": [{"name", "kernels", "compile_ms", "run_ms",
/// "unit", "value", "percent_of_copy", "verified", "check"}]}`; a number that is not finite
/// is `null`, as are `verified` of a row not checked and the numbers of a row that failed
/// (which has `"error"` instead of `"check"`).
pub fn json(header: &Header, lines: &[Line]) -> String {
    let bw = &header.bandwidth;
    let rows: Vec<String> = lines.iter().map(|l| json_row(l, bw.copy_gbps)).collect();
    format!(
        "{{\n  \"device\": {},\n  \"target\": {},\n  \"size\": {},\n  \"warmup\": {},\n  \"runs\": {},\n  \"copy_elements\": {},\n  \"copy_gbps\": {},\n  \"upload_gbps\": {},\n  \"download_gbps\": {},\n  \"rows\": [\n{}\n  ]\n}}\n",
        json_string(&header.device),
        json_string(&header.target),
        json_string(header.size),
        header.timing.warmup,
        header.timing.runs,
        bw.elements,
        rate(Some(bw.copy_gbps)),
        rate(Some(bw.upload_gbps)),
        rate(Some(bw.download_gbps)),
        rows.join(",\n")
    )
}

fn json_row(line: &Line, copy_gbps: f64) -> String {
    match line {
        Line::Measured(r) => {
            let (verified, check) = match &r.verdict {
                Verdict::Passed(what) => ("true", what.clone()),
                Verdict::Failed(why) => ("false", format!("failed: {why}")),
                Verdict::Skipped(why) => ("null", format!("not checked: {why}")),
            };
            format!(
                "    {{\"name\": {}, \"kernels\": {}, \"compile_ms\": {}, \"run_ms\": {}, \"unit\": {}, \"value\": {}, \"percent_of_copy\": {}, \"verified\": {verified}, \"check\": {}}}",
                json_string(&r.name),
                r.kernels,
                number(Some(r.compile_ms), 3),
                number(Some(r.run_ms), 6),
                json_string(r.unit),
                rate(Some(r.value)),
                rate(percent_of_copy(r, copy_gbps)),
                json_string(&check)
            )
        }
        Line::Error { name, message } => format!(
            "    {{\"name\": {}, \"kernels\": null, \"compile_ms\": null, \"run_ms\": null, \"unit\": null, \"value\": null, \"percent_of_copy\": null, \"verified\": false, \"error\": {}}}",
            json_string(name),
            json_string(message)
        ),
    }
}

/// A JSON number with `decimals` digits after the point, or `null` (none, NaN, infinite).
pub fn number(value: Option<f64>, decimals: usize) -> String {
    match value {
        Some(v) if v.is_finite() => format!("{v:.decimals$}"),
        _ => "null".to_string(),
    }
}

/// A rate or percentage for JSON: four significant digits, or `null`.
fn rate(value: Option<f64>) -> String {
    match value {
        Some(v) if v.is_finite() => significant(v),
        _ => "null".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_strings_and_numbers_are_valid_json() {
        assert_eq!(number(Some(1.23456), 2), "1.23");
        assert_eq!(number(Some(f64::INFINITY), 2), "null");
        assert_eq!(number(None, 2), "null");
        assert_eq!(count(1 << 26), "2^26");
        assert_eq!(count(1000), "1000");
        assert_eq!(significant(4140.123), "4140");
        assert_eq!(significant(12.3456), "12.35");
        assert_eq!(significant(0.000123456), "0.0001235");
    }
}
