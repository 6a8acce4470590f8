#!/usr/bin/env python3
"""Small ONNX classifiers in the style of three non-torch exporters, with
onnxruntime references, for Tests/IGModelTests/BYOMExporterStyleTests.swift.

    python3 tools/make_byom_models.py [OUTDIR]     (default Tests/Fixtures/onnx/byom)

Needs onnx==1.23.2, onnxruntime==1.23.2, numpy. Weights are seeded random
(numpy seed per model), so the files are reproducible. Each model NAME gets
  NAME.onnx            the graph (a few KB)
  NAME.json            its igcam sidecar
  NAME/input.npy       a seeded random input, as the file expects it (NHWC or NCHW)
  NAME/probs.npy       onnxruntime: the model's own (Softmax) output
  NAME/logits.npy      onnxruntime: the Softmax input
  NAME/cam.npy         Grad-CAM at the layer for the top-1 class, max-normalised, with
                       the weights from finite differences through onnxruntime
                       (tools/byom_reference.py)
  NAME/ref.json        the layer (ONNX name), its C x h x w, top-1, input layout

The styles:
  keras_tf2onnx  NHWC input -> Transpose -> NCHW Convs (bias, ReLU) -> MaxPool ->
                 Transpose back to NHWC -> Reshape (its shape from Shape/Gather/Cast/
                 Concat arithmetic) -> MatMul + Add -> Softmax; tf2onnx's names
                 ("functional_1/block2_conv1_1/Relu:0").
  caffe_nhwc     NHWC input, Cast, BGR mean subtraction (Sub/Mul), Pad whose pads come
                 from ConstantOfShape/Concat/Reshape/Slice/Transpose/Cast, Transposes around
                 every Conv, NHWC activations with per-channel Add/Sub/Mul (unfolded BN),
                 a residual Add, an edge Pad + MaxPool, ReduceMean over H, W, MatMul, Softmax.
  paddle_lcnet   NCHW; Conv -> Identity -> standalone BatchNormalization -> HardSwish,
                 depthwise Conv, SE block (GlobalAveragePool, Conv, HardSigmoid, broadcast
                 Mul), GlobalAveragePool, Reshape, MatMul, Add, Identity, Softmax.
"""
import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from byom_reference import reference  # noqa: E402


def const(name, arr):
    return numpy_helper.from_array(np.asarray(arr), name)


def cnode(name, arr):
    return helper.make_node("Constant", [], [name], value=numpy_helper.from_array(np.asarray(arr)), name=name + "_c")


def model(nodes, inits, inp, shape, out, classes, opset):
    g = helper.make_graph(nodes, "byom", [helper.make_tensor_value_info(inp, TensorProto.FLOAT, shape)],
                          [helper.make_tensor_value_info(out, TensorProto.FLOAT, ["N", classes])], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)], producer_name="igcam make_byom_models")
    m.ir_version = 8
    onnx.checker.check_model(m)
    return m


def w(rng, *shape, scale=None):
    fan = int(np.prod(shape[1:])) if len(shape) > 1 else shape[0]
    return (rng.standard_normal(shape) * (scale or (1.5 / np.sqrt(fan)))).astype(np.float32)


