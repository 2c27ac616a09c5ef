#!/usr/bin/env python3
"""Compile time and peak memory of generated graphs as they grow.

For each family (the same ones as tests/src/generated.rs) and N in 10, 100, 1000, 10000,
writes the graph as .egir text, checks it with `egpu check`, compiles it once under
`/usr/bin/time -v` (wall time and peak RSS, with a timeout), and, when that single compile
is quick, takes the median of `egpu bench --compile-only` as the compile time. Prints a
markdown table and, per family, the growth exponent: the least-squares slope of log(time)
against log(N). A size that fails or runs past the timeout is reported as such, and
larger sizes of that family are skipped.

Usage: scripts/scaling.py [--egpu target/release/egpu] [--sizes 10,100,1000,10000]
                          [--timeout 60] [--families chain,softmax,...] [--keep DIR]
                          [--target gfx1100|sm_80|...] (sm_*: the PTX writer is timed too)
Build first: cargo build --release
"""

import argparse
import math
import os
import re
import subprocess
import sys
import tempfile
import time

TIMEOUT_S = 60
# A single compile below this is also benchmarked (bench runs each graph at least 20 times).
# The single compile's wall time also counts process start, parsing, printing and freeing
# (about half of it for a 2 s compile), so a family measured both ways would show a false
# jump: only a compile too slow to repeat 20 times within the timeout falls back to it.
BENCH_BELOW_S = 5.0


def chained(header, first, n, block):
    """A graph `header` whose body is `block(i, prev)` n times, each block's last value the
    next one's input (`first` to begin with); `block` returns (lines, last value)."""
    lines = [header]
    prev = first
    for i in range(n):
        body, prev = block(i, prev)
        lines += [f"  {line}" for line in body]
    lines += [f"  return y={prev}", "}"]
    return lines


def chain(n):
    """y <- y*0.5 + x, alternately mul and add, n ops."""
    def block(i, prev):
        op = f"mul({prev}, half)" if i % 2 == 0 else f"add({prev}, x)"
        return [f"t{i} = {op}"], f"t{i}"
    lines = chained("graph chain(x: f32[2, 4]) {", "x", n, block)
    lines.insert(1, "  half = const(0.5, dtype=f32, shape=[2, 4])")
    return lines


def softmax(n):
    return chained(
        "graph softmax_chain(x: f32[4, 16]) {", "x", n,
        lambda i, prev: ([f"s{i} = softmax({prev}, axis=-1)"], f"s{i}"),
    )


def layernorm_gelu(n):
    return chained(
        "graph layernorm_gelu_chain(x: f32[4, 16]) {", "x", n,
        lambda i, prev: ([f"n{i} = layernorm({prev}, eps=1e-5)", f"g{i} = gelu(n{i})"], f"g{i}"),
    )


def outputs(n):
    lines = ["graph outputs(x: f32[2, 4]) {"]
    for i in range(n):
        lines.append(f"  out{i} = mul(x, {i + 1})")
    lines += ["  return " + ", ".join(f"out{i}" for i in range(n)), "}"]
    return lines


def branches(n):
    params = ", ".join(f"x{i}: f32[4]" for i in range(n))
    lines = [f"graph branches({params}) {{"]
    for i in range(n):
        lines.append(f"  s{i} = mul(x{i}, x{i})")
        lines.append(f"  out{i} = add(s{i}, x{i})")
    lines += ["  return " + ", ".join(f"out{i}" for i in range(n)), "}"]
    return lines


def mlp(n):
    params = ", ".join(["x: f32[4, 8]"] + [f"w{i}: f32[8, 8]" for i in range(n)])
    return chained(
        f"graph mlp({params}) {{", "x", n,
        lambda i, prev: ([f"h{i} = relu(matmul({prev}, w{i}))"], f"h{i}"),
    )


FAMILIES = {
    "chain": chain,
    "softmax": softmax,
    "layernorm_gelu": layernorm_gelu,
    "outputs": outputs,
    "branches": branches,
    "mlp": mlp,
}


def run(cmd, timeout):
    """(returncode or None on timeout, stdout, stderr, seconds)."""
    start = time.monotonic()
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, "", "", time.monotonic() - start
    return p.returncode, p.stdout, p.stderr, time.monotonic() - start


