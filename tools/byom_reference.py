#!/usr/bin/env python3
"""Reference outputs for a "bring your own model" ONNX file, by onnxruntime.

    python3 tools/byom_reference.py MODEL.onnx PHOTO OUTDIR --layer TENSOR [--size H W]
        [--mean m1 m2 m3] [--std s1 s2 s3] [--bgr] [--scale 255]

Writes to OUTDIR:
  input.npy    the network input exactly as the file expects it (NHWC or NCHW, float32),
               from PHOTO resized with PIL (bilinear) -- the Swift test feeds this tensor,
               so the comparison does not depend on resampling differences
  probs.npy    the model's own output (its final Softmax), [1, K]
  logits.npy   the input of that Softmax, [1, K]
  cam.npy      Grad-CAM at --layer for the top-1 class, max-normalised, [h, w]
  ref.json     layer, layout of the layer in the file, top-1, shapes

Grad-CAM's weights alpha_c = mean_ij d logit / d A_cij are the derivative of the
logit along the all-ones direction of channel c (divided by h*w), computed by a
central finite difference through onnxruntime on the graph cut at the layer
(onnx.utils.extract_model): an independent check of igcam's backward pass.
The head after the layer is evaluated in float64 where onnxruntime allows it.
"""
import argparse
import json
import os
import sys

import numpy as np
import onnx
import onnx.utils
import onnxruntime as ort
from PIL import Image


def session(path):
    o = ort.SessionOptions()
    o.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    o.intra_op_num_threads = 1
    return ort.InferenceSession(path, o, providers=["CPUExecutionProvider"])


def double_session(path):
    """The head in float64 (initializers, Constants, types, Casts to float), so the
    finite differences are not float32 rounding; float32 when onnxruntime cannot."""
    m = onnx.load(path)
    p64 = path + ".f64.onnx"
    try:
        for t in list(m.graph.initializer):
            if t.data_type == onnx.TensorProto.FLOAT:
                t.CopyFrom(onnx.numpy_helper.from_array(onnx.numpy_helper.to_array(t).astype(np.float64), t.name))
        for n in m.graph.node:
            for at in n.attribute:
                if n.op_type == "Constant" and at.name == "value" and at.t.data_type == onnx.TensorProto.FLOAT:
                    at.t.CopyFrom(onnx.numpy_helper.from_array(onnx.numpy_helper.to_array(at.t).astype(np.float64)))
                if n.op_type == "Cast" and at.name == "to" and at.i == onnx.TensorProto.FLOAT:
                    at.i = onnx.TensorProto.DOUBLE
        for v in list(m.graph.input) + list(m.graph.output) + list(m.graph.value_info):
            if v.type.tensor_type.elem_type == onnx.TensorProto.FLOAT:
                v.type.tensor_type.elem_type = onnx.TensorProto.DOUBLE
        onnx.save(m, p64)
        return session(p64), np.float64
    except Exception as e:  # an op without a double kernel
        print("byom_reference: head in float32 (%s)" % str(e).splitlines()[0][:120], file=sys.stderr)
        return session(path), np.float32
    finally:
        if os.path.exists(p64):
            os.remove(p64)


def final_softmax_input(model):
    out = model.graph.output[0].name
    by_out = {o: n for n in model.graph.node for o in n.output}
    t = out
    while t in by_out:
        n = by_out[t]
        if n.op_type in ("Softmax", "LogSoftmax"):
            return n.input[0]
        if n.op_type in ("Identity", "Flatten", "Reshape", "Squeeze", "Unsqueeze", "Cast"):
            t = n.input[0]
            continue
        break
    sys.exit("%s: the output is not produced by a Softmax" % out)