def keras_tf2onnx():
    rng = np.random.default_rng(11)
    P = "functional_1/"
    n, inits = [], []
    inits += [const(P + "block1_conv1_1/convolution/ReadVariableOp:0", w(rng, 8, 3, 3, 3)),
              const(P + "block1_conv1_1/Squeeze:0", w(rng, 8, scale=0.1)),
              const(P + "block2_conv1_1/convolution/ReadVariableOp:0", w(rng, 8, 8, 3, 3)),
              const(P + "block2_conv1_1/Squeeze:0", w(rng, 8, scale=0.1)),
              const(P + "dense_1/Cast/ReadVariableOp:0", w(rng, 8 * 4 * 4, 5, scale=0.3)),
              const(P + "dense_1/BiasAdd/ReadVariableOp:0", w(rng, 5, scale=0.1)),
              const("Const__96", np.array([0], np.int64)),
              const("const_starts__79", np.array([0], np.int64)),
              const("const_ends__80", np.array([1], np.int64)),
              const("const_fold_opt__98", np.array([-1], np.int32))]
    n.append(helper.make_node("Transpose", ["input"], [P + "block1_conv1_1/BiasAdd__6:0"], perm=[0, 3, 1, 2],
                              name=P + "block1_conv1_1/BiasAdd__6"))
    prev = P + "block1_conv1_1/BiasAdd__6:0"
    for blk in ("block1_conv1_1", "block2_conv1_1"):
        n.append(helper.make_node("Conv", [prev, P + blk + "/convolution/ReadVariableOp:0", P + blk + "/Squeeze:0"],
                                  [P + blk + "/BiasAdd:0"], kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[1, 1],
                                  dilations=[1, 1], group=1, name=P + blk + "/BiasAdd"))
        n.append(helper.make_node("Relu", [P + blk + "/BiasAdd:0"], [P + blk + "/Relu:0"], name=P + blk + "/Relu"))
        prev = P + blk + "/Relu:0"
    n.append(helper.make_node("MaxPool", [prev], [P + "block2_pool_1/MaxPool2d:0"], kernel_shape=[2, 2], strides=[2, 2],
                              name=P + "block2_pool_1/MaxPool2d"))
    n.append(helper.make_node("Transpose", [P + "block2_pool_1/MaxPool2d:0"], ["Transpose__90:0"], perm=[0, 2, 3, 1],
                              name="Transpose__90"))
    n.append(helper.make_node("Shape", [P + "block2_pool_1/MaxPool2d:0"], ["Shape__94:0"], name="Shape__94"))
    n.append(helper.make_node("Gather", ["Shape__94:0", "Const__96"], [P + "flatten_1/Shape:0"], name="Gather__97"))
    n.append(helper.make_node("Cast", [P + "flatten_1/Shape:0"], [P + "flatten_1/Shape__78:0"], to=6,
                              name=P + "flatten_1/Shape__78"))
    n.append(helper.make_node("Slice", [P + "flatten_1/Shape__78:0", "const_starts__79", "const_ends__80", "const_starts__79"],
                              [P + "flatten_1/strided_slice:0"], name=P + "flatten_1/strided_slice"))
    n.append(helper.make_node("Concat", [P + "flatten_1/strided_slice:0", "const_fold_opt__98"],
                              [P + "flatten_1/Reshape/shape_Concat__88:0"], axis=0, name=P + "flatten_1/Reshape/shape_Concat__88"))
    n.append(helper.make_node("Cast", [P + "flatten_1/Reshape/shape_Concat__88:0"], [P + "flatten_1/Reshape__89:0"], to=7,
                              name=P + "flatten_1/Reshape__89"))
    n.append(helper.make_node("Reshape", ["Transpose__90:0", P + "flatten_1/Reshape__89:0"], [P + "flatten_1/Reshape:0"],
                              name=P + "flatten_1/Reshape"))
    n.append(helper.make_node("MatMul", [P + "flatten_1/Reshape:0", P + "dense_1/Cast/ReadVariableOp:0"],
                              [P + "dense_1/MatMul:0"], name=P + "dense_1/MatMul"))
    n.append(helper.make_node("Add", [P + "dense_1/MatMul:0", P + "dense_1/BiasAdd/ReadVariableOp:0"],
                              [P + "dense_1/BiasAdd:0"], name=P + "dense_1/BiasAdd"))
    n.append(helper.make_node("Softmax", [P + "dense_1/BiasAdd:0"], ["dense_1"], name=P + "dense_1/Softmax"))
    m = model(n, inits, "input", ["unk__99", 8, 8, 3], "dense_1", 5, 13)
    sidecar = {"mean": [0, 0, 0], "std": [1, 1, 1]}
    return m, sidecar, P + "block2_conv1_1/Relu:0", True, False, [8, 8, 8], "block2_conv1"


