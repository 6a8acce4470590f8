#!/usr/bin/env python3
"""Make the crafted files of Tests/Fixtures/limits/: one per resource limit of
docs/RELIABILITY.md section 3, each a few hundred bytes whose HEADER asks for
more than igcam accepts, and beside each a control that differs only in the
offending number and is within the limit (the tests load the control, so a
refusal of the crafted file is the limit's doing, not a malformed file's).

The files are made with Pillow, zlib, numpy-free byte writing and the onnx
package (controls pass onnx.checker), never with igcam's own code.

Usage: python3 tools/make_limit_fixtures.py [outdir]
"""
import io
import os
import struct
import sys
import zlib

import onnx
from onnx import TensorProto, helper
from PIL import Image

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "Tests", "Fixtures", "limits")
os.makedirs(OUT, exist_ok=True)


def write(name, data):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)
    print(f"{name}: {len(data)} bytes")


# ------------------------------------------------------------------ images (limit: 2^26 pixels)

def png_chunk(kind, body):
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


def png(width, height, pixels_w=4, pixels_h=4):
    """An RGB8 PNG whose IHDR says width x height, with the (valid) image data of a
    pixels_w x pixels_h image: every CRC is right, only the header lies."""
    rows = b"".join(b"\x00" + bytes((x * 60 + y * 20) % 256 for x in range(pixels_w * 3)) for y in range(pixels_h))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", zlib.compress(rows)) + png_chunk(b"IEND", b"")


write("png_4x4.png", png(4, 4))                       # control: decodes
write("png_8193x8193.png", png(8193, 8193))           # 67,125,249 > 2^26 = 67,108,864 pixels


def jpeg(width, height):
    """A real 16x16 baseline JPEG (Pillow) whose SOF0 header is patched to width x height."""
    img = Image.new("RGB", (16, 16))
    img.putdata([((x * 16) % 256, (y * 16) % 256, 128) for y in range(16) for x in range(16)])
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=90)
    b = bytearray(buf.getvalue())
    sof = b.find(b"\xff\xc0")
    assert sof > 0 and struct.unpack(">HH", b[sof + 5:sof + 9]) == (16, 16)
    b[sof + 5:sof + 9] = struct.pack(">HH", height, width)
    return bytes(b)


write("jpeg_16x16.jpg", jpeg(16, 16))                 # control: decodes
write("jpeg_8193x8193.jpg", jpeg(8193, 8193))         # > 2^26 pixels


# ------------------------------------------------------------------ .npy (shape overflow, data beyond the file)

def npy(descr, shape_text, data):
    header = "{'descr': '%s', 'fortran_order': False, 'shape': %s, }" % (descr, shape_text)
    pad = (64 - (10 + len(header) + 1) % 64) % 64
    header = header + " " * pad + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode() + data


sixteen = struct.pack("<4f", 0.5, -1.25, 3.0, 7.5)
write("npy_2x2.npy", npy("<f4", "(2, 2)", sixteen))                                    # control
write("npy_count_overflow.npy", npy("<f4", "(4611686018427387904, 4)", sixteen))      # 2^62 * 4 = 2^64 values
write("npy_bytes_overflow.npy", npy("<f8", "(2305843009213693952,)", sixteen))        # 2^61 values * 8 bytes = 2^64
write("npy_data_beyond.npy", npy("<f4", "(1000000, 1000)", sixteen))                  # 4e9 bytes claimed, 16 present


# ------------------------------------------------------------------ ONNX

def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def field(number, payload):
    """A length-delimited protobuf field."""
    return varint(number << 3 | 2) + varint(len(payload)) + payload


def tensor(dims, raw, name="W"):
    t = TensorProto()
    t.name = name
    t.data_type = TensorProto.FLOAT
    t.dims.extend(dims)
    t.raw_data = raw
    return t


