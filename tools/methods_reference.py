#!/usr/bin/env python3
"""Reference implementations of every CAM method of docs/METHODS.md, directly in PyTorch.

    python3 tools/methods_reference.py [--arch efficientnet_lite0] \\
        [--sidecar assets/models/efficientnet-lite0.json] [--images assets/photos/cat.png] \\
        [--layers _blocks.10,_head_act] [--m 8] [--class N] [--out Tests/Fixtures/methods/effnet] \\
        [--no-crosscheck] [--methods gradcam,...] [--ablation-head] [--class-rank R]

For each image and layer (a PyTorch module path; its output is the target
activation A, 1 x K x h x w) and class c (default: top-1; --class-rank R: the R-th highest logit), writes the RAW map
at layer resolution (h x w, float32, before any upsampling or normalisation):

  <method>_<layer>_<img>.npy      e.g. gradcam__blocks.10_cat.npy, igcam-figure-m8__head_act_cat.npy
  weights_<method>_<layer>_<img>.npy   the K channel weights, for scorecam and ablationcam
  meta.json                       class, logits, definitions, m, files

Methods (y = logit of c, G = dy/dA, sums over channels k and positions ij):
  gradcam          ReLU(sum_k mean_ij(G_k) A_k)
  gradcampp        alpha = G^2 / (2 G^2 + sum_ab(A_k) G^3), 0 where the denominator is 0
                   (docs/METHODS.md: eq. 19 with Y = exp(S)); w_k = sum_ij alpha ReLU(G); ReLU(sum_k w_k A_k)
  xgradcam         w_k = sum_ij (A_k / sum_ab A_k) G_k (w_k = 0 when sum_ab A_k == 0); ReLU(sum_k w_k A_k)
  hirescam         ReLU(sum_k G_k * A_k)
  layercam         ReLU(sum_k ReLU(G_k) * A_k)
  scorecam         H_k = minmax(Up(A_k)), Up = bilinear (align_corners=False) to the input size;
                   the NORMALISED input tensor is multiplied by H_k; score_k = softmax probability of c;
                   no baseline subtraction, no softmax over channels; a constant channel
                   (max == min) gets score_k = 0 (skipped, as the Score-CAM authors' code does);
                   ReLU(sum_k score_k A_k)
  ablationcam      w_k = (y - y_k) / y with channel k of A set to 0 (the rest of the network re-run);
                   ReLU(sum_k w_k A_k)
  igcam-figure-mM  sum_{s=1..M} ReLU(sum_k (A_k(x_s) - A_k(x')) * mean_ij G_k(x_s))
  igcam-authors-code-mM  sum_{s=0..M-1} ReLU(sum_k A_k(x_s) * mean_ij G_k(x_s))
                   x_s = x' + (s/M)(x - x'), x' = black image: zero pixels before normalisation,
                   i.e. -mean/std after it; no 1/M factor (raw sums).
--methods limits the maps made (default all; see METHODS below). --ablation-head makes
Ablation-CAM run only the layers after the target layer on a batch of ablated copies of A
(torchvision VGG `features.N`; exact, and checked against full re-runs on 4 channels).
Fixtures: M = 8 and also igcam-authors-code-m1 (which must equal gradcam of the black image;
the script checks that).
"""
import argparse
import os
import sys
import types

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import igcommon as C  # noqa: E402


class Probe:
    """Runs the model capturing (and optionally replacing) one module's output."""

    def __init__(self, model, layer):
        modules = dict(model.named_modules())
        if layer not in modules:
            raise SystemExit("no module %r in the model" % layer)
        self.model, self.module, self.replace, self.act = model, modules[layer], None, None
        self.module.register_forward_hook(self._hook)

    def _hook(self, _m, _inp, out):
        if self.replace is not None:
            out = self.replace(out)
        self.act = out
        return out.clone()  # in-place ops downstream must not change the recorded activation

    def forward(self, x):
        """logits, A (detached)."""
        with torch.no_grad():
            logits = self.model(x)
        return logits, self.act

    def forward_backward(self, x, c):
        """logits, A, dy_c/dA for a batch (samples are independent in eval mode)."""
        x = x.detach()
        logits = self.model(x)
        a = self.act
        (g,) = torch.autograd.grad(logits[:, c].sum(), a)
        return logits.detach(), a.detach(), g.detach()