def caffe_nhwc():
    rng = np.random.default_rng(12)
    n, inits = [], []
    C = 6
    mean = np.array([104, 117, 123], np.float32)
    inits += [const("onnx::Sub_mean", mean), const("onnx::Mul_scale", np.float32(1 / 58.0)),
              const("onnx::Conv_1", w(rng, C, 3, 3, 3)), const("onnx::Add_b1", w(rng, C, scale=0.1)),
              const("onnx::Sub_m1", w(rng, C, scale=0.1)), const("onnx::Mul_s1", (1 + 0.2 * rng.random(C)).astype(np.float32)),
              const("onnx::Add_t1", w(rng, C, scale=0.1)),
              const("onnx::Conv_2", w(rng, C, C, 1, 1)), const("onnx::Add_b2", w(rng, C, scale=0.1)),
              const("onnx::MatMul_fc", w(rng, C, 3, scale=0.5)), const("onnx::Add_fc", w(rng, 3, scale=0.1))]
    n.append(helper.make_node("Cast", ["input_0"], ["/Cast_output_0"], to=1, name="/Cast"))
    n.append(helper.make_node("Sub", ["/Cast_output_0", "onnx::Sub_mean"], ["/Sub_output_0"], name="/Sub"))
    n.append(helper.make_node("Mul", ["/Sub_output_0", "onnx::Mul_scale"], ["/Mul_output_0"], name="/Mul"))
    # Pads [0, 1, 1, 0, 0, 1, 1, 0] as the PyTorch exporter computes them for F.pad(x, (0, 0, 1, 1, 1, 1)).
    n += [cnode("/Constant_output_0", np.array([2], np.int64)),
          cnode("/Constant_1_output_0", np.array([0, 0, 1, 1, 1, 1], np.int64)),
          helper.make_node("ConstantOfShape", ["/Constant_output_0"], ["/ConstantOfShape_output_0"],
                           value=numpy_helper.from_array(np.array([0], np.int64)), name="/ConstantOfShape"),
          helper.make_node("Concat", ["/Constant_1_output_0", "/ConstantOfShape_output_0"], ["/Concat_output_0"], axis=0,
                           name="/Concat"),
          cnode("/Constant_2_output_0", np.array([-1, 2], np.int64)),
          helper.make_node("Reshape", ["/Concat_output_0", "/Constant_2_output_0"], ["/Reshape_output_0"], name="/Reshape"),
          cnode("/Constant_3_output_0", np.array([0], np.int64)), cnode("/Constant_4_output_0", np.array([-1], np.int64)),
          cnode("/Constant_5_output_0", np.array([-9223372036854775807], np.int64)),
          helper.make_node("Slice", ["/Reshape_output_0", "/Constant_4_output_0", "/Constant_5_output_0",
                                     "/Constant_3_output_0", "/Constant_4_output_0"], ["/Slice_output_0"], name="/Slice"),
          helper.make_node("Transpose", ["/Slice_output_0"], ["/Transpose_output_0"], perm=[1, 0], name="/Transpose"),
          helper.make_node("Reshape", ["/Transpose_output_0", "/Constant_4_output_0"], ["/Reshape_1_output_0"], name="/Reshape_1"),
          helper.make_node("Cast", ["/Reshape_1_output_0"], ["/Cast_3_output_0"], to=7, name="/Cast_3"),
          helper.make_node("Pad", ["/Mul_output_0", "/Cast_3_output_0", ""], ["/Pad_output_0"], mode="constant", name="/Pad")]
    n.append(helper.make_node("Transpose", ["/Pad_output_0"], ["/Transpose_1_output_0"], perm=[0, 3, 1, 2], name="/Transpose_1"))
    n.append(helper.make_node("Conv", ["/Transpose_1_output_0", "onnx::Conv_1"], ["/Conv_output_0"], kernel_shape=[3, 3],
                              pads=[0, 0, 0, 0], strides=[1, 1], name="/Conv"))
    n.append(helper.make_node("Transpose", ["/Conv_output_0"], ["/Transpose_2_output_0"], perm=[0, 2, 3, 1], name="/Transpose_2"))
    n.append(helper.make_node("Cast", ["/Transpose_2_output_0"], ["/Cast_5_output_0"], to=1, name="/Cast_5"))
    n.append(helper.make_node("Add", ["/Cast_5_output_0", "onnx::Add_b1"], ["/Add_output_0"], name="/Add"))
    n.append(helper.make_node("Sub", ["/Add_output_0", "onnx::Sub_m1"], ["/Sub_1_output_0"], name="/Sub_1"))
    n.append(helper.make_node("Mul", ["/Sub_1_output_0", "onnx::Mul_s1"], ["/Mul_1_output_0"], name="/Mul_1"))
    n.append(helper.make_node("Add", ["/Mul_1_output_0", "onnx::Add_t1"], ["/Add_1_output_0"], name="/Add_1"))
    n.append(helper.make_node("Relu", ["/Add_1_output_0"], ["/Relu_output_0"], name="/Relu"))
    # Edge pad by one on the right/bottom, then a 3x3/2 max pool (NCHW between Transposes).
    n += [cnode("/Constant_6_output_0", np.array([0, 0, 0, 0, 0, 1, 1, 0], np.int64)),
          helper.make_node("Pad", ["/Relu_output_0", "/Constant_6_output_0"], ["/Pad_1_output_0"], mode="edge", name="/Pad_1"),
          helper.make_node("Transpose", ["/Pad_1_output_0"], ["/Transpose_3_output_0"], perm=[0, 3, 1, 2], name="/Transpose_3"),
          helper.make_node("MaxPool", ["/Transpose_3_output_0"], ["/MaxPool_output_0"], kernel_shape=[3, 3], strides=[2, 2],
                           name="/MaxPool"),
          helper.make_node("Transpose", ["/MaxPool_output_0"], ["/Transpose_4_output_0"], perm=[0, 2, 3, 1], name="/Transpose_4"),
          helper.make_node("Transpose", ["/Transpose_4_output_0"], ["/Transpose_5_output_0"], perm=[0, 3, 1, 2], name="/Transpose_5"),
          helper.make_node("Conv", ["/Transpose_5_output_0", "onnx::Conv_2"], ["/Conv_1_output_0"], kernel_shape=[1, 1],
                           name="/Conv_1"),
          helper.make_node("Transpose", ["/Conv_1_output_0"], ["/Transpose_6_output_0"], perm=[0, 2, 3, 1], name="/Transpose_6"),
          helper.make_node("Add", ["/Transpose_6_output_0", "onnx::Add_b2"], ["/Add_2_output_0"], name="/Add_2"),
          helper.make_node("Add", ["/Add_2_output_0", "/Transpose_4_output_0"], ["/Add_3_output_0"], name="/Add_3"),
          helper.make_node("Relu", ["/Add_3_output_0"], ["/Relu_1_output_0"], name="/Relu_1"),
          helper.make_node("Cast", ["/Relu_1_output_0"], ["/Cast_9_output_0"], to=1, name="/Cast_9"),
          helper.make_node("ReduceMean", ["/Cast_9_output_0"], ["/ReduceMean_output_0"], axes=[1, 2], keepdims=0,
                           name="/ReduceMean"),
          helper.make_node("MatMul", ["/ReduceMean_output_0", "onnx::MatMul_fc"], ["/MatMul_output_0"], name="/MatMul"),
          helper.make_node("Add", ["/MatMul_output_0", "onnx::Add_fc"], ["/Add_4_output_0"], name="/Add_4"),
          helper.make_node("Softmax", ["/Add_4_output_0"], ["prob"], axis=-1, name="/Softmax")]
    m = model(n, inits, "input_0", ["batch", 10, 10, 3], "prob", 3, 17)
    # Caffe: BGR in 0..255 minus the mean, times 1/58: mean = mean/255, std = 58/255, listed B, G, R.
    sidecar = {"channel_order": "bgr", "mean": (mean / 255).tolist(), "std": [58 / 255] * 3}
    return m, sidecar, "/Relu_1_output_0", True, True, [C, 5, 5], None


