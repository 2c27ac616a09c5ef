#!/usr/bin/env python3
"""PyTorch's times for egpu's benchmark suite, and the GPU check's closing table.

  bench_torch.py bench --suite benches/suite --out torch.json [--runs 20] [--no-compile] [--dry-run]
      Times PyTorch eager and torch.compile on the suite's graphs (shapes read from the .egir
      files) with CUDA events: warm-up runs, then the median of --runs timed runs, on random
      (never zero) inputs. Metric as DESIGN.md "Benchmark suite" says: GB/s of the arrays
      named there, TFLOP/s (2·M·N·K) for the matmuls. --dry-run needs no torch: it prints
      the plan (shapes, bytes or flops per run) and measures nothing.
  bench_torch.py table --checks results.tsv [--torch torch.json] [--egpu egpu.json]
      Prints the short summary `scripts/gpu/check` ends with.

egpu.json (from `egpu bench --device cuda --json`) is read as {"rows": [...]} (docs/benchmarks.md),
or the older {"results": [...]} or a list, each with "name" and "value" (in the suite's metric).
"""
import argparse
import json
import pathlib
import re
import statistics
import sys

# name -> (metric, the arrays whose bytes count for GB/s; "*" = every input and the output)
METRICS = {
    "add": ("GB/s", "*"),
    "gelu_chain": ("GB/s", ("x", "y")),
    "sum_rows": ("GB/s", ("x",)),
    "sum_all": ("GB/s", ("x",)),
    "softmax": ("GB/s", ("x", "y")),
    "layernorm": ("GB/s", ("x", "y")),
    "matmul_f32": ("TFLOP/s", None),
    "matmul_f16": ("TFLOP/s", None),
}
DTYPE_BYTES = {"f16": 2, "bf16": 2, "f32": 4, "f64": 8, "i32": 4, "i64": 8}
MAX_LISTED = 20  # failed checks listed in the table; results.tsv has them all
SIGNATURE = re.compile(r"^graph (\w+)\((.*)\) \{$")
ARRAY = re.compile(r"(\w+): (\w+)\[([\d, ]*)\]")


def parse_graph(path):
    """(name, {array: (dtype, dims)}) of a suite graph: its inputs and its returned output."""
    arrays, name, returned = {}, None, None
    lines = path.read_text().splitlines()
    for line in lines:
        line = line.strip()
        m = SIGNATURE.match(line)
        if m:
            name = m.group(1)
            for a in ARRAY.finditer(m.group(2)):
                arrays[a.group(1)] = (a.group(2), [int(d) for d in a.group(3).split(",") if d.strip()])
        elif line.startswith("return "):
            returned = line.split()[1]
    for line in lines:
        a = ARRAY.match(line.strip())
        if a and a.group(1) == returned:
            arrays[returned] = (a.group(2), [int(d) for d in a.group(3).split(",") if d.strip()])
    if name is None or returned not in arrays:
        raise ValueError(f"{path}: no graph signature or returned value found")
    return name, arrays, returned


def numel(dims):
    n = 1
    for d in dims:
        n *= d
    return n


def work(name, arrays, returned):
    """(metric, units of work per run): bytes for GB/s, flops for TFLOP/s."""
    metric, counted = METRICS[name]
    if metric == "TFLOP/s":
        (_, (m, k)), (_, (_, n)) = [(a, arrays[a][1]) for a in arrays if a != returned]
        return metric, 2 * m * n * k
    names = list(arrays) if counted == "*" else [returned if c == "y" else c for c in counted]
    return metric, sum(numel(arrays[a][1]) * DTYPE_BYTES[arrays[a][0]] for a in names)


def rate(metric, units, ms):
    return units / (ms * 1e-3) / (1e9 if metric == "GB/s" else 1e12)


def torch_function(name, torch, F):
    """The suite graph as PyTorch code, and a note on how it differs from egpu's graph."""
    if name == "add":
        return (lambda a, b: a + b), ""
    if name == "gelu_chain":
        return (lambda x, w, b: F.gelu(x * w + b, approximate="tanh")), ""
    if name == "sum_rows":
        return (lambda x: x.sum(dim=1, keepdim=True)), ""
    if name == "sum_all":
        return (lambda x: x.sum().reshape(1)), ""
    if name == "softmax":
        return (lambda x: torch.softmax(x, dim=-1)), ""
    if name == "layernorm":
        return (lambda x, w, b: F.layer_norm(x, (x.shape[-1],), w, b, eps=1e-5)), ""
    if name == "matmul_f32":
        return (lambda a, b: a @ b), "TF32 off"
    if name == "matmul_f16":
        a = torch.ones(16, 16, dtype=torch.float16, device="cuda")
        try:  # an f32 result as egpu's graph has, where this PyTorch can
            torch.mm(a, a, out_dtype=torch.float32)
            return (lambda a, b: torch.mm(a, b, out_dtype=torch.float32)), "f32 out"
        except (TypeError, RuntimeError):
            return (lambda a, b: a @ b), "f16 out (no out_dtype)"
    raise KeyError(name)


def time_ms(torch, fn, args, warmup, runs):
    """Median of `runs` CUDA-event timings of fn(*args), after `warmup` untimed runs."""
    for _ in range(warmup):
        fn(*args)
    torch.cuda.synchronize()
    times = []
    for _ in range(runs):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        fn(*args)
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end))
    return statistics.median(times)


