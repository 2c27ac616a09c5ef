//! The bandwidth ceilings the bench compares against, measured on the device itself:
//!
//! - copy: the graph `y = x` over `elements` f32 (one compiled copy kernel), timed like a
//!   bench row; its GB/s count the bytes read and written (2 · 4 · elements), the way the
//!   suite's GB/s count every input and output once.
//! - the link: one buffer of the same bytes uploaded and downloaded (host ↔ device over
//!   PCIe or USB4 on a GPU; a memory copy on emu and cpu), wall-clock time, the median of
//!   [`LINK_RUNS`] each.

use super::super::CliError;
use super::device::{Bench, median};
use crate::cli::progress::Progress;
use egpu_ir::interp::random_inputs;
use egpu_ir::{DType, GraphBuilder};
use std::time::Instant;

/// Elements of the copy at full size (2^26 f32: 256 MiB each way) and at small size.
pub const FULL_COPY_ELEMENTS: usize = 1 << 26;
pub const SMALL_COPY_ELEMENTS: usize = 1 << 16;

/// Timed uploads and downloads of the link measurement.
pub const LINK_RUNS: usize = 3;

/// The measured ceilings, in GB/s.
#[derive(Clone, Copy, Debug)]
pub struct Bandwidth {
    pub elements: usize,
    /// Device memory to device memory (read + write).
    pub copy_gbps: f64,
    /// Host to device.
    pub upload_gbps: f64,
    /// Device to host.
    pub download_gbps: f64,
}

/// Steps [`measure`] reports to the progress bar.
pub fn steps(bench: &Bench) -> usize {
    bench.timing.warmup + bench.timing.runs + 2 * LINK_RUNS
}

/// Measures the copy and the link with `elements` f32.
pub fn measure(
    bench: &mut Bench,
    elements: usize,
    progress: &mut Progress,
) -> Result<Bandwidth, CliError> {
    let bytes = (elements * DType::F32.size_bytes()) as f64;
    let graph = copy_graph(elements)?;
    progress.doing("copy: compiling");
    let compiled = bench.compile(&graph, "copy")?;
    let inputs = random_inputs(&graph, 0);
    let (mut times, outputs) = bench.time("copy", &compiled, &inputs, progress)?;
    // A copy that does not copy would make every percentage meaningless.
    let copied = outputs
        .first()
        .zip(inputs.get("x"))
        .is_some_and(|((_, y), x)| y.same(x));
    if !copied {
        return Err(CliError::Internal(
            "the copy kernel (y = x) did not copy its input".into(),
        ));
    }
    let copy_gbps = 2.0 * bytes / (median(&mut times) / 1e3) / 1e9;
    let (upload_gbps, download_gbps) = link(bench, elements, progress)?;
    Ok(Bandwidth {
        elements,
        copy_gbps,
        upload_gbps,
        download_gbps,
    })
}

/// `graph copy(x: f32[elements]) { return x }`: one kernel that reads and writes each
/// element once.
fn copy_graph(elements: usize) -> Result<egpu_ir::Graph, CliError> {
    let internal = |e| CliError::Internal(format!("the copy graph: {e}"));
    let mut b = GraphBuilder::new("copy");
    let x = b.input("x", DType::F32, &[elements]).map_err(internal)?;
    b.output("y", x).map_err(internal)?;
    b.finish().map_err(internal)
}

/// (upload, download) GB/s of one buffer of `elements` f32, medians of [`LINK_RUNS`].
fn link(
    bench: &mut Bench,
    elements: usize,
    progress: &mut Progress,
) -> Result<(f64, f64), CliError> {
    let device_error = |e| CliError::Internal(format!("link bandwidth: {e}"));
    let bytes = elements * DType::F32.size_bytes();
    let host: Vec<u8> = (0..bytes).map(|i| (i % 251) as u8).collect();
    let mut back = vec![0u8; bytes];
    let device = &mut *bench.device;
    let buffer = device.alloc(bytes).map_err(device_error)?;
    let mut up = Vec::new();
    let mut down = Vec::new();
    let mut timed = || -> Result<(), egpu_runtime::DeviceError> {
        for _ in 0..LINK_RUNS {
            progress.doing("link: upload");
            device.synchronize()?;
            let t = Instant::now();
            device.upload(buffer, &host)?;
            device.synchronize()?;
            up.push(t.elapsed().as_secs_f64());
            progress.step();
            progress.doing("link: download");
            let t = Instant::now();
            device.download(buffer, &mut back)?;
            down.push(t.elapsed().as_secs_f64());
            progress.step();
        }
        Ok(())
    };
    let result = timed();
    let freed = device.free(buffer);
    result.map_err(device_error)?;
    freed.map_err(device_error)?;
    if back != host {
        return Err(CliError::Internal(
            "link bandwidth: the downloaded buffer differs from the uploaded one".into(),
        ));
    }
    let gbps = |times: &mut Vec<f64>| bytes as f64 / median(times) / 1e9;
    Ok((gbps(&mut up), gbps(&mut down)))
}
