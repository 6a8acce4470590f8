#!/usr/bin/env python3
"""igcam's engine vs PyTorch CPU: forward, and forward + backward to the target layer.

    python3 tools/bench_vs_pytorch.py [--models resnet50,vgg16,efficientnet_lite0]
        [--batches 1,16] [--threads 1,2] [--rounds 3] [--runs 5]
        [--igcam .build/release/igcam] [--model-dir .build/models]
        [--backend fast] [--memory] [--json OUT]

For every (model, batch, threads) it runs, `--rounds` times, interleaved:
`igcam bench --json --model M --batch N --threads T --runs R` (one warm-up,
R timed runs, its own median), then the same in PyTorch in this process
(torch.set_num_threads(T); one warm-up, R timed runs):

- forward: `model(x)` under `torch.inference_mode()`;
- forward+backward: forward with a hook on the target layer's module output,
  then `torch.autograd.grad(sum_n logits[n, top1], act)` (to the layer only).

Reported: the median over rounds of each side's per-round median, the ratio
igcam / PyTorch, and GFLOP/s (conv + linear multiply-adds x 2, counted with
hooks on the PyTorch model) against the ceilings of BUILDING-BLOCKS.md.
`--memory` also measures peak RSS (`/usr/bin/time -v`) of `igcam bench` on
VGG16 batch 16 forward+backward to features.29, and of the same PyTorch work.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

# libgomp (oneDNN's and PyTorch's OpenMP) reads its wait policy once, at load:
# set it before torch is imported and for the igcam subprocesses. On a shared,
# loaded machine the default (spinning) workers take the cores the working
# threads need; passive is 3-9x faster here for both. --wait-policy keeps
# the choice explicit; "default" leaves the environment alone.
if "--wait-policy=default" not in sys.argv:
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import igcommon  # noqa: E402

REPO = igcommon.REPO
PHOTO = os.path.join(REPO, "assets", "photos", "cat.png")
EFFNET_ONNX = os.path.join(REPO, "assets", "models", "efficientnet-lite0.onnx")
CEILING_GFLOPS = {1: 129.0, 2: 257.0}  # oneDNN blocked 3x3 conv, BUILDING-BLOCKS.md


def model_files(name, model_dir):
    if name in ("efficientnet_lite0", "efficientnet-lite0"):
        return EFFNET_ONNX, os.path.join(REPO, "assets", "models", "efficientnet-lite0.json")
    return os.path.join(model_dir, name + ".onnx"), os.path.join(model_dir, name + ".json")


def default_module(name, sidecar):
    """The PyTorch module path of the model's default layer."""
    if name in ("efficientnet_lite0", "efficientnet-lite0"):
        return igcommon.EFFNET_HEAD_MODULE
    return sidecar["default_layer_module"]


def module_by_path(model, path):
    m = model
    for part in path.split("."):
        m = m[int(part)] if part.isdigit() else getattr(m, part)
    return m


