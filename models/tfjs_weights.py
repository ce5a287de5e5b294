"""What the TensorFlow.js-to-ONNX converters of models/ share.

- load_weights: read a TF.js weights manifest and the .bin files it names,
  dequantised exactly as tfjs does (float32(q * scale + min), computed in
  double).
- Graph: a small builder for the ONNX graph (nodes, initializers, unique
  names).
- finish_model: wrap a Graph into a checked ONNX model (opset OPSET, IR 6).
- main: the converters' command line, `SCRIPT WEIGHTS_MANIFEST.json OUT.onnx`:
  load, build, and write OUT atomically (temp file, fsync, rename).

Imported by convert_ssd_mobilenetv1.py and convert_face_recognition.py (run
as scripts, so this folder is on sys.path). Deterministic: the same input
files give the same bytes. Needs only python3-onnx and numpy.
"""
import json
import os
import sys

import numpy as np
import onnx
from onnx import helper, numpy_helper

from model_io import write_model

OPSET = 10  # Clip with min/max attributes: OpenCV 4.6 cannot read opset-11 Clip (3 inputs)


def load_weights(manifest_path):
    """Return {name: float32 ndarray} for every float32 weight in the manifest."""
    with open(manifest_path, "r", encoding="utf-8") as f:
        manifest = json.load(f)
    base = os.path.dirname(os.path.abspath(manifest_path))
    weights = {}
    for group in manifest:
        blob = b"".join(open(os.path.join(base, p), "rb").read() for p in group["paths"])
        off = 0
        for spec in group["weights"]:
            shape = [int(d) for d in spec["shape"]]
            count = int(np.prod(shape)) if shape else 1
            q = spec.get("quantization")
            dtype = spec["dtype"]
            if q is not None:
                qdt = {"uint8": np.uint8, "uint16": np.uint16}.get(q["dtype"])
                if qdt is None:
                    raise SystemExit(f"{manifest_path}: unsupported quantisation {q['dtype']}")
                nbytes = count * np.dtype(qdt).itemsize
                raw = np.frombuffer(blob, dtype=qdt, count=count, offset=off).astype(np.float64)
                vals = raw * float(q["scale"]) + float(q["min"])
                if dtype == "float32":
                    arr = vals.astype(np.float32)
                else:  # int32 constants of the TF graph; not used by the net
                    arr = np.round(vals).astype(np.int32)
            else:
                npdt = {"float32": np.float32, "int32": np.int32}[dtype]
                nbytes = count * 4
                arr = np.frombuffer(blob, dtype=np.dtype(npdt).newbyteorder("<"), count=count,
                                    offset=off).astype(npdt)
            off += nbytes
            weights[spec["name"]] = arr.reshape(shape)
        if off != len(blob):
            raise SystemExit(f"{manifest_path}: weights use {off} bytes, files have {len(blob)}")
    return weights


class Graph:
    """Nodes and initializers of an ONNX graph under construction."""

    def __init__(self):
        self.nodes = []
        self.inits = []
        self.names = set()
        self.counter = 0

    def uniq(self, base):
        self.counter += 1
        return f"{base}_{self.counter}"

    def const(self, name, arr):
        assert name not in self.names, name
        self.names.add(name)
        self.inits.append(numpy_helper.from_array(np.ascontiguousarray(arr), name))
        return name

    def node(self, op, inputs, name_hint, n_out=1, outputs=None, **attrs):
        if outputs is None:
            outputs = [self.uniq(name_hint) + (f"_o{i}" if n_out > 1 else "") for i in range(n_out)]
        self.nodes.append(helper.make_node(op, inputs, outputs, name=self.uniq(name_hint + "/" + op),
                                           **attrs))
        return outputs if n_out > 1 else outputs[0]


def finish_model(g, graph_name, inputs, outputs, producer_name, doc_string):
    """The checked ONNX model (opset OPSET, IR version 6) of Graph g.

    inputs and outputs are lists of helper.make_tensor_value_info."""
    graph = helper.make_graph(g.nodes, graph_name, inputs, outputs, initializer=g.inits)
    model = helper.make_model(graph, producer_name=producer_name,
                              producer_version="1",
                              opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = 6
    model.doc_string = doc_string
    onnx.checker.check_model(model)
    return model


def main(argv, build):
    """`argv[0] WEIGHTS_MANIFEST.json OUT.onnx`: write build(load_weights(manifest))
    to OUT (via OUT.tmp, fsync, rename). Returns the exit status."""
    if len(argv) != 3:
        print(f"usage: {argv[0]} WEIGHTS_MANIFEST.json OUT.onnx", file=sys.stderr)
        return 2
    write_model(build(load_weights(argv[1])), argv[2])
    return 0
