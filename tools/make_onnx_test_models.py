#!/usr/bin/env python3
"""Make the small ONNX fixture models in Tests/Fixtures/onnx/.

Each model <name>.onnx comes with <name>.input.npy and <name>.output.npy
(float32, little-endian, C order): the reference input and the output
PyTorch (or onnx.reference for hand-built graphs) computes for it.

Torch models are exported three ways where that works:
  <family>_op13.onnx   dynamo=False, opset 13
  <family>_op17.onnx   dynamo=False, opset 17
  <family>_dyn.onnx    dynamo=True  (opset 18)
plus hand-built graphs (onnx.helper), an external-data model and bad files.

Usage: python3 tools/make_onnx_test_models.py [outdir]
"""
import os
import sys
import warnings

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F
from onnx import TensorProto, helper, numpy_helper

warnings.filterwarnings("ignore")
torch.manual_seed(0)
np.random.seed(0)

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "Tests", "Fixtures", "onnx")
os.makedirs(OUT, exist_ok=True)


def save_ref(name, x, y):
    np.save(os.path.join(OUT, name + ".input.npy"), np.ascontiguousarray(x, dtype="<f4"))
    np.save(os.path.join(OUT, name + ".output.npy"), np.ascontiguousarray(y, dtype="<f4"))


def randomize_bn(m):
    """Give BatchNorm layers non-trivial statistics so folding is tested."""
    for mod in m.modules():
        if isinstance(mod, nn.BatchNorm2d):
            c = mod.num_features
            mod.running_mean.copy_(torch.randn(c) * 0.3)
            mod.running_var.copy_(torch.rand(c) + 0.5)
            mod.weight.data.copy_(torch.randn(c) * 0.5 + 1)
            mod.bias.data.copy_(torch.randn(c) * 0.2)


# ---------------------------------------------------------------- torch models

class ConvBNRelu(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(8), nn.ReLU())
        self.grouped = nn.Conv2d(8, 8, 3, stride=1, padding=2, dilation=2, groups=2)
        self.bn = nn.BatchNorm2d(8)
        self.relu = nn.ReLU()

    def forward(self, x):
        return self.relu(self.bn(self.grouped(self.stem(x))))


class DepthwiseRelu6(nn.Module):
    def __init__(self):
        super().__init__()
        self.expand = nn.Conv2d(3, 6, 1)
        self.dw = nn.Conv2d(6, 6, 3, stride=2, padding=1, groups=6, bias=False)
        self.bn = nn.BatchNorm2d(6)
        self.act = nn.ReLU6()

    def forward(self, x):
        return self.act(self.bn(self.dw(self.expand(x))))


class Activations(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)

    def forward(self, x):
        y = self.conv(x)
        a = F.hardswish(y)
        b = F.hardsigmoid(y)
        c = torch.sigmoid(y)
        d = F.leaky_relu(y, 0.1)
        return a + b * c - d


class Pools(nn.Module):
    def forward(self, x):
        a = F.max_pool2d(x, 3, stride=2, ceil_mode=True)                                       # 15 -> 7
        b = F.avg_pool2d(x, 3, stride=2, padding=1, ceil_mode=True, count_include_pad=False)  # 15 -> 8
        c = F.avg_pool2d(x, 3, stride=2, padding=1, count_include_pad=True)                   # 15 -> 8
        return torch.cat([F.max_pool2d(b, 2, stride=1), F.max_pool2d(c, 2, stride=1), a], dim=1)


class FlattenGemm(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, stride=2, padding=1)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(4, 5)

    def forward(self, x):
        return self.fc(torch.flatten(self.pool(torch.relu(self.conv(x))), 1))


class ReshapeMatMul(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, stride=2, padding=1)
        self.w = nn.Parameter(torch.randn(64, 6) * 0.1)
        self.fc = nn.Linear(4 * 6, 3)

    def forward(self, x):
        y = self.conv(x)
        n, c, h, w = y.shape
        z = y.reshape(n, c, h * w) @ self.w    # [N, 4, 6]
        return self.fc(z.view(z.size(0), -1))


class ConcatNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Conv2d(3, 4, 1)
        self.b = nn.Conv2d(3, 2, 3, padding=1)

    def forward(self, x):
        return torch.cat([torch.relu(self.a(x)), self.b(x), x], dim=1)


class PadNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)

    def forward(self, x):
        return self.conv(F.pad(x, (1, 2, 0, 1), value=0.5))


class ReduceMeanNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)

    def forward(self, x):
        y = self.conv(x)
        return y.mean(dim=(2, 3), keepdim=True) + y.mean(dim=1, keepdim=True)


class TransposeNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)

    def forward(self, x):
        y = self.conv(x).permute(0, 2, 3, 1)    # NHWC
        return (y * 2.0).permute(0, 3, 1, 2)


class SqueezeNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.se = nn.Conv2d(4, 4, 1)

    def forward(self, x):
        y = self.conv(x)
        s = y.mean(dim=(2, 3))                     # [N, 4]
        s = s.unsqueeze(-1).unsqueeze(-1)           # [N, 4, 1, 1]
        s = torch.sigmoid(self.se(s))
        return (y * s).mean(dim=(2, 3)).unsqueeze(1).squeeze(1)


class SoftmaxNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, stride=2)
        self.fc = nn.Linear(4, 6)

    def forward(self, x):
        y = F.adaptive_avg_pool2d(self.conv(x), 1).flatten(1)
        return torch.softmax(self.fc(y), dim=1)


class BasicBlock(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv1 = nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(c)
        self.relu = nn.ReLU()
        self.conv2 = nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(c)

    def forward(self, x):
        y = self.relu(self.bn1(self.conv1(x)))
        return self.relu(self.bn2(self.conv2(y)) + x)


class TinyResNet(nn.Module):
    """Named like torchvision's ResNet, to test module-path aliases."""
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 4, 3, stride=2, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(4)
        self.relu = nn.ReLU()
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        self.layer1 = nn.Sequential(BasicBlock(4), BasicBlock(4))
        self.layer2 = nn.Sequential(BasicBlock(4), BasicBlock(4))
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(4, 7)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer2(self.layer1(x))
        return self.fc(torch.flatten(self.avgpool(x), 1))


class ErfNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)

    def forward(self, x):
        return torch.erf(self.conv(x))


class EluNet(nn.Module):
    """ELU with an explicit alpha and with the default (added through the
    "adding an ONNX op" checklist in docs/ENGINE.md)."""
    def __init__(self):
        super().__init__()
        self.a = nn.Conv2d(3, 4, 3, padding=1)
        self.b = nn.Conv2d(4, 4, 1)

    def forward(self, x):
        return F.elu(self.b(F.elu(self.a(x), alpha=0.7)))


TORCH_MODELS = {
    "conv_bn_relu": (ConvBNRelu, (3, 16, 16)),
    "depthwise_relu6": (DepthwiseRelu6, (3, 16, 16)),
    "activations": (Activations, (3, 8, 8)),
    "pools": (Pools, (3, 15, 15)),
    "flatten_gemm": (FlattenGemm, (3, 8, 8)),
    "reshape_matmul": (ReshapeMatMul, (3, 16, 16)),
    "concat": (ConcatNet, (3, 8, 8)),
    "pad": (PadNet, (3, 8, 8)),
    "reduce_mean": (ReduceMeanNet, (3, 8, 8)),
    "transpose": (TransposeNet, (3, 6, 5)),
    "squeeze_unsqueeze": (SqueezeNet, (3, 8, 8)),
    "softmax": (SoftmaxNet, (3, 9, 9)),
    "tiny_resnet": (TinyResNet, (3, 16, 16)),
    "elu": (EluNet, (3, 8, 8)),
}


def export_torch(name, cls, chw, refs=True):
    torch.manual_seed(sum(map(ord, name)))
    m = cls()
    randomize_bn(m)
    m.eval()
    x = torch.randn(1, *chw)
    with torch.no_grad():
        y = m(x)
    made = []
    for opset in (13, 17):
        fname = f"{name}_op{opset}"
        torch.onnx.export(m, (x,), os.path.join(OUT, fname + ".onnx"), dynamo=False, opset_version=opset,
                          input_names=["input"], output_names=["output"],
                          dynamic_axes={"input": {0: "N"}, "output": {0: "N"}})
        if refs:
            save_ref(fname, x.numpy(), y.numpy())
        made.append(fname)
    fname = f"{name}_dyn"
    try:
        torch.onnx.export(m, (x,), os.path.join(OUT, fname + ".onnx"), dynamo=True, opset_version=18,
                          input_names=["input"], output_names=["output"], external_data=False)
        if refs:
            save_ref(fname, x.numpy(), y.numpy())
        made.append(fname)
    except Exception as e:  # noqa: BLE001
        print(f"  dynamo export of {name} failed: {type(e).__name__}: {str(e)[:200]}")
    print(name, "->", ", ".join(made))