def count_gflop(model, size=224):
    """Multiply-adds x 2 of every Conv2d and Linear for one image."""
    total = [0]

    def hook(m, inp, out):
        if isinstance(m, nn.Conv2d):
            k = m.kernel_size[0] * m.kernel_size[1] * (m.in_channels // m.groups)
            total[0] += 2 * out.numel() * k
        elif isinstance(m, nn.Linear):
            total[0] += 2 * out.numel() * m.in_features
    hs = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    with torch.inference_mode():
        model(torch.zeros(1, 3, size, size))
    for h in hs:
        h.remove()
    return total[0] / 1e9


def time_runs(fn, runs):
    fn()
    ts = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        ts.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(ts)


def torch_round(model, layer_module, x, runs):
    with torch.inference_mode():
        top = model(x[:1]).argmax(1).item()
    fwd = time_runs(lambda: _forward(model, x), runs)
    fb = time_runs(lambda: _forward_backward(model, layer_module, x, top), runs)
    return fwd, fb


def _forward(model, x):
    with torch.inference_mode():
        model(x)


def _forward_backward(model, layer_module, x, top):
    box = {}

    def hook(m, inp, out):
        box["act"] = out
    h = layer_module.register_forward_hook(hook)
    try:
        logits = model(x)
        torch.autograd.grad(logits[:, top].sum(), box["act"])
    finally:
        h.remove()


def igcam_round(igcam, onnx_path, batch, threads, runs, backend):
    cmd = [igcam, "bench", "--json", "--model", onnx_path, "--batch", str(batch), "--threads", str(threads),
           "--runs", str(runs), "--image", PHOTO, "--backend", backend]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    d = json.loads(out)
    return d["forward"]["median_ms"], d["forward_backward"]["median_ms"]


def peak_rss_mb(cmd):
    r = subprocess.run(["/usr/bin/time", "-v"] + cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit("failed: %s\n%s" % (" ".join(cmd), r.stderr[-2000:]))
    for line in r.stderr.splitlines():
        if "Maximum resident set size" in line:
            return int(line.split(":")[1]) / 1024.0
    raise SystemExit("no max RSS in /usr/bin/time output")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--models", default="resnet50,vgg16,efficientnet_lite0")
    ap.add_argument("--batches", default="1,16")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--igcam", default=os.path.join(REPO, ".build", "release", "igcam"))
    ap.add_argument("--model-dir", default=os.path.join(REPO, ".build", "models"))
    ap.add_argument("--backend", default="fast")
    ap.add_argument("--memory", action="store_true")
    ap.add_argument("--memory-only", action="store_true")
    ap.add_argument("--wait-policy", choices=["passive", "default"], default="passive",
                    help="OMP_WAIT_POLICY for both sides (pass as --wait-policy=default to keep libgomp's spinning)")
    ap.add_argument("--json", help="write all results here")
    a = ap.parse_args()

    rows = []
    results = {"rows": rows, "loadavg_start": os.getloadavg(), "OMP_WAIT_POLICY": os.environ.get("OMP_WAIT_POLICY")}
    if not a.memory_only:
        for name in a.models.split(","):
            onnx_path, sidecar_path = model_files(name, a.model_dir)
            sidecar = igcommon.load_json(sidecar_path)
            model = igcommon.build_model(name)
            for p in model.parameters():
                p.requires_grad_(True)
            layer = default_module(name, sidecar)
            layer_module = module_by_path(model, layer)
            gflop = count_gflop(model)
            x1 = igcommon.preprocess(PHOTO, sidecar)
            for batch in map(int, a.batches.split(",")):
                x = x1.expand(batch, -1, -1, -1).contiguous()
                for t in map(int, a.threads.split(",")):
                    torch.set_num_threads(t)
                    ig_f, ig_fb, pt_f, pt_fb = [], [], [], []
                    for _ in range(a.rounds):
                        f, fb = igcam_round(a.igcam, onnx_path, batch, t, a.runs, a.backend)
                        ig_f.append(f); ig_fb.append(fb)
                        f, fb = torch_round(model, layer_module, x, a.runs)
                        pt_f.append(f); pt_fb.append(fb)
                    med = statistics.median
                    row = {"model": name, "layer": layer, "batch": batch, "threads": t, "gflop_per_image": gflop,
                           "igcam_forward_ms": med(ig_f), "torch_forward_ms": med(pt_f),
                           "igcam_fb_ms": med(ig_fb), "torch_fb_ms": med(pt_fb),
                           "rounds": {"igcam_forward": ig_f, "torch_forward": pt_f, "igcam_fb": ig_fb, "torch_fb": pt_fb},
                           "loadavg": os.getloadavg()[0]}
                    row["forward_ratio"] = row["igcam_forward_ms"] / row["torch_forward_ms"]
                    row["fb_ratio"] = row["igcam_fb_ms"] / row["torch_fb_ms"]
                    row["igcam_fb_over_forward"] = row["igcam_fb_ms"] / row["igcam_forward_ms"]
                    row["igcam_gflops"] = gflop * batch / (row["igcam_forward_ms"] / 1e3)
                    row["torch_gflops"] = gflop * batch / (row["torch_forward_ms"] / 1e3)
                    rows.append(row)
                    print("%-18s b%-2d t%d  fwd igcam %8.1f ms  torch %8.1f ms  ratio %.2f | f+b igcam %8.1f  torch %8.1f  "
                          "ratio %.2f | f+b/f %.2f | GFLOP/s igcam %5.1f torch %5.1f (ceiling %d) load %.1f" % (
                              name, batch, t, row["igcam_forward_ms"], row["torch_forward_ms"], row["forward_ratio"],
                              row["igcam_fb_ms"], row["torch_fb_ms"], row["fb_ratio"], row["igcam_fb_over_forward"],
                              row["igcam_gflops"], row["torch_gflops"], CEILING_GFLOPS.get(t, 0), row["loadavg"]),
                          flush=True)
    if a.memory or a.memory_only:
        onnx_path, _ = model_files("vgg16", a.model_dir)
        ig = peak_rss_mb([a.igcam, "bench", "--json", "--model", onnx_path, "--batch", "16", "--threads", "2",
                          "--runs", "1", "--image", PHOTO, "--backend", a.backend])
        script = ("import sys,torch;sys.path.insert(0,%r);import igcommon,bench_vs_pytorch as b;"
                  "m=igcommon.build_model('vgg16');x=torch.randn(16,3,224,224);"
                  "b._forward(m,x);b._forward_backward(m,m.features[29],x,0);b._forward_backward(m,m.features[29],x,0)"
                  % os.path.dirname(os.path.abspath(__file__)))
        pt = peak_rss_mb([sys.executable, "-c", script])
        results["memory"] = {"igcam_vgg16_b16_peak_rss_mb": ig, "torch_vgg16_b16_peak_rss_mb": pt}
        print("peak RSS, VGG16 batch 16 forward + forward+backward to features.29: igcam %.0f MB, PyTorch %.0f MB" % (ig, pt))
    results["loadavg_end"] = os.getloadavg()
    if a.json:
        with open(a.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
