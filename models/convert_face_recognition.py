#!/usr/bin/python3
"""Convert face-api's FaceRecognitionNet (dlib's ResNet-34, 128-d descriptors) to ONNX.

Usage: convert_face_recognition.py WEIGHTS_MANIFEST.json OUT.onnx

Source: @vladmandic/face-api@1.7.15, model/face_recognition_model-weights_manifest.json
and the .bin it names (mostly uint8-quantised, some float32; read by
tfjs_weights.load_weights, which dequantises exactly as tfjs does).
The graph reproduces src/faceRecognitionNet/{FaceRecognitionNet,convLayer,
residualLayer,scaleLayer,extractParamsFromWeightMap}.ts of that package, in NCHW:

  convDown      conv 7x7 stride 2 'valid' + bias, scale (x * w + b), relu
  maxPool       3x3 stride 2 'valid'
  residual      conv 3x3 'same' + bias, scale, relu; conv + bias, scale;
                + x; relu
  residualDown  conv 3x3 stride 2 'valid' + bias, scale, relu; conv 'same' +
                bias, scale; shortcut avgPool 2x2 stride 2 'valid'. When the
                conv branch is smaller than the shortcut (8 -> 3 vs 4, and
                4 -> 1 vs 2) a zero row is appended at the bottom and a zero
                column at the right of the conv branch; when the channel counts
                differ, zero channels are appended to the shortcut. Sum; relu.
  mean over H, W, then matmul with fc [256, 128].

The per-channel bias and scale that follow every convolution are folded into
it (W' = W * s, b' = b * s + t, computed in double, rounded once to float32).
This is exact in real arithmetic because nothing non-linear sits between the
convolution and the scale; in float32 it moves results by about 1e-6
relative (tests/test_recognition_reference.c measures the total difference
against face-api's TensorFlow.js network).

Contract (the C side, models/embedder.c, depends on it):
  input  "input"       float32 1x3x150x150, NCHW, RGB, normalised as face-api
                       does: (x - [122.782, 117.001, 104.298]) / 255 per
                       channel (R, G, B), x in 0..255
  output "descriptor"  float32 1x128, the raw descriptor (not L2-normalised;
                       dlib and face-api compare with Euclidean distance,
                       0.6 being their usual same-person threshold)

ONNX opset 10, only ops OpenCV 4.6's dnn importer runs. Deterministic bytes:
same input files give the same output file. Needs only python3-onnx and numpy.
"""
import sys

import numpy as np
from onnx import TensorProto, helper

from tfjs_weights import Graph, finish_model, main

INPUT_SIZE = 150
DESCRIPTOR_DIM = 128