# ------------------------------------------------------------ hand-built graphs

def hand_model(name, nodes, inits, in_shape, out_name="output", opset=13, x=None, ref=None):
    """Build, save and make the reference for a hand-written graph. `ref`
    (x, {initializer: tensor}) -> y computes it with PyTorch; otherwise
    onnx.reference is used (its BatchNormalization disagrees with PyTorch,
    so graphs with BN pass a `ref`)."""
    graph = helper.make_graph(
        nodes, name,
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N"] + list(in_shape[1:]))],
        [helper.make_tensor_value_info(out_name, TensorProto.FLOAT, None)],
        initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], producer_name="igcam-fixtures")
    model.ir_version = 7
    if x is None:
        x = np.random.randn(*in_shape).astype(np.float32)
    if ref is not None:
        w = {i.name: torch.tensor(numpy_helper.to_array(i).astype(np.float32)) for i in inits}
        with torch.no_grad():
            y = ref(torch.tensor(x), w).numpy()
    else:
        from onnx.reference import ReferenceEvaluator
        y = ReferenceEvaluator(model).run(None, {"input": x})[0]
    onnx.save(model, os.path.join(OUT, name + ".onnx"))
    save_ref(name, x, y)
    print(name)
    return model


def make_hand_models():
    rng = np.random.default_rng(1)
    # fp16 + double initializers, non-raw int64/float storage, Cast folding,
    # opset-6 Clip with attributes, standalone BatchNormalization.
    w16 = rng.standard_normal((4, 3, 3, 3)).astype(np.float16)
    scale = rng.standard_normal(4)
    hand_model("dtypes_clip6", [
        helper.make_node("Cast", ["w16"], ["w"], to=TensorProto.FLOAT, name="cast_w"),
        helper.make_node("Conv", ["input", "w"], ["c"], pads=[1, 1, 1, 1], name="conv"),
        helper.make_node("Cast", ["scale64"], ["scale"], to=TensorProto.FLOAT, name="cast_s"),
        helper.make_node("Mul", ["c", "scale"], ["m"], name="mul"),
        helper.make_node("BatchNormalization", ["m", "g", "b", "mu", "var"], ["bn"], epsilon=1e-3, name="bn"),
        helper.make_node("Clip", ["bn"], ["output"], min=-0.5, max=0.75, name="clip"),
    ], [
        numpy_helper.from_array(w16, "w16"),
        helper.make_tensor("scale64", TensorProto.DOUBLE, [1, 4, 1, 1], scale.tolist()),
        helper.make_tensor("g", TensorProto.FLOAT, [4], rng.standard_normal(4).tolist()),
        helper.make_tensor("b", TensorProto.FLOAT, [4], rng.standard_normal(4).tolist()),
        helper.make_tensor("mu", TensorProto.FLOAT, [4], rng.standard_normal(4).tolist()),
        helper.make_tensor("var", TensorProto.FLOAT, [4], (rng.random(4) + 0.5).tolist()),
    ], (1, 3, 6, 6), opset=9, ref=lambda x, w: F.batch_norm(
        F.conv2d(x, w["w16"], padding=1) * w["scale64"], w["mu"], w["var"], w["g"], w["b"], eps=1e-3).clamp(-0.5, 0.75))

    # Opset-11 Clip with only a max input (min missing), AveragePool
    # auto_pad SAME_LOWER / MaxPool SAME_UPPER, Pad from inputs, ReduceMean
    # axes as input (opset 18), Squeeze axes as input, constant shape chain.
    hand_model("autopad_op18", [
        helper.make_node("Clip", ["input", "", "cmax"], ["c"], name="clip_max_only"),
        helper.make_node("AveragePool", ["c"], ["ap"], kernel_shape=[2, 2], strides=[2, 2], auto_pad="SAME_LOWER", name="ap"),
        # (onnx.reference gets MaxPool SAME_LOWER wrong, so MaxPool uses SAME_UPPER)
        helper.make_node("MaxPool", ["c"], ["mp"], kernel_shape=[3, 3], strides=[2, 2], auto_pad="SAME_UPPER", name="mp"),
        helper.make_node("Add", ["ap", "mp"], ["s"], name="add"),
        helper.make_node("Pad", ["s", "pads", "pv"], ["p"], mode="constant", name="pad"),
        helper.make_node("ReduceMean", ["p", "axes"], ["r"], keepdims=1, name="rm"),
        helper.make_node("Shape", ["r"], ["shp"], name="shape"),
        helper.make_node("Gather", ["shp", "idx0"], ["n"], axis=0, name="gather"),
        helper.make_node("Unsqueeze", ["n", "ax0"], ["n1"], name="unsq"),
        helper.make_node("Concat", ["n1", "minus1"], ["tshape"], axis=0, name="cat"),
        helper.make_node("Reshape", ["r", "tshape"], ["output"], name="reshape"),
    ], [
        numpy_helper.from_array(np.array(0.6, np.float32), "cmax"),
        numpy_helper.from_array(np.array([0, 0, 1, 0, 0, 0, 2, 1], np.int64), "pads"),
        numpy_helper.from_array(np.array(-0.25, np.float32), "pv"),
        numpy_helper.from_array(np.array([3], np.int64), "axes"),
        numpy_helper.from_array(np.array(0, np.int64), "idx0"),
        numpy_helper.from_array(np.array([0], np.int64), "ax0"),
        numpy_helper.from_array(np.array([-1], np.int64), "minus1"),
    ], (1, 2, 7, 9), opset=18)

    # Conv -> BN that folds, and Conv -> BN whose conv output has another
    # consumer (stays a standalone batch norm).
    def bn_params(prefix, c):
        return [numpy_helper.from_array(rng.standard_normal(c).astype(np.float32) * 0.5 + 1, prefix + "_g"),
                numpy_helper.from_array(rng.standard_normal(c).astype(np.float32) * 0.2, prefix + "_b"),
                numpy_helper.from_array(rng.standard_normal(c).astype(np.float32) * 0.3, prefix + "_m"),
                numpy_helper.from_array((rng.random(c) + 0.5).astype(np.float32), prefix + "_v")]
    def conv_bn_fold_ref(x, w):
        y1 = F.batch_norm(F.conv2d(x, w["w1"], w["b1"], padding=1), w["bn1_m"], w["bn1_v"], w["bn1_g"], w["bn1_b"], eps=1e-5)
        c2 = F.conv2d(F.relu(y1), w["w2"], stride=2)
        return F.batch_norm(c2, w["bn2_m"], w["bn2_v"], w["bn2_g"], w["bn2_b"], eps=1e-3) + c2

    hand_model("conv_bn_fold", [
        helper.make_node("Conv", ["input", "w1", "b1"], ["c1"], pads=[1, 1, 1, 1], name="conv1"),
        helper.make_node("BatchNormalization", ["c1", "bn1_g", "bn1_b", "bn1_m", "bn1_v"], ["y1"], name="bn1"),
        helper.make_node("Relu", ["y1"], ["r1"], name="relu1"),
        helper.make_node("Conv", ["r1", "w2"], ["c2"], strides=[2, 2], name="conv2"),
        helper.make_node("BatchNormalization", ["c2", "bn2_g", "bn2_b", "bn2_m", "bn2_v"], ["y2"], epsilon=1e-3, name="bn2"),
        helper.make_node("Add", ["y2", "c2"], ["output"], name="add"),
    ], [
        numpy_helper.from_array(rng.standard_normal((4, 3, 3, 3)).astype(np.float32) * 0.3, "w1"),
        numpy_helper.from_array(rng.standard_normal(4).astype(np.float32) * 0.1, "b1"),
        numpy_helper.from_array(rng.standard_normal((5, 4, 3, 3)).astype(np.float32) * 0.3, "w2"),
    ] + bn_params("bn1", 4) + bn_params("bn2", 5), (1, 3, 8, 8), opset=13, ref=conv_bn_fold_ref)

    # Opset-9 forms: Pad/Squeeze/Unsqueeze/ReduceMean/Slice from attributes,
    # Softmax with the default axis 1.
    hand_model("legacy_op9", [
        helper.make_node("Pad", ["input"], ["p"], pads=[0, 0, 1, 0, 0, 0, 0, 2], value=1.5, name="pad"),
        helper.make_node("Unsqueeze", ["p"], ["u"], axes=[2], name="unsq"),
        helper.make_node("Squeeze", ["u"], ["q"], axes=[2], name="sq"),
        helper.make_node("ReduceMean", ["q"], ["r"], axes=[3], keepdims=0, name="rm"),
        helper.make_node("Shape", ["r"], ["shp"], name="shape"),
        helper.make_node("Slice", ["shp"], ["n"], starts=[0], ends=[1], name="slice"),
        helper.make_node("Concat", ["n", "minus1"], ["tshape"], axis=0, name="cat"),
        helper.make_node("Reshape", ["r", "tshape"], ["f"], name="reshape"),
        helper.make_node("Softmax", ["f"], ["output"], name="softmax"),
    ], [numpy_helper.from_array(np.array([-1], np.int64), "minus1")], (1, 3, 5, 5), opset=9,
        ref=lambda x, w: torch.softmax(F.pad(x, (0, 2, 1, 0), value=1.5).mean(3).reshape(1, -1), 1))

    # Unsupported op made by hand: GridSample.
    g = helper.make_graph(
        [helper.make_node("GridSample", ["input", "grid"], ["output"], name="sampler")], "gs",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, 4, 4])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, None)],
        initializer=[numpy_helper.from_array(rng.uniform(-1, 1, (1, 4, 4, 2)).astype(np.float32), "grid")])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 16)])
    onnx.save(m, os.path.join(OUT, "bad_gridsample.onnx"))

    # A valid ModelProto with no graph.
    m = onnx.ModelProto()
    m.ir_version = 8
    m.producer_name = "nothing"
    onnx.save(m, os.path.join(OUT, "bad_nograph.onnx"))

    # An initializer that is referenced but absent.
    g = helper.make_graph(
        [helper.make_node("Conv", ["input", "W"], ["output"], name="conv_without_weight")], "mi",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, 4, 4])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, None)])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    onnx.save(m, os.path.join(OUT, "bad_missing_init.onnx"))

    # Unsupported data type (string tensor initializer).
    g = helper.make_graph(
        [helper.make_node("Identity", ["input"], ["output"], name="id")], "st",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, 4, 4])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, None)],
        initializer=[helper.make_tensor("cplx", TensorProto.COMPLEX64, [1], [complex(1.0, 2.0)])])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    onnx.save(m, os.path.join(OUT, "bad_dtype.onnx"))

    # Bad attribute: Conv whose group does not divide the channels.
    g = helper.make_graph(
        [helper.make_node("Conv", ["input", "W"], ["output"], group=2, name="conv_bad_group")], "ba",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, 4, 4])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, None)],
        initializer=[numpy_helper.from_array(np.ones((4, 2, 1, 1), np.float32), "W")])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    onnx.save(m, os.path.join(OUT, "bad_attribute.onnx"))
    print("bad_* hand models")


