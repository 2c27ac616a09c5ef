#!/usr/bin/env python3
"""Cross-checks egpu's reference interpreter against PyTorch on a GPU.

For every example, `egpu eval --output-dir DIR/NAME` has written the inputs it used
(DIR/NAME/inputs/*.npy) and its outputs (DIR/NAME/*.npy). This script recomputes each example
with PyTorch's own operators (F.conv2d, F.layer_norm, F.scaled_dot_product_attention, ...) in
float64 on the GPU, an implementation independent of ours, and prints the largest error.

usage: crosscheck.py DIR
"""
import math
import pathlib
import sys

import numpy as np
import torch
import torch.nn.functional as F

DEV = "cuda" if torch.cuda.is_available() else "cpu"


def t(a):
    return torch.from_numpy(np.asarray(a, dtype=np.float64)).to(DEV)


def reference(name, i):
    """The example's outputs computed by PyTorch from inputs `i` (float64 tensors)."""
    if name == "add":
        return {"c": i["a"] + i["b"]}
    if name == "gelu_chain":
        return {"y": F.gelu(i["x"] * i["w"] + i["b"], approximate="tanh")}
    if name == "sum_rows":
        return {"y": i["x"].sum(dim=1, keepdim=True)}
    if name == "sum_all":
        return {"y": i["x"].sum().reshape(1)}
    if name == "softmax":
        return {"y": torch.softmax(i["x"], dim=-1)}
    if name == "layernorm":
        return {"y": F.layer_norm(i["x"], (i["x"].shape[-1],), i["w"], i["b"], eps=1e-5)}
    if name in ("matmul_f32", "matmul_f16"):
        return {"c": i["a"] @ i["b"]}
    if name == "mlp":
        h = torch.relu(i["x"] @ i["w1"] + i["b1"])
        return {"y": torch.log_softmax(h @ i["w2"] + i["b2"], dim=-1)}
    if name == "conv2d":
        return {"y": F.conv2d(i["x"], i["w"], i["b"], stride=1, padding=1)}
    if name == "attention":
        return {"y": F.scaled_dot_product_attention(i["q"], i["k"], i["v"], is_causal=True)}
    raise KeyError(name)


def main(root):
    worst = 0.0
    rows = []
    for ex in sorted(p for p in pathlib.Path(root).iterdir() if p.is_dir()):
        inputs = {f.stem: t(np.load(f)) for f in (ex / "inputs").glob("*.npy")}
        for out, ref in reference(ex.name, inputs).items():
            ours = t(np.load(ex / f"{out}.npy"))
            assert ours.shape == ref.shape, (ex.name, ours.shape, ref.shape)
            scale = max(ref.abs().max().item(), 1e-30)
            err = (ours - ref).abs().max().item() / scale
            worst = max(worst, err)
            rows.append((ex.name, out, tuple(ours.shape), err))
    print(f"device: {torch.cuda.get_device_name(0) if DEV == 'cuda' else 'cpu'}, torch {torch.__version__}")
    print(f"{'example':<12} {'output':<6} {'shape':<20} max |ours - torch| / max |torch|")
    for name, out, shape, err in rows:
        print(f"{name:<12} {out:<6} {str(shape):<20} {err:.3e}")
    # f32 results rounded once per op: anything above ~1e-5 relative is a real disagreement.
    ok = worst < 1e-5 and not math.isnan(worst)
    print(f"{'PASS' if ok else 'FAIL'}: worst relative error {worst:.3e} over {len(rows)} outputs")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
