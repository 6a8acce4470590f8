#!/usr/bin/env python3
"""Export torchvision CNN architectures with seeded random weights to ONNX (a local cache).

    python3 tools/export_torchvision.py --out .build/models \\
        [--models resnet50,vgg16,resnet18,mobilenet_v2,densenet121,squeezenet1_0] \\
        [--dynamo both|0|1] [--opset N] [--external]

For each NAME writes DIR/NAME.onnx (TorchScript exporter, dynamo=False),
DIR/NAME-dynamo.onnx (dynamo=True) and DIR/NAME.json (sidecar: 224x224,
ImageNet mean/std, resize "stretch", no labels, default_layer = ONNX tensor of
a last conv-block output), and for the dynamo file its own sidecar
DIR/NAME-dynamo.json (same, default_layer = the dynamo tensor name). Weights: see igcommon.build_torchvision (seed 0,
BN statistics/affine re-drawn from a seeded generator). --external stores the
initializers in NAME.onnx.data / NAME-dynamo.onnx.data beside the model.
A failing export is reported and skipped. The directory is a cache: do not
commit it.

With real weights: construct the model, load_state_dict(your weights), eval(),
and call the same export (see export_one) -- the sidecar is the same except
"labels" and "source".
"""
import argparse
import os
import sys
import traceback

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import igcommon as C  # noqa: E402

DEFAULT_MODELS = "resnet50,vgg16,resnet18,mobilenet_v2,densenet121,squeezenet1_0"


def save(model_proto, path, external):
    import onnx
    if external:
        onnx.save_model(model_proto, path, save_as_external_data=True, all_tensors_to_one_file=True,
                        location=os.path.basename(path) + ".data", size_threshold=1024)
    else:
        onnx.save_model(model_proto, path)


def export_one(name, out_dir, dynamo, opset, external):
    import onnx
    model = C.build_torchvision(name)
    x = torch.randn(1, 3, 224, 224, generator=torch.Generator().manual_seed(7))
    suffix = "-dynamo" if dynamo else ""
    path = os.path.join(out_dir, name + suffix + ".onnx")
    kwargs = dict(input_names=["input"], output_names=["logits"], opset_version=opset)
    if dynamo:
        from torch.export import Dim
        kwargs["dynamic_shapes"] = {"x": {0: Dim("batch", min=1, max=1024)}}
        prog = torch.onnx.export(model, (x,), dynamo=True, **kwargs)
        proto = prog.model_proto
    else:
        tmp = path + ".tmp"
        torch.onnx.export(model, (x,), tmp, dynamo=False, do_constant_folding=True,
                          dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}}, **kwargs)
        proto = onnx.load(tmp)
        os.remove(tmp)
    for f in (path, path + ".data"):
        if os.path.exists(f):
            os.remove(f)
    save(proto, path, external)
    onnx.checker.check_model(path)
    proto = onnx.load(path, load_external_data=False)
    layer = C.TV_DEFAULT_LAYER[name]
    tensor = C.onnx_tensor_for_module(proto.graph, layer)
    with torch.no_grad():
        logits = model(x)
    print("  %s: %d nodes, ops %s" % (os.path.basename(path), len(proto.graph.node), C.op_histogram(proto.graph)))
    print("  %s: default layer %s -> %s; logits std %.3f, range [%.2f, %.2f]" % (
        name + suffix, layer, tensor, float(logits.std()), float(logits.min()), float(logits.max())))
    return path, tensor


def sidecar(name, tensor, tensor_dynamo):
    s = {
        "input_size": [224, 224],
        "mean": C.IMAGENET_MEAN,
        "std": C.IMAGENET_STD,
        "resize": "stretch",
        "default_layer": tensor,
        "default_layer_module": C.TV_DEFAULT_LAYER[name],
        "source": "torchvision 0.28.0 %s, RANDOM weights (tools/igcommon.build_torchvision: "
                  "torch.manual_seed(0); BN affine/statistics and classifier weights re-drawn with seed 1). Not a classifier: "
                  "for structure and numeric parity tests only." % name,
    }
    if tensor_dynamo is not None:
        s["default_layer_dynamo"] = tensor_dynamo
    return s


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True, help="output directory (a cache, not committed)")
    ap.add_argument("--models", default=DEFAULT_MODELS)
    ap.add_argument("--dynamo", default="both", choices=["both", "0", "1"])
    ap.add_argument("--opset", type=int, default=None,
                    help="opset (default: 13 for dynamo=False, 18 for dynamo=True)")
    ap.add_argument("--external", action="store_true", help="store initializers as external data")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    modes = {"both": [False, True], "0": [False], "1": [True]}[args.dynamo]
    failures = []
    for name in [m.strip() for m in args.models.split(",") if m.strip()]:
        if name not in C.TV_DEFAULT_LAYER:
            print("%s: no default layer known; known: %s" % (name, ", ".join(C.TV_DEFAULT_LAYER)))
            failures.append(name)
            continue
        print(name)
        tensors = {}
        for dyn in modes:
            opset = args.opset or (18 if dyn else 13)
            try:
                tensors[dyn] = export_one(name, args.out, dyn, opset, args.external)[1]
            except Exception as e:  # report and continue with the next export
                print("  %s dynamo=%s FAILED: %s: %s" % (name, dyn, type(e).__name__, str(e).splitlines()[0] if str(e) else ""))
                traceback.print_exc(limit=2)
                failures.append("%s(dynamo=%s)" % (name, dyn))
        if tensors:
            C.write_json(os.path.join(args.out, name + ".json"),
                         sidecar(name, tensors.get(False), tensors.get(True)))
        if True in tensors:
            # The engine reads NAME-dynamo.json beside NAME-dynamo.onnx: its default layer is
            # the dynamo exporter's tensor name (the TorchScript name does not exist there).
            s = sidecar(name, tensors[True], None)
            C.write_json(os.path.join(args.out, name + "-dynamo.json"), s)
    if failures:
        print("failed: " + ", ".join(failures))


if __name__ == "__main__":
    main()