def first_line(text):
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[0][:120] if lines else ""


def measure(egpu, path, timeout, target):
    """{'ms': float, 'mib': float, 'how': str} or {'error': str}."""
    rc, _, err, _ = run([egpu, "check", path], timeout)
    if rc is None:
        return {"error": f"check > {timeout} s"}
    if rc != 0:
        return {"error": "check failed: " + first_line(err)}
    # For an NVIDIA target the PTX is written too (graph -> kernel IR -> PTX; no ptxas).
    emit = "ptx" if target.startswith("sm_") else "graph"
    cmd = ["/usr/bin/time", "-v", egpu, "compile", path, "--target", target, "--emit", emit]
    rc, _, err, seconds = run(cmd, timeout)
    if rc is None:
        return {"error": f"> {timeout} s"}
    if rc != 0:
        return {"error": f"compile failed (exit {rc}): " + first_line(err)}
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", err)
    result = {"ms": seconds * 1e3, "mib": int(rss.group(1)) / 1024 if rss else float("nan")}
    result["how"] = "single compile (wall)"
    if seconds < BENCH_BELOW_S:
        bench = [egpu, "bench", "--compile-only", "--target", target, path]
        rc, out, err, _ = run(bench, timeout * 2)
        row = out.strip().splitlines()[-1].split() if rc == 0 and out.strip() else []
        if len(row) >= 3:
            result["ms"] = float(row[2])
            result["how"] = "bench median"
    return result


def exponent(points):
    """Least-squares slope of log(ms) against log(N), or None with fewer than 2 points."""
    pts = [(math.log(n), math.log(ms)) for n, ms in points if ms > 0]
    if len(pts) < 2:
        return None
    mx = sum(x for x, _ in pts) / len(pts)
    my = sum(y for _, y in pts) / len(pts)
    sxx = sum((x - mx) ** 2 for x, _ in pts)
    sxy = sum((x - mx) * (y - my) for x, y in pts)
    return sxy / sxx if sxx else None


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--egpu", default="target/release/egpu")
    ap.add_argument("--sizes", default="10,100,1000,10000")
    ap.add_argument("--target", default="gfx1100", help="sm_* also times the PTX writer")
    ap.add_argument("--timeout", type=float, default=TIMEOUT_S)
    ap.add_argument("--families", default=",".join(FAMILIES))
    ap.add_argument("--keep", help="write the .egir files here instead of a temporary folder")
    args = ap.parse_args()
    if not os.access(args.egpu, os.X_OK):
        sys.exit(f"{args.egpu} not found: build it with cargo build --release")
    sizes = [int(s) for s in args.sizes.split(",")]
    families = args.families.split(",")
    unknown = [f for f in families if f not in FAMILIES]
    if unknown:
        sys.exit(f"unknown families: {', '.join(unknown)} (known: {', '.join(FAMILIES)})")
    folder = args.keep or tempfile.mkdtemp(prefix="egpu-scaling-")
    os.makedirs(folder, exist_ok=True)
    print("| family | N | compile ms | peak MiB | how |")
    print("|---|---:|---:|---:|---|")
    fits = {}
    for family in families:
        points = []
        failed = None
        for n in sizes:
            if failed:
                print(f"| {family} | {n} | skipped ({failed} at a smaller N) | | |", flush=True)
                continue
            path = os.path.join(folder, f"{family}_{n}.egir")
            with open(path, "w") as f:
                f.write("\n".join(FAMILIES[family](n)) + "\n")
            r = measure(args.egpu, path, args.timeout, args.target)
            if "error" in r:
                failed = r["error"]
                print(f"| {family} | {n} | {r['error']} | | |", flush=True)
                continue
            points.append((n, r["ms"]))
            print(f"| {family} | {n} | {r['ms']:.1f} | {r['mib']:.1f} | {r['how']} |", flush=True)
        fits[family] = exponent(points)
    print()
    print("| family | growth exponent (time ~ N^k) |")
    print("|---|---:|")
    for family, k in fits.items():
        print(f"| {family} | {'n/a' if k is None else f'{k:.2f}'} |")


if __name__ == "__main__":
    main()