# ------------------------------------------------------------ gradient methods

def gradcam(a, g):
    return F.relu((g.mean((2, 3), keepdim=True) * a).sum(1))[0]


def gradcampp(a, g):
    s = a.sum((2, 3), keepdim=True)
    g2, g3 = g * g, g * g * g
    den = 2 * g2 + s * g3
    alpha = torch.where(den != 0, g2 / torch.where(den != 0, den, torch.ones_like(den)), torch.zeros_like(den))
    w = (alpha * F.relu(g)).sum((2, 3), keepdim=True)
    return F.relu((w * a).sum(1))[0]


def xgradcam(a, g):
    s = a.sum((2, 3), keepdim=True)
    safe = torch.where(s != 0, s, torch.ones_like(s))
    w = torch.where(s != 0, (a / safe * g).sum((2, 3), keepdim=True), torch.zeros_like(s))
    return F.relu((w * a).sum(1))[0]


def hirescam(a, g):
    return F.relu((g * a).sum(1))[0]


def layercam(a, g):
    return F.relu((F.relu(g) * a).sum(1))[0]


# ------------------------------------------------------------ perturbation methods

def scorecam(probe, x, a, c, batch=64):
    k_count = a.shape[1]
    up = F.interpolate(a, size=x.shape[2:], mode="bilinear", align_corners=False)[0]  # K x H x W
    lo = up.flatten(1).min(1).values.view(-1, 1, 1)
    hi = up.flatten(1).max(1).values.view(-1, 1, 1)
    const = (hi == lo).view(-1)
    h = torch.where(hi > lo, (up - lo) / torch.where(hi > lo, hi - lo, torch.ones_like(hi)), torch.zeros_like(up))
    scores = torch.zeros(k_count)
    for s in range(0, k_count, batch):
        xs = x * h[s:s + batch].unsqueeze(1)  # B x 3 x H x W
        logits, _ = probe.forward(xs)
        scores[s:s + batch] = torch.softmax(logits, 1)[:, c]
    scores[const] = 0
    return F.relu((scores.view(1, -1, 1, 1) * a).sum(1))[0], scores


def ablated_logits_full(probe, x, a, c, channels):
    """y_k for the given channels: channel k of A zeroed, the whole network re-run."""
    k_count = a.shape[1]
    n = len(channels)
    mask = torch.ones(n, k_count, 1, 1)
    mask[torch.arange(n), torch.tensor(channels)] = 0
    probe.replace = lambda out, mask=mask: out * mask
    try:
        logits, _ = probe.forward(x.expand(n, -1, -1, -1))
    finally:
        probe.replace = None
    return logits[:, c]


def head_after(model, layer):
    """The part of the network after `layer`, as a function of its output A, or None.

    Known for torchvision VGG at `features.N` (features[N+1:], avgpool, flatten,
    classifier): exactly what the full network computes after that module, so
    Ablation-CAM can run only this part on a batch of ablated activations.
    """
    feats = getattr(model, "features", None)
    parts = layer.split(".")
    if not (isinstance(feats, torch.nn.Sequential) and hasattr(model, "avgpool") and hasattr(model, "classifier")
            and len(parts) == 2 and parts[0] == "features" and parts[1].isdigit()):
        return None
    rest = feats[int(parts[1]) + 1:]

    def head(a):
        return model.classifier(torch.flatten(model.avgpool(rest(a)), 1))
    return head


def ablationcam(probe, x, a, y, c, batch=64, head=None):
    """Ablation-CAM; with `head` (see head_after) only the layers after A run, on ablated copies of A."""
    k_count = a.shape[1]
    if y == 0:
        raise SystemExit("ablation-cam: class logit is exactly 0, w_k = (y - y_k)/y undefined")
    yk = torch.zeros(k_count)
    for s in range(0, k_count, batch):
        n = min(batch, k_count - s)
        if head is None:
            yk[s:s + n] = ablated_logits_full(probe, x, a, c, list(range(s, s + n)))
        else:
            mask = torch.ones(n, k_count, 1, 1)
            mask[torch.arange(n), torch.arange(s, s + n)] = 0
            with torch.no_grad():
                yk[s:s + n] = head(a * mask)[:, c]
    w = (y - yk) / y
    return F.relu((w.view(1, -1, 1, 1) * a).sum(1))[0], w