def reference(model_path, x, layer, outdir, nhwc, eps_rel=1e-2, layer_nhwc=None):
    """Writes probs/logits/cam/ref.json for input x (as the file expects it) into outdir."""
    model = onnx.load(model_path)
    inp = [i for i in model.graph.input if i.name not in {t.name for t in model.graph.initializer}][0]
    a = argparse.Namespace(model=model_path, layer=layer, outdir=outdir, eps=eps_rel)
    logits_name = final_softmax_input(model)
    # Expose the logits and the layer as extra outputs.
    m2 = onnx.load(a.model)
    for name in (logits_name, a.layer):
        m2.graph.output.append(onnx.helper.make_empty_tensor_value_info(name))
    full = os.path.join(a.outdir, "_full.onnx")
    onnx.save(m2, full)
    s = session(full)
    probs, logits, act = s.run([model.graph.output[0].name, logits_name, a.layer], {inp.name: x})
    os.remove(full)
    top1 = int(np.argmax(probs[0]))
    np.save(os.path.join(a.outdir, "probs.npy"), probs.astype(np.float32))
    np.save(os.path.join(a.outdir, "logits.npy"), logits.astype(np.float32))

    # The head: the layer -> the logits.
    head = os.path.join(a.outdir, "_head.onnx")
    onnx.utils.extract_model(a.model, head, [a.layer], [logits_name], check_model=False)
    hs, dtype = double_session(head)
    hin = hs.get_inputs()[0].name
    if layer_nhwc is None:
        layer_nhwc = act.ndim == 4 and act.shape[3] > act.shape[1]  # channels outnumber rows: NHWC
    A = act.astype(dtype)
    C = A.shape[3] if layer_nhwc else A.shape[1]
    hw = (A.shape[1] * A.shape[2]) if layer_nhwc else (A.shape[2] * A.shape[3])
    scale = float(np.abs(A).max()) or 1.0
    eps = a.eps * scale
    if dtype == np.float64:
        eps *= 1e-2   # double precision: a much smaller step, far from every kink of the head
    alpha = np.zeros(C, np.float64)
    for c in range(C):
        plus, minus = A.copy(), A.copy()
        if layer_nhwc:
            plus[..., c] += eps
            minus[..., c] -= eps
        else:
            plus[:, c] += eps
            minus[:, c] -= eps
        yp = hs.run(None, {hin: plus})[0][0, top1]
        ym = hs.run(None, {hin: minus})[0][0, top1]
        alpha[c] = (float(yp) - float(ym)) / (2 * eps) / hw
    info_dtype = str(np.dtype(dtype))
    os.remove(head)
    Ac = A[0].transpose(2, 0, 1) if layer_nhwc else A[0]
    cam = np.maximum((alpha[:, None, None] * Ac.astype(np.float64)).sum(0), 0)
    cam = cam / cam.max() if cam.max() > 0 else cam
    np.save(os.path.join(a.outdir, "cam.npy"), cam.astype(np.float32))
    info = {"layer": a.layer, "layer_layout_in_file": "nhwc" if layer_nhwc else "nchw",
            "layer_shape_chw": [int(C)] + list(cam.shape), "top1": top1, "input_layout": "nhwc" if nhwc else "nchw",
            "logits": logits_name, "onnxruntime": ort.__version__, "eps": eps,
            "head_dtype": info_dtype}
    with open(os.path.join(a.outdir, "ref.json"), "w") as f:
        json.dump(info, f, indent=1)
    print(json.dumps(info))

    return info


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("photo")
    ap.add_argument("outdir")
    ap.add_argument("--layer", required=True)
    ap.add_argument("--mean", type=float, nargs=3, default=[0, 0, 0])
    ap.add_argument("--std", type=float, nargs=3, default=[1, 1, 1])
    ap.add_argument("--bgr", action="store_true")
    ap.add_argument("--eps", type=float, default=1e-2)
    a = ap.parse_args()
    os.makedirs(a.outdir, exist_ok=True)

    model = onnx.load(a.model)
    inits = {i.name for i in model.graph.initializer}
    inp = [i for i in model.graph.input if i.name not in inits][0]
    dims = [d.dim_value for d in inp.type.tensor_type.shape.dim]
    nhwc = dims[3] in (1, 2, 3, 4) and dims[1] > dims[3]
    h, w = (dims[1], dims[2]) if nhwc else (dims[2], dims[3])

    img = Image.open(a.photo).convert("RGB").resize((w, h), Image.BILINEAR)
    x = np.asarray(img, dtype=np.float32) / 255.0          # H, W, 3 RGB in [0, 1]
    if a.bgr:
        x = x[:, :, ::-1]
    x = (x - np.array(a.mean, np.float32)) / np.array(a.std, np.float32)
    x = x[None].astype(np.float32)
    if not nhwc:
        x = x.transpose(0, 3, 1, 2).copy()
    np.save(os.path.join(a.outdir, "input.npy"), x)

    reference(a.model, x, a.layer, a.outdir, nhwc, a.eps)


if __name__ == "__main__":
    main()
