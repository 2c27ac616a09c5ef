//! `manifest.json`: a target-independent description of a compiled program that another
//! runtime can follow — kernels in launch order, launch shapes, buffer bindings, buffers,
//! graph inputs and outputs, and per kernel the files that hold it (its `.kir`, and the
//! code generators' output: `.ptx`, `.cubin`, …).
//! Written by hand (no serde) so the bytes are stable: keys in a fixed order, two-space
//! indentation, one kernel per block.

use super::{BufferRole, Param, Program};

/// `s` as a JSON string: quotes, backslashes and control characters escaped (names are
/// identifiers, but this stays correct for anything). Every JSON egpu writes by hand — the
/// manifest, `devices`, `bench` and `cache stats` — quotes its strings with it.
pub fn json_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out += "\\\"",
            '\\' => out += "\\\\",
            c if (c as u32) < 0x20 => out += &format!("\\u{:04x}", c as u32),
            c => out.push(c),
        }
    }
    out + "\""
}

fn list<T: ToString>(items: impl IntoIterator<Item = T>) -> String {
    let items: Vec<String> = items.into_iter().map(|i| i.to_string()).collect();
    format!("[{}]", items.join(", "))
}

/// The files written for one kernel, as (key, file name) pairs in the order they appear in
/// the manifest: `("file", "k0_add.kir")` first, then e.g. `("ptx", …)`, `("cubin", …)`.
pub type KernelFiles = Vec<(&'static str, String)>;

impl Program {
    /// The manifest as JSON text; `target` names what the program was compiled for, and
    /// `kernel_files[i]` the files holding kernel i (IR, PTX, cubin or code object).
    pub fn manifest_json(&self, target: &str, kernel_files: &[KernelFiles]) -> String {
        let mut out = format!(
            "{{\n  \"program\": {},\n  \"target\": {},\n",
            json_string(&self.name),
            json_string(target)
        );
        out += &format!(
            "  \"buffers\": [\n{}\n  ],\n",
            self.buffer_entries().join(",\n")
        );
        let inputs = self
            .buffers
            .iter()
            .enumerate()
            .filter_map(|(i, b)| match &b.role {
                BufferRole::Input(name) => Some(format!(
                    "{{\"name\": {}, \"buffer\": {i}}}",
                    json_string(name)
                )),
                _ => None,
            });
        out += &format!("  \"inputs\": {},\n", list(inputs));
        let outputs = self.outputs.iter().map(|(name, b, shape)| {
            format!(
                "{{\"name\": {}, \"buffer\": {b}, \"shape\": {}}}",
                json_string(name),
                list(shape.iter())
            )
        });
        out += &format!("  \"outputs\": {},\n", list(outputs));
        let kernels: Vec<String> = (0..self.launches.len())
            .map(|i| self.launch_entry(i, kernel_files))
            .collect();
        out += &format!("  \"kernels\": [\n{}\n  ]\n}}\n", kernels.join(",\n"));
        out
    }

    fn buffer_entries(&self) -> Vec<String> {
        self.buffers
            .iter()
            .enumerate()
            .map(|(i, b)| {
                let role = match &b.role {
                    BufferRole::Input(n) => format!("\"input\", \"name\": {}", json_string(n)),
                    BufferRole::Output(n) => format!("\"output\", \"name\": {}", json_string(n)),
                    BufferRole::Temporary => "\"temporary\"".to_string(),
                };
                let bytes = b.elements * b.dtype.size_bytes();
                format!(
                    "    {{\"id\": {i}, \"dtype\": \"{}\", \"elements\": {}, \"bytes\": {bytes}, \"role\": {role}}}",
                    b.dtype, b.elements
                )
            })
            .collect()
    }

    fn launch_entry(&self, i: usize, kernel_files: &[KernelFiles]) -> String {
        let launch = &self.launches[i];
        let Some(kernel) = self.kernels.get(launch.kernel) else {
            return format!("    {{\"error\": \"launch {i} names no kernel\"}}");
        };
        let params = kernel
            .params()
            .filter_map(|(_, p)| match p {
                Param::Buffer { name, dtype, len, access } => Some((name, dtype, len, access)),
                Param::Scalar { .. } => None,
            })
            .zip(&launch.bindings)
            .map(|((name, dtype, len, access), b)| {
                format!(
                    "{{\"param\": {}, \"buffer\": {b}, \"dtype\": \"{dtype}\", \"elements\": {len}, \"access\": \"{}\"}}",
                    json_string(name),
                    access.name()
                )
            });
        let l = kernel.launch();
        let files = match kernel_files.get(launch.kernel) {
            Some(files) if !files.is_empty() => files
                .iter()
                .map(|(key, file)| format!("\"{key}\": {}, ", json_string(file)))
                .collect(),
            _ => "\"file\": null, ".to_string(),
        };
        format!(
            "    {{\"name\": {}, {files}\"grid\": {}, \"workgroup\": {}, \"shared_bytes\": {}, \"bindings\": {}}}",
            json_string(kernel.name()),
            list(l.grid),
            list(l.workgroup),
            kernel.shared_bytes(),
            list(params)
        )
    }
}

#[cfg(test)]
mod json_tests {
    use super::json_string;

    /// RFC 8259: `"` and `\` escaped, control characters as `\u00XX`, the rest as is.
    #[test]
    fn json_strings_escape_what_json_requires() {
        assert_eq!(json_string("/a b/c"), "\"/a b/c\"");
        assert_eq!(
            json_string("a\"b\\c\n\u{1}é"),
            "\"a\\\"b\\\\c\\u000a\\u0001é\""
        );
    }
}
