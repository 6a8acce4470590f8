#!/usr/bin/env python3
"""Reference inputs, logits, activations and gradients for ONNX-engine parity tests.

    python3 tools/parity_fixtures.py --arch efficientnet_lite0 \\
        --model assets/models/efficientnet-lite0.onnx --sidecar assets/models/efficientnet-lite0.json \\
        --images assets/photos/cat.png assets/photos/coffee.png ... \\
        --layers _blocks.10 [--extra-layers _head_act --extra-for cat] [--input-for cat] \\
        --out Tests/Fixtures/effnet [--verify-onnx]

The network is rebuilt in PyTorch from its recipe (--arch: efficientnet_lite0
from the pip weights, or a torchvision name with the seeded weights of
igcommon.build_torchvision); the ONNX file is only read to find tensor names
(and, with --verify-onnx, run with onnx's ReferenceEvaluator to check the
names and numbers). Each image is preprocessed as the sidecar says
(igcommon.preprocess). Files written to --out, <img> = image file stem,
<layer> = PyTorch module path verbatim (e.g. `_blocks.10`):

  input_<img>.npy          float32 1x3xHxW normalised input (all images, or only --input-for)
  logits_<img>.npy         float32 1x1000 logits
  act_<layer>_<img>.npy    float32 1xCxhxw output of the module
  grad_<layer>_<img>.npy   float32 1xCxhxw d logits[0, top1] / d act
  manifest.json            module path -> ONNX tensor name, per-image top-1, files

--layers are written for every image; --extra-layers only for the images
named in --extra-for (to keep committed fixtures small).
"""
import argparse
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import igcommon as C  # noqa: E402


def split(s):
    return [t.strip() for t in (s or "").split(",") if t.strip()]


def forward_with_hooks(model, x, layers):
    """Run model(x) capturing each layer module's output (last call) with grads retained."""
    modules = dict(model.named_modules())
    acts, handles = {}, []
    for layer in layers:
        if layer not in modules:
            raise SystemExit("no module %r in the model; e.g. %s" % (
                layer, ", ".join(list(modules)[1:12])))

        def hook(_m, _inp, out, layer=layer):
            out.retain_grad()
            acts[layer] = out
            # The rest of the network gets a copy: a later in-place op (DenseNet's
            # F.relu(features, inplace=True) after norm5) would otherwise overwrite the
            # captured activation and its retained grad with the post-ReLU ones.
            return out.clone()
        handles.append(modules[layer].register_forward_hook(hook))
    try:
        logits = model(x)
    finally:
        for h in handles:
            h.remove()
    return logits, acts


def verify_onnx(onnx_path, x, tensor_names, torch_logits, torch_acts):
    """Run the ONNX file with onnx.reference, exposing the layer tensors; compare with PyTorch."""
    import onnx
    from onnx.reference import ReferenceEvaluator
    m = onnx.load(onnx_path)
    existing = {o.name for o in m.graph.output}
    for t in tensor_names.values():
        if t not in existing:
            m.graph.output.append(onnx.helper.make_tensor_value_info(t, onnx.TensorProto.FLOAT, None))
    sess = ReferenceEvaluator(m)
    outs = sess.run(None, {m.graph.input[0].name: x.numpy()})
    by_name = dict(zip([o.name for o in m.graph.output], outs))
    worst = 0.0
    d = float(np.abs(by_name[m.graph.output[0].name] - torch_logits).max())
    print("    onnx.reference logits max|diff| %.3g" % d)
    worst = max(worst, d / max(1.0, float(np.abs(torch_logits).max())))
    for layer, t in tensor_names.items():
        a = by_name[t]
        if a.shape != torch_acts[layer].shape:
            raise SystemExit("ONNX tensor %s has shape %s, PyTorch %s has %s" % (
                t, a.shape, layer, torch_acts[layer].shape))
        d = float(np.abs(a - torch_acts[layer]).max())
        print("    onnx.reference %s (%s) max|diff| %.3g" % (layer, t, d))
        worst = max(worst, d / max(1.0, float(np.abs(torch_acts[layer]).max())))
    if worst > 1e-4:
        raise SystemExit("ONNX file disagrees with the PyTorch recipe (relative diff %.3g)" % worst)