def paddle_lcnet():
    rng = np.random.default_rng(13)
    n, inits = [], []
    C = 8

    def bn(name, c):
        return [const(name + ".w_0", (1 + 0.3 * rng.standard_normal(c)).astype(np.float32)),
                const(name + ".b_0", w(rng, c, scale=0.2)), const(name + ".w_1", w(rng, c, scale=0.2)),
                const(name + ".w_2", (0.5 + rng.random(c)).astype(np.float32))]
    inits += [const("conv2d_0.w_0", w(rng, C, 3, 3, 3))] + bn("batch_norm2d_0", C)
    inits += [const("conv2d_1.w_0", w(rng, C, 1, 3, 3, scale=0.5))] + bn("batch_norm2d_1", C)
    inits += [const("conv2d_2.w_0", w(rng, 4, C, 1, 1)), const("conv2d_2.b_0", w(rng, 4, scale=0.1)),
              const("conv2d_3.w_0", w(rng, C, 4, 1, 1)), const("conv2d_3.b_0", w(rng, C, scale=0.1)),
              const("linear_0.w_0", w(rng, C, 4, scale=0.5)), const("linear_0.b_0", w(rng, 4, scale=0.1)),
              const("helper.constant.1", np.array([0, -1], np.int64))]

    def bnnode(x, name, out):
        return helper.make_node("BatchNormalization", [x, name + ".w_0", name + ".b_0", name + ".w_1", name + ".w_2"], [out],
                                epsilon=1e-5, momentum=0.9, name=name)
    n += [helper.make_node("Conv", ["x", "conv2d_0.w_0"], ["p2o.pd_op.conv2d.0.0"], kernel_shape=[3, 3], pads=[1, 1, 1, 1],
                           strides=[2, 2], name="Conv.0"),
          helper.make_node("Identity", ["p2o.pd_op.conv2d.0.0"], ["p2o.pd_op.conv2d.0.1"], name="Identity.0"),
          bnnode("p2o.pd_op.conv2d.0.1", "batch_norm2d_0", "p2o.pd_op.batch_norm_.0.0"),
          helper.make_node("HardSwish", ["p2o.pd_op.batch_norm_.0.0"], ["p2o.pd_op.hardswish.0.0"], name="HardSwish.0"),
          helper.make_node("Conv", ["p2o.pd_op.hardswish.0.0", "conv2d_1.w_0"], ["p2o.pd_op.conv2d.1.0"], kernel_shape=[3, 3],
                           pads=[1, 1, 1, 1], group=C, name="Conv.1"),
          bnnode("p2o.pd_op.conv2d.1.0", "batch_norm2d_1", "p2o.pd_op.batch_norm_.1.0"),
          helper.make_node("HardSwish", ["p2o.pd_op.batch_norm_.1.0"], ["p2o.pd_op.hardswish.1.0"], name="HardSwish.1"),
          helper.make_node("GlobalAveragePool", ["p2o.pd_op.hardswish.1.0"], ["p2o.pd_op.pool2d.0.0"], name="GlobalAveragePool.0"),
          helper.make_node("Conv", ["p2o.pd_op.pool2d.0.0", "conv2d_2.w_0", "conv2d_2.b_0"], ["p2o.pd_op.conv2d.2.0"],
                           kernel_shape=[1, 1], name="Conv.2"),
          helper.make_node("Relu", ["p2o.pd_op.conv2d.2.0"], ["p2o.pd_op.relu.0.0"], name="Relu.0"),
          helper.make_node("Conv", ["p2o.pd_op.relu.0.0", "conv2d_3.w_0", "conv2d_3.b_0"], ["p2o.pd_op.conv2d.3.0"],
                           kernel_shape=[1, 1], name="Conv.3"),
          helper.make_node("HardSigmoid", ["p2o.pd_op.conv2d.3.0"], ["p2o.pd_op.hardsigmoid.0.0"], alpha=1 / 6, beta=0.5,
                           name="HardSigmoid.0"),
          helper.make_node("Mul", ["p2o.pd_op.hardswish.1.0", "p2o.pd_op.hardsigmoid.0.0"], ["Mul.1"], name="Mul.0"),
          helper.make_node("Identity", ["Mul.1"], ["p2o.pd_op.multiply.0.0"], name="Identity.1"),
          helper.make_node("GlobalAveragePool", ["p2o.pd_op.multiply.0.0"], ["p2o.pd_op.pool2d.1.0"], name="GlobalAveragePool.1"),
          helper.make_node("Reshape", ["p2o.pd_op.pool2d.1.0", "helper.constant.1"], ["p2o.pd_op.flatten.0.0"], name="Reshape.0"),
          helper.make_node("MatMul", ["p2o.pd_op.flatten.0.0", "linear_0.w_0"], ["p2o.pd_op.matmul.0.0"], name="MatMul.0"),
          helper.make_node("Add", ["p2o.pd_op.matmul.0.0", "linear_0.b_0"], ["Add.1"], name="Add.0"),
          helper.make_node("Identity", ["Add.1"], ["p2o.pd_op.add.0.0"], name="Identity.2"),
          helper.make_node("Softmax", ["p2o.pd_op.add.0.0"], ["fetch_name_0"], axis=-1, name="Softmax.0")]
    m = model(n, inits, "x", ["DynamicDimension.0", 3, 12, 12], "fetch_name_0", 4, 15)
    sidecar = {"channel_order": "bgr", "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225]}
    # The last spatial activation before the final pooling: the SE block's output (Identity of the Mul).
    return m, sidecar, "p2o.pd_op.multiply.0.0", False, False, [C, 6, 6], None


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "Tests/Fixtures/onnx/byom")
    os.makedirs(out, exist_ok=True)
    for i, make in enumerate((keras_tf2onnx, caffe_nhwc, paddle_lcnet)):
        name = make.__name__
        m, sidecar, layer, nhwc, layer_nhwc, chw, short = make()
        path = os.path.join(out, name + ".onnx")
        onnx.save(m, path)
        with open(os.path.join(out, name + ".json"), "w") as f:
            json.dump(sidecar, f, indent=1)
        rng = np.random.default_rng(100 + i)
        shape = [d.dim_value or 1 for d in m.graph.input[0].type.tensor_type.shape.dim]
        # A smooth random "image" (low-frequency pattern plus noise), never zeros.
        x = rng.standard_normal(shape).astype(np.float32)
        if name == "caffe_nhwc":
            x = (x * 40 + 115).astype(np.float32)   # raw 0..255-like pixels: the graph subtracts the mean
        d = os.path.join(out, name)
        os.makedirs(d, exist_ok=True)
        np.save(os.path.join(d, "input.npy"), x)
        info = reference(path, x, layer, d, nhwc, eps_rel=1e-2, layer_nhwc=layer_nhwc)
        assert info["layer_shape_chw"] == chw, (name, info["layer_shape_chw"], chw)
        info["short_name"] = short
        with open(os.path.join(d, "ref.json"), "w") as f:
            json.dump(info, f, indent=1)
        print(name, os.path.getsize(path), "bytes", info)


if __name__ == "__main__":
    main()
