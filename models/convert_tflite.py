#!/usr/bin/python3
"""Convert a TensorFlow Lite convolutional network to ONNX that OpenCV 4.6 runs at any size.

Usage: convert_tflite.py MODEL.tflite OUT.onnx

Made for MediaPipe's full-range BlazeFace (@mediapipe/face_detection@0.4.1657300184,
face_detection_full_range.tflite, Apache-2.0: dense, float16 weights, input 1x192x192x3),
and for the operators such networks use: CONV_2D, DEPTHWISE_CONV_2D, ADD, RELU,
MAX_POOL_2D, PAD, RESIZE_BILINEAR, RESHAPE, DEQUANTIZE. Any other operator, a fused
activation other than NONE/RELU, a dilation, or a quantised (int8) tensor is refused
with a message naming it.

What changes on the way (and why):
- Layout: TFLite is NHWC, the ONNX graph is NCHW (what OpenCV's dnn runs natively).
  Convolution kernels OHWI -> OIHW, depthwise 1HWC -> C1HW (group = C).
- DEQUANTIZE of a constant (the float16 weights) is done here: float16 -> float32, the
  exact conversion TFLite does at run time.
- Sizes are left open: the input is 1x3xHxW. TFLite's SAME padding depends on the input
  size; it is written as the explicit padding it gives when every stride-2 operator sees
  an even size, which holds when H and W are multiples of the network's total stride
  (32 for the full-range model: five stride-2 layers; the C side pads its input to that). RESIZE_BILINEAR's
  fixed output size becomes a fixed scale factor (output / input of the original).
- RESHAPE ops at the end (which flatten the head outputs to 1xNxK for a fixed N) are
  left out: their inputs, the head convolutions, become the graph outputs, NCHW,
  named as in the TFLite file (e.g. classifier_face_4 1x1x(H/4)x(W/4) and
  regressor_face_4 1x16x(H/4)x(W/4)). The C side decodes the anchors.
- The input keeps TFLite's name ("input"); it takes RGB in the range the original
  expects ([-1, 1] for BlazeFace); normalisation is done by the caller.

ONNX opset 11 (Resize with coordinate_transformation_mode), IR 6. Deterministic bytes:
the same .tflite gives the same output. Needs only python3-onnx and numpy.
"""
import os
import struct
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from model_io import write_model

OPSET = 11

# BuiltinOperator codes (tensorflow/lite/schema/schema.fbs)
ADD, CONV_2D, DEPTHWISE_CONV_2D, DEQUANTIZE = 0, 3, 4, 6
MAX_POOL_2D, RELU, RESHAPE, RESIZE_BILINEAR, PAD = 17, 19, 22, 23, 34
OP_NAMES = {ADD: "ADD", CONV_2D: "CONV_2D", DEPTHWISE_CONV_2D: "DEPTHWISE_CONV_2D",
            DEQUANTIZE: "DEQUANTIZE", MAX_POOL_2D: "MAX_POOL_2D", RELU: "RELU",
            RESHAPE: "RESHAPE", RESIZE_BILINEAR: "RESIZE_BILINEAR", PAD: "PAD"}
# TensorType
FLOAT32, FLOAT16, INT32 = 0, 1, 2
NUMPY_TYPES = {FLOAT32: "<f4", FLOAT16: "<f2", INT32: "<i4"}
# Padding, ActivationFunctionType
SAME, VALID = 0, 1
ACT_NONE, ACT_RELU = 0, 1


class Table:
    """One FlatBuffers table: fields by index, as the schema numbers them."""

    def __init__(self, buf, pos):
        self.buf, self.pos = buf, pos
        self.vtable = pos - struct.unpack_from("<i", buf, pos)[0]
        self.vsize = struct.unpack_from("<H", buf, self.vtable)[0]

    def _field(self, i):
        o = 4 + 2 * i
        return struct.unpack_from("<H", self.buf, self.vtable + o)[0] if o < self.vsize else 0

    def scalar(self, i, fmt, default=0):
        o = self._field(i)
        return struct.unpack_from("<" + fmt, self.buf, self.pos + o)[0] if o else default

    def _indirect(self, i):
        o = self._field(i)
        if not o:
            return None
        return self.pos + o + struct.unpack_from("<I", self.buf, self.pos + o)[0]

    def table(self, i):
        p = self._indirect(i)
        return Table(self.buf, p) if p is not None else None

    def _vector(self, i):
        p = self._indirect(i)
        if p is None:
            return 0, 0
        return p + 4, struct.unpack_from("<I", self.buf, p)[0]

    def tables(self, i):
        p, n = self._vector(i)
        return [Table(self.buf, p + 4 * k + struct.unpack_from("<I", self.buf, p + 4 * k)[0])
                for k in range(n)]

    def ints(self, i):
        p, n = self._vector(i)
        return list(struct.unpack_from(f"<{n}i", self.buf, p)) if n else []

    def string(self, i):
        p, n = self._vector(i)
        return self.buf[p:p + n].decode("utf-8")

    def data(self, i):
        p, n = self._vector(i)
        return self.buf[p:p + n]


def fail(msg):
    raise SystemExit(f"convert_tflite: {msg}")