# ------------------------------------------------------------ Integrated Grad-CAM

def igcam(probe, x, baseline, c, m, reading):
    """Raw Integrated Grad-CAM map, no 1/m (see module docstring)."""
    return F.relu(igcam_steps(probe, x, baseline, c, m, reading)).sum(0)


def igcam_steps(probe, x, baseline, c, m, reading):
    """The per-step maps before the per-step ReLU: m x h x w."""
    if reading == "figure":
        steps = torch.arange(1, m + 1, dtype=torch.float32)
    elif reading == "authors-code":
        steps = torch.arange(0, m, dtype=torch.float32)
    else:
        raise ValueError(reading)
    path = baseline + (steps / m).view(-1, 1, 1, 1) * (x - baseline)
    _, a, g = probe.forward_backward(path, c)
    gap = g.mean((2, 3), keepdim=True)
    if reading == "figure":
        _, a0 = probe.forward(baseline)
        a = a - a0
    return (a * gap).sum(1)


# ------------------------------------------------------------ cross-check with grad-cam (jacobgil)

class _Stub(types.ModuleType):
    """Placeholder for an optional dependency the cross-check never calls (cv2, sklearn)."""

    def __getattr__(self, attr):
        if attr.startswith("__"):
            raise AttributeError(attr)
        return 0


_LIBS = {}


def import_pytorch_grad_cam():
    """Import pytorch_grad_cam's CAM classes without its plotting/cv2/sklearn dependencies."""
    if _LIBS:
        return _LIBS
    import importlib.util
    spec = importlib.util.find_spec("pytorch_grad_cam")
    if spec is None:
        return None
    C.import_torchvision()
    for name in ("cv2", "sklearn", "sklearn.decomposition"):
        if name not in sys.modules:
            try:
                __import__(name)
            except ImportError:
                sys.modules[name] = _Stub(name)
    pkg = types.ModuleType("pytorch_grad_cam")
    pkg.__path__ = list(spec.submodule_search_locations)
    sys.modules.setdefault("pytorch_grad_cam", pkg)
    mods = {}
    for mod, cls in [("grad_cam", "GradCAM"), ("hirescam", "HiResCAM"), ("xgrad_cam", "XGradCAM"),
                     ("layer_cam", "LayerCAM"), ("grad_cam_plusplus", "GradCAMPlusPlus")]:
        mods[cls] = getattr(__import__("pytorch_grad_cam." + mod, fromlist=[cls]), cls)
    _LIBS.update(mods)
    return mods


def gradcampp_library_variant(a, g, eps=1e-6):
    """grad-cam 1.5.7's Grad-CAM++: eps in the denominator, alpha = 0 where g == 0."""
    s = a.sum((2, 3), keepdim=True)
    alpha = g * g / (2 * g * g + s * g ** 3 + eps)
    alpha = torch.where(g != 0, alpha, torch.zeros_like(alpha))
    w = (alpha * F.relu(g)).sum((2, 3), keepdim=True)
    return F.relu((w * a).sum(1))[0]


def crosscheck(model, layer_module, x, a, g, ours):
    libs = import_pytorch_grad_cam()
    if libs is None:
        print("  grad-cam package not installed: cross-check skipped")
        return {}
    out = {}
    pairs = [("GradCAM", "gradcam"), ("HiResCAM", "hirescam"), ("XGradCAM", "xgradcam"),
             ("LayerCAM", "layercam"), ("GradCAMPlusPlus", "gradcampp")]
    for cls, name in pairs:
        if name not in ours:
            continue
        cam = libs[cls](model=model, target_layers=[layer_module])
        try:
            lib = cam.get_cam_image(x, layer_module, None, a.numpy(), g.numpy(), False)
        finally:
            cam.activations_and_grads.release()
        lib = np.maximum(lib[0], 0)
        mine = ours[name].numpy()
        d = float(np.abs(lib / max(lib.max(), 1e-30) - mine / max(mine.max(), 1e-30)).max())
        out[name] = d
        print("  grad-cam %-16s vs ours %-10s max |diff| after max-normalisation: %.3g" % (cls, name, d))
        if name == "gradcampp":
            v = gradcampp_library_variant(torch.from_numpy(a.numpy()), torch.from_numpy(g.numpy())).numpy()
            dv = float(np.abs(lib / max(lib.max(), 1e-30) - v / max(v.max(), 1e-30)).max())
            out["gradcampp_library_variant"] = dv
            print("    known difference: grad-cam adds eps=1e-6 to the alpha denominator (comparable to 2g^2 when "
                  "|g| ~ 1e-3) and zeroes alpha where g == 0; our eq. 19 with those two changes vs the library: %.3g"
                  % dv)
    return out


