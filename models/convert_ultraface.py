#!/usr/bin/python3
"""Cut UltraFace RFB-320 (fr_detect.onnx) at its head convolutions.

Usage: convert_ultraface.py fr_detect.onnx OUT.onnx

Source: faceplugin-face-recognition-js@0.0.1, model/fr_detect.onnx (MIT): Linzaer's
Ultra-Light-Fast-Generic-Face-Detector RFB-320, opset 9, input fixed at 1x3x240x320.
The shipped graph ends in Shape/Gather/Reshape/Concat nodes and a box decoding against
4420 constant priors made for 320x240 only. This script keeps the network up to its
eight head convolutions (a score head and a box head at each of the strides 8, 16, 32
and 64), makes those the outputs, drops everything after them, and leaves the input's
height and width open, so OpenCV 4.6 runs it at any size. The C side (models/ultraface.c)
makes the priors and decodes the boxes, as the removed nodes did.

Contract (the C side depends on it):
  input  "input"  float32 1x3xHxW, NCHW, RGB, (x - 127) / 128; any H and W (the grids
                  at stride s are ceil(H/s) x ceil(W/s))
  output "cls8", "cls16", "cls32", "cls64"   float32 1x(2A)xGHxGW: per anchor a
                  (background, face) logit pair, channel 2a + k (softmax in C)
  output "box8", "box16", "box32", "box64"   float32 1x(4A)xGHxGW: per anchor
                  (dcx, dcy, dw, dh), channel 4a + k, SSD-encoded with variances 0.1, 0.2
  A (anchors per cell) = 3, 2, 2, 3 with sizes [10 16 24], [32 48], [64 96], [128 192 256]
  input pixels, centred at ((x + 0.5) W / GW, (y + 0.5) H / GH) for grids of GW x GH
  cells (ceil(W / s) x ceil(H / s)).

Every weight is copied unchanged. Deterministic bytes; needs only python3-onnx.
"""
import sys

import onnx
from onnx import helper

from model_io import write_model

# Head convolution outputs of fr_detect.onnx -> our output names. The score heads
# at stride 8-32 are depthwise 3x3 + ReLU + 1x1 convs; the last ones are 3x3 convs.
HEADS = [
    ("classification_headers.0.2.weight", "cls8"),
    ("regression_headers.0.2.weight", "box8"),
    ("classification_headers.1.2.weight", "cls16"),
    ("regression_headers.1.2.weight", "box16"),
    ("classification_headers.2.2.weight", "cls32"),
    ("regression_headers.2.2.weight", "box32"),
    ("classification_headers.3.weight", "cls64"),
    ("regression_headers.3.weight", "box64"),
]
# Output channels of each head, as the C decoder expects them.
CHANNELS = {"cls8": 6, "box8": 12, "cls16": 4, "box16": 8, "cls32": 4, "box32": 8,
            "cls64": 6, "box64": 12}


def cut(model):
    g = model.graph
    by_weight = {n.input[1]: n for n in g.node if n.op_type == "Conv"}
    renames = {}
    for weight, name in HEADS:
        node = by_weight.get(weight)
        if node is None:
            raise SystemExit(f"head convolution with weight {weight} not found: not RFB-320?")
        renames[node.output[0]] = name
    # Keep the nodes the heads need (the graph is topologically sorted).
    producer = {o: n for n in g.node for o in n.output}
    needed, stack = set(), list(renames)
    while stack:
        t = stack.pop()
        n = producer.get(t)
        if n is None or id(n) in needed:
            continue
        needed.add(id(n))
        stack.extend(n.input)
    nodes = []
    for n in g.node:
        if id(n) not in needed:
            continue
        if n.op_type not in ("Conv", "Relu", "Concat", "Add", "Mul", "Constant"):
            raise SystemExit(f"unexpected {n.op_type} node before the heads")
        n = onnx.NodeProto.FromString(n.SerializeToString())
        for i, o in enumerate(n.output):
            n.output[i] = renames.get(o, o)
        nodes.append(n)
    used = {i for n in nodes for i in n.input}
    inits = [t for t in g.initializer if t.name in used]
    inp = helper.make_tensor_value_info("input", onnx.TensorProto.FLOAT,
                                        [1, 3, "height", "width"])
    outs = [helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT,
                                          [1, CHANNELS[name], f"{name}_h", f"{name}_w"])
            for _, name in HEADS]
    graph = helper.make_graph(nodes, "ultraface_rfb320_heads", [inp], outs, initializer=inits)
    out = helper.make_model(graph, producer_name="consentblur convert_ultraface.py",
                            producer_version="1", opset_imports=model.opset_import)
    out.ir_version = model.ir_version
    out.doc_string = ("UltraFace RFB-320 from faceplugin-face-recognition-js@0.0.1 "
                      "model/fr_detect.onnx, cut at its head convolutions (any input size)")
    onnx.checker.check_model(out)
    return out


def main(argv):
    if len(argv) != 3:
        print(f"usage: {argv[0]} fr_detect.onnx OUT.onnx", file=sys.stderr)
        return 2
    write_model(cut(onnx.load(argv[1])), argv[2])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