class Model:
    """The one subgraph of a .tflite file: tensors, constants and operators."""

    def __init__(self, buf):
        if buf[4:8] != b"TFL3":
            fail("not a TFLite file (no TFL3 identifier)")
        root = Table(buf, struct.unpack_from("<I", buf, 0)[0])
        codes = []
        for c in root.tables(1):  # OperatorCode: deprecated_builtin_code (0), builtin_code (3)
            codes.append(max(c.scalar(0, "b"), c.scalar(3, "i")))
        subgraphs = root.tables(2)
        if len(subgraphs) != 1:
            fail(f"{len(subgraphs)} subgraphs; only one is supported")
        sg = subgraphs[0]
        buffers = root.tables(4)
        self.tensors = []  # (name, shape, type, raw bytes or b"")
        for t in sg.tables(0):
            if t.table(4) is not None and t.table(4).ints(3):  # quantization.zero_point
                fail(f"tensor {t.string(3)} is quantised; only float models are supported")
            self.tensors.append((t.string(3), t.ints(0), t.scalar(1, "b"),
                                 buffers[t.scalar(2, "I")].data(0)))
        self.inputs, self.outputs = sg.ints(1), sg.ints(2)
        self.ops = [(codes[op.scalar(0, "I")], op.ints(1), op.ints(2), op.table(4))
                    for op in sg.tables(3)]

    def constant(self, index):
        name, shape, ttype, raw = self.tensors[index]
        if not raw:
            return None
        if ttype not in NUMPY_TYPES:
            fail(f"tensor {name} has unsupported type {ttype}")
        return np.frombuffer(raw, dtype=NUMPY_TYPES[ttype]).reshape(shape)


def same_pads(kernel, stride):
    """TFLite SAME padding (begin, end) on an input whose size is a multiple of stride."""
    total = max(kernel - stride, 0)
    return total // 2, total - total // 2