def conv_scaled(g, W, x, hw, prefix, stride, padding, relu):
    """convLayer.ts: conv2d + bias, scale layer, optional relu; returns (out, out_hw, channels)."""
    filt = W[prefix + "/conv/filters"].astype(np.float64)   # TF [kh, kw, in, out]
    bias = W[prefix + "/conv/bias"].astype(np.float64)
    s = W[prefix + "/scale/weights"].astype(np.float64)
    t = W[prefix + "/scale/biases"].astype(np.float64)
    kh, kw, _, cout = filt.shape
    w = (filt * s).transpose(3, 2, 0, 1).astype(np.float32)  # ONNX [out, in, kh, kw]
    b = (bias * s + t).astype(np.float32)
    if padding == "valid":
        pads = [0, 0, 0, 0]
        out_hw = tuple((n - k) // stride + 1 for n, k in zip(hw, (kh, kw)))
    else:  # 'same' at stride 1 with odd kernels: symmetric
        assert stride == 1 and kh % 2 == 1 and kw % 2 == 1
        pads = [kh // 2, kw // 2, kh // 2, kw // 2]
        out_hw = hw
    y = g.node("Conv", [x, g.const(prefix + "/W", w), g.const(prefix + "/B", b)], prefix,
               kernel_shape=[kh, kw], strides=[stride, stride], pads=pads, dilations=[1, 1],
               group=1)
    if relu:
        y = g.node("Relu", [y], prefix + "/relu")
    return y, out_hw, cout


def residual(g, W, x, hw, c, prefix):
    """residualLayer.ts residual()."""
    out, _, _ = conv_scaled(g, W, x, hw, prefix + "/conv1", 1, "same", True)
    out, _, cout = conv_scaled(g, W, out, hw, prefix + "/conv2", 1, "same", False)
    assert cout == c, prefix
    out = g.node("Add", [out, x], prefix + "/add")
    return g.node("Relu", [out], prefix + "/relu"), hw, c


def residual_down(g, W, x, hw, c, prefix):
    """residualLayer.ts residualDown()."""
    out, ohw, _ = conv_scaled(g, W, x, hw, prefix + "/conv1", 2, "valid", True)
    out, ohw, cout = conv_scaled(g, W, out, ohw, prefix + "/conv2", 1, "same", False)
    pooled = g.node("AveragePool", [x], prefix + "/avgpool", kernel_shape=[2, 2], strides=[2, 2],
                    pads=[0, 0, 0, 0])
    phw = tuple((n - 2) // 2 + 1 for n in hw)
    if ohw != phw:
        # one zero row (axis 2) and one zero column (axis 3) appended to the conv branch
        assert phw == (ohw[0] + 1, ohw[1] + 1), (prefix, ohw, phw)
        out = g.node("Pad", [out], prefix + "/pad_hw", mode="constant", value=0.0,
                     pads=[0, 0, 0, 0, 0, 0, 1, 1])
        ohw = phw
    if cout != c:
        # zero channels appended to the shortcut
        assert cout > c, prefix
        pooled = g.node("Pad", [pooled], prefix + "/pad_c", mode="constant", value=0.0,
                        pads=[0, 0, 0, 0, 0, cout - c, 0, 0])
    out = g.node("Add", [pooled, out], prefix + "/add")
    return g.node("Relu", [out], prefix + "/relu"), ohw, cout


def build(W):
    g = Graph()
    hw = (INPUT_SIZE, INPUT_SIZE)
    x, hw, c = conv_scaled(g, W, "input", hw, "conv32_down", 2, "valid", True)
    x = g.node("MaxPool", [x], "maxpool", kernel_shape=[3, 3], strides=[2, 2], pads=[0, 0, 0, 0])
    hw = tuple((n - 3) // 2 + 1 for n in hw)

    for name in ("conv32_1", "conv32_2", "conv32_3"):
        x, hw, c = residual(g, W, x, hw, c, name)
    x, hw, c = residual_down(g, W, x, hw, c, "conv64_down")
    for name in ("conv64_1", "conv64_2", "conv64_3"):
        x, hw, c = residual(g, W, x, hw, c, name)
    x, hw, c = residual_down(g, W, x, hw, c, "conv128_down")
    for name in ("conv128_1", "conv128_2"):
        x, hw, c = residual(g, W, x, hw, c, name)
    x, hw, c = residual_down(g, W, x, hw, c, "conv256_down")
    for name in ("conv256_1", "conv256_2"):
        x, hw, c = residual(g, W, x, hw, c, name)
    x, hw, c = residual_down(g, W, x, hw, c, "conv256_down_out")

    # out.mean([1, 2]) then matMul(globalAvg, fc)
    fc = W["fc"].astype(np.float32)
    if fc.shape != (c, DESCRIPTOR_DIM):
        raise SystemExit(f"fc has shape {fc.shape}, expected ({c}, {DESCRIPTOR_DIM})")
    x = g.node("GlobalAveragePool", [x], "mean")
    x = g.node("Flatten", [x], "flatten", axis=1)
    g.node("Gemm", [x, g.const("fc/W", np.ascontiguousarray(fc.T)),
                    g.const("fc/B", np.zeros(DESCRIPTOR_DIM, dtype=np.float32))],
           "fc", outputs=["descriptor"], transB=1, alpha=1.0, beta=1.0)

    return finish_model(
        g, "faceapi_face_recognition",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, INPUT_SIZE, INPUT_SIZE])],
        [helper.make_tensor_value_info("descriptor", TensorProto.FLOAT, [1, DESCRIPTOR_DIM])],
        "consentblur-convert_face_recognition",
        "FaceRecognitionNet (dlib ResNet-34) from @vladmandic/face-api@1.7.15 (MIT), "
        "converted from TensorFlow.js weights. input: 1x3x150x150 RGB, "
        "(x - [122.782, 117.001, 104.298]) / 255; descriptor: 1x128.")


if __name__ == "__main__":
    sys.exit(main(sys.argv, build))
