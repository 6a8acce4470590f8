#!/usr/bin/env python3
"""Milliseconds per explanation: igcam's methods vs PyTorch CPU peers.

    python3 tools/bench_methods.py [--models efficientnet_lite0,resnet50,vgg16]
        [--threads 2] [--runs 3] [--steps 20] [--slow-channels 64]
        [--igcam .build/release/igcam] [--model-dir .build/models] [--json OUT]

One 224x224 image (assets/photos/cat.png), the model's default layer
(EfficientNet-Lite0 `_head_act`, ResNet-50 `layer4.2`, VGG16 `features.29`).

- igcam: `igcam bench --json --method NAME --steps m --class TOP1 --runs R` per method
  (one warm-up, median of R; Score-CAM and Ablation-CAM with 1 run), and
  `igcam bench` for a plain batch-1 forward.
- PyTorch: a plain forward (inference_mode); jacobgil's pytorch-grad-cam
  (`pip install --no-deps grad-cam` + cv2, ttach, scikit-learn) for every
  method it has; captum's LayerGradCam; and a batched Integrated Grad-CAM
  (m path points in one batch, black baseline, figure reading), when installed.
- pytorch-grad-cam's Score-CAM and Ablation-CAM cost one forward per channel:
  they are run on the first `--slow-channels` channels only (Score-CAM through
  a reshape_transform that keeps those channels, Ablation-CAM with
  ratio_channels_to_ablate) and scaled by channels / slow-channels; the
  table says "extrapolated".
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import types

# libgomp (oneDNN's and PyTorch's OpenMP) reads its wait policy once, at load:
# set it before torch is imported and for the igcam subprocesses. On a shared,
# loaded machine the default (spinning) workers take the cores the working
# threads need; passive is 3-9x faster here for both. --wait-policy keeps
# the choice explicit; "default" leaves the environment alone.
if "--wait-policy=default" not in sys.argv:
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import igcommon  # noqa: E402
from bench_vs_pytorch import PHOTO, default_module, model_files, module_by_path  # noqa: E402

IG_METHODS = ["grad-cam", "grad-cam++", "xgrad-cam", "hires-cam", "layer-cam", "integrated-grad-cam",
              "score-cam", "ablation-cam"]
SLOW = {"score-cam", "ablation-cam"}
GC_CLASSES = {"grad-cam": "GradCAM", "grad-cam++": "GradCAMPlusPlus", "xgrad-cam": "XGradCAM",
              "hires-cam": "HiResCAM", "layer-cam": "LayerCAM", "score-cam": "ScoreCAM",
              "ablation-cam": "AblationCAM"}


def timed(fn, runs, warmup=True):
    if warmup:
        fn()
    ts = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        ts.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(ts)


def igcam(args, onnx_path, layer, extra, runs):
    cmd = [args.igcam, "bench", "--json", "--model", onnx_path, "--threads", str(args.threads), "--runs", str(runs),
           "--image", PHOTO, "--layer", layer] + extra
    return json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)


def import_gradcam():
    for n in ("torchvision._meta_registrations", "torchvision._autograd_registrations"):
        sys.modules.setdefault(n, types.ModuleType(n))
    try:
        import pytorch_grad_cam
        from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget
        return pytorch_grad_cam, ClassifierOutputTarget
    except Exception as e:  # noqa: BLE001
        print("pytorch-grad-cam not available: %s" % e)
        return None, None


def ig_cam_torch(model, layer_module, x, cls, m):
    """Batched Integrated Grad-CAM (figure reading, black baseline in pixel space), written to be
    as fast as PyTorch allows: no weight gradients, and autograd records only the ops after the
    target layer (the hook hands the head a detached activation that requires grad)."""
    box = {}

    def hook(mod, i, o):
        o = o.detach().requires_grad_(True)
        box["a"] = o
        return o
    flags = [p.requires_grad for p in model.parameters()]
    for p in model.parameters():
        p.requires_grad_(False)
    h = layer_module.register_forward_hook(hook)
    try:
        base = BLACK[0]
        with torch.no_grad():
            model(torch.zeros_like(x) + base)
            a0 = box["a"].detach().clone()
        alphas = torch.arange(1, m + 1, dtype=torch.float32).view(m, 1, 1, 1) / m
        logits = model(base + alphas * (x - base))
        g, = torch.autograd.grad(logits[:, cls].sum(), box["a"])
        w = g.mean(dim=(2, 3), keepdim=True)
        return torch.relu(((box["a"].detach() - a0) * w).sum(1)).sum(0)
    finally:
        h.remove()
        for p, f in zip(model.parameters(), flags):
            p.requires_grad_(f)


BLACK = [None]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--models", default="efficientnet_lite0,resnet50,vgg16")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--slow-channels", type=int, default=64)
    ap.add_argument("--methods", default=",".join(IG_METHODS))
    ap.add_argument("--no-peers", action="store_true")
    ap.add_argument("--igcam", default=os.path.join(igcommon.REPO, ".build", "release", "igcam"))
    ap.add_argument("--model-dir", default=os.path.join(igcommon.REPO, ".build", "models"))
    ap.add_argument("--wait-policy", choices=["passive", "default"], default="passive",
                    help="OMP_WAIT_POLICY for both sides (pass as --wait-policy=default to keep libgomp's spinning)")
    ap.add_argument("--json")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    gc, Target = (None, None) if a.no_peers else import_gradcam()
    try:
        from captum.attr import LayerGradCam
    except Exception:  # noqa: BLE001
        LayerGradCam = None
    out = {"OMP_WAIT_POLICY": os.environ.get("OMP_WAIT_POLICY"), "threads": a.threads, "steps": a.steps, "loadavg_start": os.getloadavg(), "models": {}}
    for name in a.models.split(","):
        onnx_path, sidecar_path = model_files(name, a.model_dir)
        sidecar = igcommon.load_json(sidecar_path)
        layer = default_module(name, sidecar)
        model = igcommon.build_model(name)
        lm = module_by_path(model, layer)
        x = igcommon.preprocess(PHOTO, sidecar)
        BLACK[0] = igcommon.normalise(torch.zeros(1, 3, 1, 1), sidecar["mean"], sidecar["std"])
        with torch.inference_mode():
            cls = int(model(x).argmax(1))
            channels = None
        box = {}
        hh = lm.register_forward_hook(lambda mod, i, o: box.__setitem__("a", o))
        with torch.inference_mode():
            model(x)
        hh.remove()
        channels = box["a"].shape[1]
        res = {"layer": layer, "channels": channels, "igcam": {}, "pytorch_grad_cam": {}, "extrapolated": {}}
        d = igcam(a, onnx_path, layer, [], a.runs)
        res["igcam"]["forward"] = d["forward"]["median_ms"]
        res["igcam"]["forward_backward"] = d["forward_backward"]["median_ms"]

        def fwd():
            with torch.inference_mode():
                model(x)
        res["torch_forward"] = timed(fwd, a.runs)
        for meth in a.methods.split(","):
            # The class is given (PyTorch's top-1, the same network), as pytorch-grad-cam's targets are:
            # the time is the explanation alone, not a top-1 forward before it.
            d = igcam(a, onnx_path, layer, ["--method", meth, "--steps", str(a.steps), "--class", str(cls)],
                      1 if meth in SLOW else a.runs)
            res["igcam"][meth] = d[meth]["median_ms"]
            if gc is not None and meth in GC_CLASSES:
                cls_ = getattr(gc, GC_CLASSES[meth])
                kw, scale = {}, 1.0
                if meth in SLOW and a.slow_channels < channels:
                    scale = channels / a.slow_channels
                    if meth == "score-cam":
                        k = a.slow_channels
                        kw["reshape_transform"] = lambda t, k=k: t[:, :k]
                    else:
                        kw["ratio_channels_to_ablate"] = a.slow_channels / channels
                    res["extrapolated"][meth] = "from %d of %d channels, x%.1f" % (a.slow_channels, channels, scale)
                cam = cls_(model=model, target_layers=[lm], **kw)
                tg = [Target(cls)]
                import contextlib, io
                with contextlib.redirect_stderr(io.StringIO()):
                    t = timed(lambda: cam(input_tensor=x, targets=tg), 1 if meth in SLOW else a.runs, warmup=meth not in SLOW)
                res["pytorch_grad_cam"][meth] = t * scale
            if meth == "grad-cam" and LayerGradCam is not None:
                lgc = LayerGradCam(model, lm)
                res["captum_grad_cam"] = timed(lambda: lgc.attribute(x, target=cls), a.runs)
            if meth == "integrated-grad-cam":
                res["torch_igcam_batched"] = timed(lambda: ig_cam_torch(model, lm, x, cls, a.steps), a.runs)
            print("%-18s %-20s igcam %9.1f ms   pytorch-grad-cam %s   (igcam forward %.1f, torch forward %.1f)" % (
                name, meth, res["igcam"][meth],
                "%9.1f ms" % res["pytorch_grad_cam"][meth] if meth in res["pytorch_grad_cam"] else "      n/a",
                res["igcam"]["forward"], res["torch_forward"]), flush=True)
        if "captum_grad_cam" in res:
            print("%-18s captum LayerGradCam %9.1f ms" % (name, res["captum_grad_cam"]))
        if "torch_igcam_batched" in res:
            print("%-18s PyTorch batched IG-CAM m=%d %9.1f ms" % (name, a.steps, res["torch_igcam_batched"]))
        res["loadavg"] = os.getloadavg()[0]
        out["models"][name] = res
    out["loadavg_end"] = os.getloadavg()
    if a.json:
        with open(a.json, "w") as f:
            json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
