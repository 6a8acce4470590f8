#!/usr/bin/env python3
"""Check that numpy reads the .npy files IGImaging's writeNPY produced.

    mkdir -p /tmp/npycheck
    IGCAM_NPY_EXPORT=/tmp/npycheck swift test -c release --filter IGImagingTests.NPYTests/testExportForNumpyCheck
    python3 tools/check_npy_with_numpy.py /tmp/npycheck
"""
import sys
import numpy as np

d = sys.argv[1]
a = np.load(d + "/swift_3x4x5.npy")
assert a.dtype == np.dtype("<f4") and a.shape == (3, 4, 5) and a.flags.c_contiguous, (a.dtype, a.shape)
assert np.array_equal(a, (np.arange(60, dtype=np.float32) * np.float32(0.25) - np.float32(7.5)).reshape(3, 4, 5))
b = np.load(d + "/swift_3.npy")
assert b.dtype == np.dtype("<f4") and b.shape == (3,)
assert np.array_equal(b, np.array([0.1, -np.finfo(np.float32).max, np.finfo(np.float32).smallest_subnormal], dtype=np.float32))
c = np.load(d + "/swift_scalar.npy")
assert c.shape == () and c == np.float32(42)
for name in ["swift_3x4x5.npy", "swift_3.npy", "swift_scalar.npy"]:
    raw = open(d + "/" + name, "rb").read()
    hl = raw[8] | raw[9] << 8
    assert raw[6:8] == b"\x01\x00" and (10 + hl) % 64 == 0, name
    # numpy's own header for the same array must be byte-identical
    import io
    buf = io.BytesIO(); np.save(buf, np.load(d + "/" + name)); assert buf.getvalue() == raw, name + " differs from numpy's own encoding"
print("numpy reads all IGImaging .npy files; headers byte-identical to numpy.save")
