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
#
# A cache: a model is skipped when OUTDIR/NAME.stamp records the same inputs
# (these scripts, the photo, the package versions, the model's line) and the
# files it lists still exist. Never fails the build for want of PyTorch: it
# then prints why and exits 0, and the Swift tests skip (XCTSkip) saying so.
# A failing export of one mode is reported; the other mode still runs.
set -uo pipefail

OUT=${1:?usage: tools/ci_fixtures.sh OUTDIR}
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
PHOTO=assets/photos/cat.png

# name  middle-layer  last-conv-layer (= the sidecar's default layer)  dynamo modes
MODELS="
resnet50      layer2                 layer4.2        0,1
mobilenet_v2  features.10            features.18     0,1
densenet121   features.denseblock3   features.norm5  0
vgg16         features.15            features.29     0
"

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
T0=$(now)

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
INPUTS=$(cat "$0" tools/export_torchvision.py tools/igcommon.py tools/parity_fixtures.py "$PHOTO" | sha256sum | cut -c1-16)

echo "$MODELS" | while read -r NAME MID LAST MODES; do
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
    case "$MODES" in 0,1|1,0) DYN=both ;; *) DYN=$MODES ;; esac
    t=$(now)
    "$PY" tools/export_torchvision.py --out "$OUT" --models "$NAME" --dynamo "$DYN" 2>&1 |
        grep -v -e Warning -e 'torch.onnx.export(' -e 'return cls.__new__' -e '^\[torch.onnx\]'
    echo "ci_fixtures: $NAME: export (dynamo $MODES) $(secs "$t" "$(now)") s"
    PRODUCED=""
    for MODE in ${MODES//,/ }; do
        FILE="$NAME"; [ "$MODE" = 1 ] && FILE="$NAME-dynamo"
        if [ ! -f "$OUT/$FILE.onnx" ] || [ ! -f "$OUT/$FILE.json" ]; then
            echo "ci_fixtures: $FILE: export FAILED (its tests will skip)"
            continue
        fi
        e=$(now)
        "$PY" tools/parity_fixtures.py --arch "$NAME" --model "$OUT/$FILE.onnx" --sidecar "$OUT/$FILE.json" \
            --images "$PHOTO" --layers "$MID,$LAST" --out "$OUT/fixtures/$FILE" 2>&1 | sed 's/^/    /'
        if [ ! -f "$OUT/fixtures/$FILE/manifest.json" ]; then
            echo "ci_fixtures: $FILE: fixtures FAILED (its tests will skip)"
            continue
        fi
        echo "ci_fixtures: $FILE: $(du -m "$OUT/$FILE.onnx" | cut -f1) MB; fixtures $(secs "$e" "$(now)") s"
        PRODUCED="$PRODUCED $FILE.onnx $FILE.json fixtures/$FILE/manifest.json"
    done
    { echo "$KEY"; for p in $PRODUCED; do echo "$p"; done; } > "$STAMP"
done
echo "ci_fixtures: done in $(secs "$T0" "$(now)") s total; fixtures in $OUT"
exit 0