# ------------------------------------------------------------ main

METHODS = ["gradcam", "gradcampp", "xgradcam", "hirescam", "layercam", "scorecam", "ablationcam",
           "igcam-figure", "igcam-authors-code"]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--arch", default="efficientnet_lite0")
    ap.add_argument("--sidecar", default=os.path.join(C.ASSETS, "models", "efficientnet-lite0.json"))
    ap.add_argument("--images", nargs="+", default=[os.path.join(C.ASSETS, "photos", "cat.png")])
    ap.add_argument("--layers", default="_blocks.10," + C.EFFNET_HEAD_MODULE)
    ap.add_argument("--m", type=int, default=8)
    ap.add_argument("--class", dest="cls", type=int, default=None, help="class index (default top-1)")
    ap.add_argument("--class-rank", type=int, default=1,
                    help="without --class: the class with the R-th highest logit (default 1 = top-1)")
    ap.add_argument("--out", default=os.path.join(C.REPO, "Tests", "Fixtures", "methods", "effnet"))
    ap.add_argument("--no-crosscheck", action="store_true")
    ap.add_argument("--methods", default=",".join(METHODS),
                    help="comma list of " + ",".join(METHODS) + " (igcam-*: m = --m; the m=1 authors-code "
                         "map is always made, for the check)")
    ap.add_argument("--ablation-head", action="store_true",
                    help="Ablation-CAM runs only the layers after the target layer on the ablated activations "
                         "(torchvision VGG features.N only); checked against full re-runs on 4 channels")
    args = ap.parse_args()
    wanted = [m.strip() for m in args.methods.split(",") if m.strip()]
    unknown = [m for m in wanted if m not in METHODS]
    if unknown:
        raise SystemExit("unknown method(s) %s; known: %s" % (", ".join(unknown), ", ".join(METHODS)))

    torch.set_grad_enabled(True)
    sidecar = C.load_json(args.sidecar)
    labels = sidecar.get("labels")
    layers = [l.strip() for l in args.layers.split(",") if l.strip()]
    os.makedirs(args.out, exist_ok=True)
    meta = {"arch": args.arch, "sidecar": os.path.basename(args.sidecar), "m": args.m,
            "baseline": "black: zero pixels before normalisation (= -mean/std after)",
            "raw": "maps at layer resolution h x w, float32, before upsampling and normalisation; "
                   "igcam sums have no 1/m factor",
            "scorecam": "normalised input * minmax(bilinear_up(A_k)); score = softmax prob of class; "
                        "no baseline subtraction; constant channels score 0",
            "naming": "<method>_<layer>_<img>.npy (raw h x w map); weights_<method>_<layer>_<img>.npy (K)",
            "entries": []}
    for img in args.images:
        stem = os.path.splitext(os.path.basename(img))[0]
        x = C.preprocess(img, sidecar)
        baseline = C.normalise(torch.zeros_like(x), sidecar["mean"], sidecar["std"])
        for layer in layers:
            model = C.build_model(args.arch)  # fresh model: hooks do not accumulate
            probe = Probe(model, layer)
            logits, _, _ = probe.forward_backward(x, 0)
            if args.class_rank < 1 or args.class_rank > logits.shape[1]:
                raise SystemExit("--class-rank %d: must be 1..%d" % (args.class_rank, logits.shape[1]))
            ranked = logits[0].argsort(descending=True)
            c = args.cls if args.cls is not None else int(ranked[args.class_rank - 1])
            logits, a, g = probe.forward_backward(x, c)
            y = float(logits[0, c])
            print("%s %s: class %d %s, logit %.4f, A %s" % (
                stem, layer, c, labels[c] if labels else "", y, list(a.shape)))
            one_pass = {"gradcam": gradcam, "gradcampp": gradcampp, "xgradcam": xgradcam,
                        "hirescam": hirescam, "layercam": layercam}
            maps = {name: f(a, g) for name, f in one_pass.items() if name in wanted}
            weights = {}
            if "scorecam" in wanted:
                maps["scorecam"], weights["scorecam"] = scorecam(probe, x, a, c)
            head_check = None
            if "ablationcam" in wanted:
                head = None
                if args.ablation_head:
                    head = head_after(model, layer)
                    if head is None:
                        raise SystemExit("--ablation-head: no head known for %s at %s" % (args.arch, layer))
                    with torch.no_grad():
                        hy = float(head(a)[0, c])
                    chans = [0, 1, a.shape[1] // 2, a.shape[1] - 1]
                    mask = torch.ones(len(chans), a.shape[1], 1, 1)
                    mask[torch.arange(len(chans)), torch.tensor(chans)] = 0
                    with torch.no_grad():
                        hk = head(a * mask)[:, c]
                    fk = ablated_logits_full(probe, x, a, c, chans)
                    head_check = max(abs(hy - y), float((hk - fk).abs().max()))
                    print("  check ablation head-only vs full network: max |logit diff| %.3g (logit %.4g)"
                          % (head_check, y))
                    if head_check > 1e-4 * max(1.0, abs(y)):
                        raise SystemExit("--ablation-head: the head-only logits differ from the full network's")
                maps["ablationcam"], weights["ablationcam"] = ablationcam(probe, x, a, y, c, head=head)
            for m in (args.m, 1):
                for reading in ("figure", "authors-code"):
                    if m == 1 and reading == "figure" and args.m != 1:
                        continue
                    if m != 1 and "igcam-" + reading not in wanted:
                        continue
                    maps["igcam-%s-m%d" % (reading, m)] = igcam(probe, x, baseline, c, m, reading)

            # check: authors-code with m=1 is Grad-CAM of the black image
            # (compared before the ReLU too, since the ReLU'd map of the black image can be all zero)
            _, ab, gb = probe.forward_backward(baseline, c)
            ref = gradcam(ab, gb)
            pre_ref = (gb.mean((2, 3), keepdim=True) * ab).sum(1)[0]
            pre = igcam_steps(probe, x, baseline, c, 1, "authors-code")[0]
            d = max(float((maps["igcam-authors-code-m1"] - ref).abs().max()), float((pre - pre_ref).abs().max()))
            print("  check igcam-authors-code-m1 == gradcam(black): max |diff| %.3g "
                  "(pre-ReLU map range [%.3g, %.3g], ReLU'd max %.3g)"
                  % (d, float(pre_ref.min()), float(pre_ref.max()), float(ref.max())))
            if d > 1e-5 * max(1.0, float(pre_ref.abs().max())):
                raise SystemExit("authors-code m=1 differs from Grad-CAM on the black image")
            gconst = float((g - g.mean((2, 3), keepdim=True)).abs().max())
            print("  gradient spatial variation max |G - mean G| = %.3g%s" % (
                gconst, " (GAP+linear head: HiResCAM == Grad-CAM here)" if gconst < 1e-7 else ""))

            cross = {}
            if not args.no_crosscheck:
                cross = crosscheck(model, probe.module, x, a, g, maps)

            files = []
            for name, mp in maps.items():
                fn = "%s_%s_%s.npy" % (name, layer, stem)
                np.save(os.path.join(args.out, fn), mp.detach().numpy().astype(np.float32))
                files.append(fn)
                print("  %-24s sum %.5g max %.5g argmax %s" % (
                    name, float(mp.sum()), float(mp.max()),
                    np.unravel_index(int(mp.argmax()), tuple(mp.shape))))
            for name, w in weights.items():
                fn = "weights_%s_%s_%s.npy" % (name, layer, stem)
                np.save(os.path.join(args.out, fn), w.numpy().astype(np.float32))
                files.append(fn)
            meta["entries"].append({
                "image": os.path.basename(img), "img": stem, "layer": layer,
                "onnx_tensor": (sidecar.get("layers") or {}).get(layer),
                "class": c, "label": labels[c] if labels else None, "logit": y,
                "shape": list(a.shape), "methods": list(maps), "files": files,
                "check_authors_m1_vs_gradcam_black": d, "crosscheck_grad_cam_maxdiff": cross,
                "check_ablation_head_vs_full": head_check})
    C.write_json(os.path.join(args.out, "meta.json"), meta)
    print("wrote %s" % args.out)


if __name__ == "__main__":
    main()