def model(input_dims, nodes, initializers=(), extra_graph_bytes=b""):
    out_dims = list(input_dims) if nodes[0].op_type == "Relu" else [1, 2] + list(input_dims[2:])
    g = helper.make_graph(nodes, "limit",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, input_dims)],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, out_dims)],
                          initializer=list(initializers))
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)], producer_name="make_limit_fixtures")
    m.ir_version = 8
    if not extra_graph_bytes:
        return m, m.SerializeToString()
    # Append hand-encoded graph fields (a repeated field may appear anywhere): model field 7 = graph.
    graph_bytes = m.graph.SerializeToString() + extra_graph_bytes
    m.ClearField("graph")
    return m, m.SerializeToString() + field(7, graph_bytes)


def check(m, data):
    onnx.checker.check_model(onnx.load_from_string(data) if m is None else m, full_check=False)


conv = helper.make_node("Conv", ["x", "W"], ["y"], name="conv")
relu = helper.make_node("Relu", ["x"], ["y"], name="relu")
w8 = struct.pack("<2f", 0.5, -2.0)

# Initializer over 2^31 values: dims 65536 x 65536 x 1 x 1 = 2^32, 8 bytes of data.
m, d = model([1, 1, 8, 8], [conv], [tensor([2, 1, 1, 1], w8)])
check(m, d); write("onnx_conv_ok.onnx", d)                       # control: loads, output 1x2x8x8
m, d = model([1, 1, 8, 8], [conv], [tensor([65536, 65536, 1, 1], w8)])
write("onnx_initializer_2p32.onnx", d)

# An initializer whose raw bytes are not in the file: 1024x1024x16x16 floats (1 GiB) declared, 8 bytes given.
m, d = model([1, 1, 8, 8], [conv], [tensor([1024, 1024, 16, 16], w8)])
write("onnx_raw_short.onnx", d)

# raw_data whose protobuf length runs past the end of its tensor and of the file: the field says
# 2^30 bytes, 8 follow. The tensor and graph lengths around it are right (hand-encoded).
head = tensor([2, 1, 1, 1], b"").SerializeToString()
bad_tensor = head + varint(9 << 3 | 2) + varint(1 << 30) + w8
good_tensor = head + field(9, w8)
m, d = model([1, 1, 8, 8], [conv], extra_graph_bytes=field(5, good_tensor))
check(None, d); write("onnx_raw_field_ok.onnx", d)               # control: the same encoding, honest length
m, d = model([1, 1, 8, 8], [conv], extra_graph_bytes=field(5, bad_tensor))
write("onnx_raw_field_beyond.onnx", d)

# External data beyond the end of its file: length 2^30 of an 8-byte file.
write("limit_external.weights", w8)


def external(length):
    t = TensorProto()
    t.name = "W"
    t.data_type = TensorProto.FLOAT
    t.dims.extend([2, 1, 1, 1])
    t.data_location = TensorProto.EXTERNAL
    for k, v in (("location", "limit_external.weights"), ("offset", "0"), ("length", str(length))):
        e = t.external_data.add()
        e.key, e.value = k, v
    return t


m, d = model([1, 1, 8, 8], [conv], [external(8)])
write("onnx_external_ok.onnx", d)                                # control (checker would need the file path)
m, d = model([1, 1, 8, 8], [conv], [external(1 << 30)])
write("onnx_external_beyond.onnx", d)

# Activations over 2^28 values per image by shape inference: a 1x1 Conv to 2 channels of a
# 1x16384x16384 input gives 2 x 2^28 values. Control: 1x8192x16384 gives exactly 2^28 (accepted).
m, d = model([1, 1, 8192, 16384], [conv], [tensor([2, 1, 1, 1], w8)])
check(m, d); write("onnx_activations_2p28.onnx", d)
m, d = model([1, 1, 16384, 16384], [conv], [tensor([2, 1, 1, 1], w8)])
check(m, d); write("onnx_activations_2p29.onnx", d)

# Input dimension 2^20 (refused) and 2^20 - 1 (accepted).
m, d = model([1, 1, (1 << 20) - 1, 1], [relu])
check(m, d); write("onnx_input_dim_ok.onnx", d)
m, d = model([1, 1, 1 << 20, 1], [relu])
check(m, d); write("onnx_input_dim_2p20.onnx", d)