def alternative_gradients(model, x, layers, top1, grads, draws=8, eps=1e-6, tol=1e-4):
    """For each of `layers`, PyTorch's gradients for `draws` inputs x + eps * max|x| * N(0, 1)
    (seeded; one forward and backward per draw for all layers) that differ from `grads[layer]`
    (and from each other) by more than `tol` of its max: the other sides of ReLU knife edges.
    An empty list for a stable layer. The class stays `top1`."""
    gen = torch.Generator().manual_seed(1234)
    found = {l: [] for l in layers}
    for _ in range(draws):
        noise = torch.randn(x.shape, generator=gen) * eps * float(x.abs().max())
        logits, acts = forward_with_hooks(model, (x + noise).clone(), layers)
        logits[0, top1].backward()
        for l in layers:
            g, scale = acts[l].grad.numpy().copy(), float(np.abs(grads[l]).max()) or 1.0
            if np.abs(g - grads[l]).max() > tol * scale and all(np.abs(g - f).max() > tol * scale for f in found[l]):
                found[l].append(g)
    return found


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True, help="ONNX file (for tensor names)")
    ap.add_argument("--sidecar", required=True, help="JSON sidecar (preprocessing)")
    ap.add_argument("--arch", required=True, help="efficientnet_lite0 or a torchvision model name")
    ap.add_argument("--images", nargs="+", required=True)
    ap.add_argument("--layers", required=True, help="comma-separated PyTorch module paths")
    ap.add_argument("--extra-layers", default="", help="module paths written only for --extra-for images")
    ap.add_argument("--extra-for", default="", help="image stems that get --extra-layers")
    ap.add_argument("--input-for", default=None, help="image stems that get input_*.npy (default: all)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--verify-onnx", action="store_true", help="check names/numbers with onnx.reference")
    args = ap.parse_args()

    import onnx
    sidecar = C.load_json(args.sidecar)
    layers, extra = split(args.layers), split(args.extra_layers)
    extra_for, input_for = set(split(args.extra_for)), args.input_for
    input_for = None if input_for is None else set(split(input_for))
    all_layers = layers + [l for l in extra if l not in layers]

    graph = onnx.load(args.model, load_external_data=False).graph
    tensor_names = {}
    for layer in all_layers:
        t = C.onnx_tensor_for_module(graph, layer)
        if t is None:
            raise SystemExit("no ONNX tensor found for module %s in %s" % (layer, args.model))
        tensor_names[layer] = t
    print("tensor names:", tensor_names)

    model = C.build_model(args.arch)
    labels = sidecar.get("labels")
    os.makedirs(args.out, exist_ok=True)
    manifest = {
        "model": os.path.basename(args.model),
        "arch": args.arch,
        "input_name": graph.input[0].name,
        "output_name": graph.output[0].name,
        "preprocessing": {k: sidecar[k] for k in ("input_size", "mean", "std", "resize")},
        "layers": tensor_names,
        "gradient": "d logits[0, top1] / d act (top1 = argmax of logits)",
        "naming": "input_<img>.npy, logits_<img>.npy, act_<layer>_<img>.npy, grad_<layer>_<img>.npy; "
                  "<img> = image file stem, <layer> = PyTorch module path verbatim",
        "images": {},
    }
    for path in args.images:
        stem = os.path.splitext(os.path.basename(path))[0]
        x = C.preprocess(path, sidecar)
        img_layers = layers + ([l for l in extra if l not in layers] if stem in extra_for else [])
        logits, acts = forward_with_hooks(model, x.clone().requires_grad_(False), all_layers)
        top1 = int(logits[0].argmax())
        logits[0, top1].backward()
        files = []

        def save(name, arr):
            np.save(os.path.join(args.out, name), np.ascontiguousarray(arr, dtype=np.float32))
            files.append(name)
        if input_for is None or stem in input_for:
            save("input_%s.npy" % stem, x.numpy())
        save("logits_%s.npy" % stem, logits.detach().numpy())
        for layer in img_layers:
            save("act_%s_%s.npy" % (layer, stem), acts[layer].detach().numpy())
            save("grad_%s_%s.npy" % (layer, stem), acts[layer].grad.numpy())
        # Knife edges: a ReLU whose input is within float32 rounding of 0 may go either way in
        # any float32 implementation (PyTorch's own gradient at ResNet-50's layer3 moves by
        # 2.6e-2 of its max for 1e-6 relative noise on the input). Record every distinct
        # gradient PyTorch itself gives under such noise; a test accepts the nearest one.
        variants = alternative_gradients(model, x, img_layers, top1,
                                         {l: acts[l].grad.numpy().copy() for l in img_layers})
        alternatives = {}
        for layer in img_layers:
            for i, g in enumerate(variants[layer]):
                save("grad_%s_%s.alt%d.npy" % (layer, stem, i), g)
            alternatives[layer] = len(variants[layer])
        shapes = {l: list(acts[l].shape) for l in img_layers}
        manifest["images"][stem] = {
            "file": os.path.basename(path),
            "top1": top1,
            "top1_label": labels[top1] if labels else None,
            "top1_logit": float(logits.detach()[0, top1]),
            "layers": img_layers,
            "shapes": shapes,
            "files": files,
            "gradient_alternatives": alternatives,
        }
        print("%s: top1 %d %s, layers %s" % (stem, top1, labels[top1] if labels else "", shapes))
        if args.verify_onnx:
            verify_onnx(args.model, x.detach(), tensor_names, logits.detach().numpy(),
                        {l: a.detach().numpy() for l, a in acts.items()})
    C.write_json(os.path.join(args.out, "manifest.json"), manifest)
    total = sum(os.path.getsize(os.path.join(args.out, f)) for f in os.listdir(args.out))
    print("wrote %s (%d bytes in total)" % (args.out, total))


if __name__ == "__main__":
    main()
