#!/usr/bin/env python3
"""Writes the edge-value kernels of the integer/conversion isel family (helper INT):
each loads its operands from read buffers (filled by runtime/tests/amd_int.rs with edge
values), applies every operation of a family, and stores each result in its own slice of
an output buffer. Usage: ./gen.py (writes the .kir files next to it)."""
import os

# Elements per operand buffer: 4 workgroups of 64 lanes, one element per lane.
LANES = 256
HEAD = ("  grid [4, 1, 1] workgroup [64, 1, 1] subgroup 32\n{\n"
        "  g: i32 = workgroup_id.x\n  l: i32 = local_id.x\n  w: i32 = const 64\n"
        "  gw: i32 = mul g, w\n  i: i32 = add gw, l\n")
ALL = ["bool", "i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64", "f16", "bf16", "f32", "f64"]
BITS = {"bool": 1, "i8": 8, "u8": 8, "i16": 16, "u16": 16, "f16": 16, "bf16": 16,
        "i32": 32, "u32": 32, "f32": 32, "i64": 64, "u64": 64, "f64": 64}


def slot(lines, k):
    """The index of slice k: i + 256·k."""
    if k == 0:
        return "i"
    lines.append(f"  o{k}: i32 = const {LANES * k}")
    lines.append(f"  j{k}: i32 = add i, o{k}")
    return f"j{k}"


def int_ops(dt):
    ops = ["add", "sub", "mul", "max", "min", "and", "or", "xor", "shl", "shr"]
    un = ["neg", "not"]
    hi = ["mulhi"] if BITS[dt] == 64 else []
    n = len(ops) + len(un) + len(hi)
    out = [f"# {dt}: every binary and unary op of the 8/16/64-bit family on edge values.",
           f"kernel int_{dt}(a: global {dt}[256] read, b: global {dt}[256] read, "
           f"out: global {dt}[{LANES * n}] write, flags: global bool[{LANES * 3}] write)",
           HEAD.rstrip("\n")]
    out += [f"  x: {dt} = load a[i]", f"  y: {dt} = load b[i]"]
    k = 0
    for op in ops + hi:
        out.append(f"  r{k}: {dt} = {op} x, y")
        out.append(f"  store out[{slot(out, k)}] = r{k}")
        k += 1
    for op in un:
        out.append(f"  r{k}: {dt} = {op} x")
        out.append(f"  store out[{slot(out, k)}] = r{k}")
        k += 1
    for c, op in enumerate(["cmplt", "cmpeq", "cmpne"]):
        out.append(f"  c{c}: bool = {op} x, y")
        idx = "i" if c == 0 else f"j{c}"
        out.append(f"  store flags[{idx}] = c{c}")
    return "\n".join(out) + "\n}\n"


def divide(dt):
    return "\n".join([
        f"# {dt}: idiv and mod (b is never 0; MIN / -1 among the edge values).",
        f"kernel div_{dt}(a: global {dt}[256] read, b: global {dt}[256] read, "
        f"q: global {dt}[256] write, r: global {dt}[256] write)",
        HEAD.rstrip("\n"),
        f"  x: {dt} = load a[i]", f"  y: {dt} = load b[i]",
        f"  d: {dt} = idiv x, y", "  store q[i] = d",
        f"  m: {dt} = mod x, y", "  store r[i] = m",
    ]) + "\n}\n"


def casts(frm):
    outs = [t for t in ALL if t != frm]
    bits = [t for t in ALL if t != frm and BITS[t] == BITS[frm] and "bool" not in (t, frm)]
    params = [f"x: global {frm}[256] read"]
    params += [f"c_{t}: global {t}[256] write" for t in outs]
    params += [f"b_{t}: global {t}[256] write" for t in bits]
    out = [f"# cast (and bitcast) from {frm} to every other dtype, on edge values.",
           f"kernel cast_{frm}({', '.join(params)})", HEAD.rstrip("\n"), f"  v: {frm} = load x[i]"]
    for t in outs:
        out += [f"  c{t}: {t} = cast v", f"  store c_{t}[i] = c{t}"]
    for t in bits:
        out += [f"  b{t}: {t} = bitcast v", f"  store b_{t}[i] = b{t}"]
    return "\n".join(out) + "\n}\n"


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    files = {}
    for dt in ["i8", "i16", "u8", "u16", "i64", "u64"]:
        files[f"int_{dt}.kir"] = int_ops(dt)
    for dt in ["i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64"]:
        files[f"div_{dt}.kir"] = divide(dt)
    for dt in ALL:
        files[f"cast_{dt}.kir"] = casts(dt)
    for name, text in files.items():
        with open(os.path.join(here, name), "w") as f:
            f.write(text)


main()