def make_external_and_corrupt():
    src = os.path.join(OUT, "conv_bn_relu_op13.onnx")
    m = onnx.load(src)
    weights = os.path.join(OUT, "external_data.weights")
    if os.path.exists(weights):  # onnx appends to an existing data file
        os.remove(weights)
    onnx.save_model(m, os.path.join(OUT, "external_data.onnx"), save_as_external_data=True,
                    all_tensors_to_one_file=True, location="external_data.weights", size_threshold=0)
    for suffix in (".input.npy", ".output.npy"):
        with open(os.path.join(OUT, "conv_bn_relu_op13" + suffix), "rb") as f:
            data = f.read()
        with open(os.path.join(OUT, "external_data" + suffix), "wb") as f:
            f.write(data)
    # Same model, but pointing at a data file that is not there.
    m = onnx.load(os.path.join(OUT, "external_data.onnx"), load_external_data=False)
    for t in m.graph.initializer:
        for e in t.external_data:
            if e.key == "location":
                e.value = "missing.weights"
    onnx.save(m, os.path.join(OUT, "bad_external_missing.onnx"))

    with open(src, "rb") as f:
        data = f.read()
    with open(os.path.join(OUT, "bad_truncated.onnx"), "wb") as f:
        f.write(data[: len(data) // 2])
    with open(os.path.join(OUT, "bad_text.onnx"), "wb") as f:
        f.write(b"this is not an ONNX model, just some text\n")
    with open(os.path.join(OUT, "bad_random.onnx"), "wb") as f:
        f.write(np.random.default_rng(7).integers(0, 256, 300, dtype=np.uint8).tobytes())
    print("external + corrupt files")


if __name__ == "__main__":
    for name, (cls, chw) in TORCH_MODELS.items():
        export_torch(name, cls, chw)
    export_torch("bad_erf", ErfNet, (3, 4, 4), refs=False)
    make_hand_models()
    make_external_and_corrupt()