class Converter:
    def __init__(self, model):
        self.m = model
        self.consts = {}  # tensor index -> float32/int32 ndarray
        self.nodes, self.inits = [], []
        self.init_names = set()

    def name(self, index):
        return self.m.tensors[index][0]

    def const(self, name, arr):
        if name not in self.init_names:
            self.init_names.add(name)
            self.inits.append(numpy_helper.from_array(np.ascontiguousarray(arr), name))
        return name

    def value(self, index):
        arr = self.consts.get(index)
        if arr is None:
            arr = self.m.constant(index)
        if arr is None:
            fail(f"tensor {self.name(index)} should be a constant")
        return arr

    def emit(self, op, inputs, out, **attrs):
        self.nodes.append(helper.make_node(op, inputs, [self.name(out)],
                                           name=self.name(out) + "/" + op, **attrs))

    def activation(self, out, act, what):
        """A fused activation: NONE, or RELU as a separate node."""
        if act == ACT_NONE:
            return self.name(out)
        if act != ACT_RELU:
            fail(f"{what} {self.name(out)}: fused activation {act} is not supported")
        pre = self.name(out) + "/pre_relu"
        self.nodes[-1].output[0] = pre
        self.nodes.append(helper.make_node("Relu", [pre], [self.name(out)],
                                           name=self.name(out) + "/Relu"))
        return self.name(out)

    def conv(self, ins, out, opt, depthwise):
        w = self.value(ins[1]).astype(np.float32)
        if depthwise:
            # padding 0, stride_w 1, stride_h 2, depth_multiplier 3, act 4, dilation 5, 6
            pad, sw, sh, act = opt.scalar(0, "b"), opt.scalar(1, "i"), opt.scalar(2, "i"), \
                opt.scalar(4, "b")
            dil = (opt.scalar(5, "i", 1), opt.scalar(6, "i", 1))
            if opt.scalar(3, "i", 1) != 1:
                fail(f"depthwise {self.name(out)}: depth multiplier other than 1")
            w_onnx, group = w.transpose(3, 0, 1, 2), w.shape[3]  # 1HWC -> C1HW
        else:
            # padding 0, stride_w 1, stride_h 2, act 3, dilation 4, 5
            pad, sw, sh, act = opt.scalar(0, "b"), opt.scalar(1, "i"), opt.scalar(2, "i"), \
                opt.scalar(3, "b")
            dil = (opt.scalar(4, "i", 1), opt.scalar(5, "i", 1))
            w_onnx, group = w.transpose(0, 3, 1, 2), 1  # OHWI -> OIHW
        if dil != (1, 1):
            fail(f"convolution {self.name(out)}: dilation is not supported")
        kh, kw = w_onnx.shape[2], w_onnx.shape[3]
        if pad == SAME:
            (pt, pb), (pl, pr) = same_pads(kh, sh), same_pads(kw, sw)
        else:
            pt = pb = pl = pr = 0
        inputs = [self.name(ins[0]), self.const(self.name(ins[1]), w_onnx)]
        if len(ins) > 2 and ins[2] >= 0:
            inputs.append(self.const(self.name(ins[2]), self.value(ins[2]).astype(np.float32)))
        self.emit("Conv", inputs, out, kernel_shape=[kh, kw], strides=[sh, sw],
                  pads=[pt, pl, pb, pr], dilations=[1, 1], group=group)
        self.activation(out, act, "convolution")

    def max_pool(self, ins, out, opt):
        # padding 0, stride_w 1, stride_h 2, filter_width 3, filter_height 4, act 5
        pad, sw, sh = opt.scalar(0, "b"), opt.scalar(1, "i"), opt.scalar(2, "i")
        fw, fh, act = opt.scalar(3, "i"), opt.scalar(4, "i"), opt.scalar(5, "b")
        if pad == SAME:
            (pt, pb), (pl, pr) = same_pads(fh, sh), same_pads(fw, sw)
        else:
            pt = pb = pl = pr = 0
        self.emit("MaxPool", [self.name(ins[0])], out, kernel_shape=[fh, fw],
                  strides=[sh, sw], pads=[pt, pl, pb, pr])
        self.activation(out, act, "max pool")

    def pad(self, ins, out):
        p = self.value(ins[1]).astype(np.int64)  # NHWC [[begin, end]] x 4
        if p.shape != (4, 2) or (p < 0).any():
            fail(f"pad {self.name(out)}: unexpected paddings {p.tolist()}")
        nchw = [0, 3, 1, 2]
        pads = [int(p[a, 0]) for a in nchw] + [int(p[a, 1]) for a in nchw]
        self.emit("Pad", [self.name(ins[0]), self.const(self.name(ins[1]) + "/nchw",
                                                         np.array(pads, np.int64))], out,
                  mode="constant")

    def resize(self, ins, out, opt):
        # align_corners 2, half_pixel_centers 3
        align, half = opt.scalar(2, "B") if opt else 0, opt.scalar(3, "B") if opt else 0
        _, in_shape, _, _ = self.m.tensors[ins[0]]
        _, out_shape, _, _ = self.m.tensors[out]
        scales = np.array([1, 1, out_shape[1] / in_shape[1], out_shape[2] / in_shape[2]],
                          np.float32)
        mode = "align_corners" if align else "half_pixel" if half else "asymmetric"
        roi = self.const("resize_roi_unused", np.zeros(0, np.float32))  # opset 11 needs one
        self.emit("Resize", [self.name(ins[0]), roi, self.const(self.name(out) + "/scales",
                                                                scales)], out,
                  mode="linear", coordinate_transformation_mode=mode)

    def convert(self):
        m = self.m
        if len(m.inputs) != 1:
            fail(f"{len(m.inputs)} inputs; one image input expected")
        graph_out = set(m.outputs)
        out_names = []
        for code, ins, outs, opt in m.ops:
            if code == DEQUANTIZE:
                self.consts[outs[0]] = self.value(ins[0]).astype(np.float32)
            elif code in (CONV_2D, DEPTHWISE_CONV_2D):
                self.conv(ins, outs[0], opt, code == DEPTHWISE_CONV_2D)
            elif code == ADD:
                self.emit("Add", [self.name(ins[0]), self.name(ins[1])], outs[0])
                self.activation(outs[0], opt.scalar(0, "b") if opt else 0, "add")
            elif code == RELU:
                self.emit("Relu", [self.name(ins[0])], outs[0])
            elif code == MAX_POOL_2D:
                self.max_pool(ins, outs[0], opt)
            elif code == PAD:
                self.pad(ins, outs[0])
            elif code == RESIZE_BILINEAR:
                self.resize(ins, outs[0], opt)
            elif code == RESHAPE and outs[0] in graph_out:
                out_names.append(ins[0])  # left open: the head becomes the output
            else:
                fail(f"operator {OP_NAMES.get(code, code)} is not supported here")
        if len(out_names) != len(m.outputs):
            fail("every graph output must be the RESHAPE of a head convolution")
        return out_names

    def model(self, source_name):
        outs = self.convert()
        inp = self.m.inputs[0]
        channels = self.m.tensors[inp][1][3]
        inputs = [helper.make_tensor_value_info(self.name(inp), TensorProto.FLOAT,
                                                [1, channels, "height", "width"])]
        outputs = [helper.make_tensor_value_info(
            self.name(o), TensorProto.FLOAT,
            [1, self.m.tensors[o][1][3], f"{self.name(o)}_h", f"{self.name(o)}_w"])
            for o in outs]
        graph = helper.make_graph(self.nodes, "tflite_" + source_name, inputs, outputs,
                                  initializer=self.inits)
        model = helper.make_model(graph, producer_name="consentblur convert_tflite.py",
                                  producer_version="1",
                                  opset_imports=[helper.make_opsetid("", OPSET)])
        model.ir_version = 6
        model.doc_string = f"{source_name} converted from TFLite (NCHW, any input size)"
        onnx.checker.check_model(model)
        return model


def main(argv):
    if len(argv) != 3:
        print(f"usage: {argv[0]} MODEL.tflite OUT.onnx", file=sys.stderr)
        return 2
    with open(argv[1], "rb") as f:
        buf = f.read()
    source = os.path.splitext(os.path.basename(argv[1]))[0]
    write_model(Converter(Model(buf)).model(source), argv[2])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