def bench(opts):
    graphs = [parse_graph(p) for p in sorted(pathlib.Path(opts.suite).glob("*.egir"))]
    graphs = [g for g in graphs if g[0] in METRICS]
    if opts.dry_run:
        print(f"dry run: {len(graphs)} graphs, {opts.runs} timed runs each after {opts.warmup} warm-up runs; nothing measured")
        for name, arrays, returned in graphs:
            metric, units = work(name, arrays, returned)
            shapes = ", ".join(f"{a}: {d}{dims}" for a, (d, dims) in arrays.items())
            print(f"  {name:<11} {metric:<8} {units:>16,} {'bytes' if metric == 'GB/s' else 'flops'} per run  ({shapes})")
        return 0
    import torch
    import torch.nn.functional as F

    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    results = {"torch": torch.__version__, "device": torch.cuda.get_device_name(), "runs": opts.runs, "graphs": {}}
    gen = torch.Generator(device="cuda").manual_seed(1)
    for name, arrays, returned in graphs:
        metric, units = work(name, arrays, returned)
        entry = {"metric": metric}
        try:
            dtypes = {"f32": torch.float32, "f16": torch.float16}
            inputs = [
                torch.randn(*dims, generator=gen, device="cuda", dtype=torch.float32).to(dtypes[d])
                for a, (d, dims) in arrays.items() if a != returned
            ]
            fn, note = torch_function(name, torch, F)
            entry["note"] = note
            ms = time_ms(torch, fn, inputs, opts.warmup, opts.runs)
            entry["eager_ms"], entry["eager"] = ms, rate(metric, units, ms)
            if not opts.no_compile and metric == "GB/s":
                compiled = torch.compile(fn)
                ms = time_ms(torch, compiled, inputs, opts.warmup, opts.runs)
                entry["compile_ms"], entry["compile"] = ms, rate(metric, units, ms)
        except Exception as e:  # one graph's failure is recorded, the others still run
            entry["error"] = f"{type(e).__name__}: {e}".splitlines()[0][:300]
        results["graphs"][name] = entry
        print(f"{name}: {entry}", flush=True)
        # Written after every graph: a timeout later (torch.compile is slow) keeps these.
        pathlib.Path(opts.out).write_text(json.dumps(results, indent=1))
        torch.cuda.empty_cache()
    return 0


def load_json(path):
    try:
        return json.loads(pathlib.Path(path).read_text()) if path else None
    except (OSError, ValueError) as e:
        print(f"(could not read {path}: {e})")
        return None


def egpu_values(data):
    """egpu bench's results as name -> value in the suite metric (None where absent)."""
    if isinstance(data, dict):
        data = data.get("rows", data.get("results", []))
    values = {}
    for r in data if isinstance(data, list) else []:
        if not isinstance(r, dict) or "name" not in r:
            continue
        values[r["name"]] = r.get("value")
    return values


def fmt(v):
    return "—" if v is None else (f"{v:.1f}" if v < 100 else f"{v:.0f}")


def table(opts):
    rows = []
    checks = pathlib.Path(opts.checks)
    if checks.exists():
        rows = [line.split("\t") for line in checks.read_text().splitlines() if line.strip()]
    counts = {}
    for row in rows:
        counts[row[1]] = counts.get(row[1], 0) + 1
    print("== correctness: egpu run --device cuda --check ==")
    print("  " + (", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "no checks ran"))
    bad = [row for row in rows if row[1] != "pass"]
    for row in bad[:MAX_LISTED]:
        print(f"  {row[1]:<8} {row[0]}  {row[2] if len(row) > 2 else ''}")
    if len(bad) > MAX_LISTED:
        print(f"  ... and {len(bad) - MAX_LISTED} more (see {checks})")
    torch_data = load_json(opts.torch) or {}
    egpu = egpu_values(load_json(opts.egpu)) if opts.egpu else {}
    graphs = torch_data.get("graphs", {})
    print(f"== benchmark suite ({torch_data.get('device', 'no torch results')}, torch {torch_data.get('torch', '—')}) ==")
    print(f"  {'graph':<11} {'metric':<8} {'egpu':>8} {'eager':>8} {'compile':>8}  note")
    for name in METRICS:
        t = graphs.get(name, {})
        note = t.get("error") or t.get("note", "")
        print(f"  {name:<11} {METRICS[name][0]:<8} {fmt(egpu.get(name)):>8} {fmt(t.get('eager')):>8} {fmt(t.get('compile')):>8}  {note}")
    return 0


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)
    b = sub.add_parser("bench")
    b.add_argument("--suite", default="benches/suite")
    b.add_argument("--out", default="torch.json")
    b.add_argument("--runs", type=int, default=20)
    b.add_argument("--warmup", type=int, default=5)
    b.add_argument("--no-compile", action="store_true")
    b.add_argument("--dry-run", action="store_true")
    t = sub.add_parser("table")
    t.add_argument("--checks", required=True)
    t.add_argument("--torch")
    t.add_argument("--egpu")
    opts = p.parse_args(argv)
    if opts.command == "bench" and opts.runs < 20:
        p.error("--runs: at least 20 (the median of fewer is noise)")
    return bench(opts) if opts.command == "bench" else table(opts)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
