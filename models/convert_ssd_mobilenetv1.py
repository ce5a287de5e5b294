#!/usr/bin/python3
"""Convert face-api's SSD MobileNetV1 face detector (TensorFlow.js weights) to ONNX.

Usage: convert_ssd_mobilenetv1.py WEIGHTS_MANIFEST.json OUT.onnx

Source: @vladmandic/face-api@1.7.15, model/ssd_mobilenetv1_model-weights_manifest.json
and the .bin it names (uint8-quantised; dequantised by tfjs_weights.load_weights
exactly as tfjs does: float32(q * scale + min), computed in double). The graph reproduces
src/ssdMobilenetv1/{mobileNetV1,predictionLayer,boxPredictionLayer,
pointwiseConvLayer,outputLayer}.ts of that package, in NCHW.

Contract (the C side depends on it):
  input  "input"  float32 1x3x512x512, NCHW, RGB, already normalised as
                  face-api does: x * 0.007843137718737125 - 1  (so [-1, 1])
  output "boxes"  float32 1x5118x4, decoded boxes [ymin, xmin, ymax, xmax]
                  normalised to 0..1 of the 512x512 input (outputLayer.ts
                  decoding against the Output/extra_dim anchors, in-graph;
                  not clipped)
  output "scores" float32 1x5118, sigmoid face probability (class 1), before NMS

ONNX opset 10, only ops OpenCV 4.6's dnn importer runs. Deterministic bytes:
same input files give the same output file. Needs only python3-onnx and numpy.
"""
import sys

import numpy as np
from onnx import TensorProto, helper

from tfjs_weights import Graph, finish_model, main

INPUT_SIZE = 512
N_ANCHORS = 5118
BN_EPSILON = 0.0010000000474974513  # mobileNetV1.ts


def same_pads(in_size, k, s):
    """TensorFlow 'same' padding as ONNX pads (begin, end) for one spatial axis."""
    out = -(-in_size // s)
    total = max((out - 1) * s + k - in_size, 0)
    return total // 2, total - total // 2, out


def conv(g, x, hw, w_hwio, bias, stride, name, depthwise=False):
    """tf.conv2d / tf.depthwiseConv2d with 'same' padding; returns (out, out_hw)."""
    kh, kw = w_hwio.shape[0], w_hwio.shape[1]
    pt, pb, oh = same_pads(hw[0], kh, stride)
    pl, pr, ow = same_pads(hw[1], kw, stride)
    if depthwise:
        # TF depthwise [kh, kw, C, 1] -> ONNX [C, 1, kh, kw], group = C
        w = w_hwio.transpose(2, 3, 0, 1)
        group = w.shape[0]
    else:
        # TF [kh, kw, in, out] -> ONNX [out, in, kh, kw]
        w = w_hwio.transpose(3, 2, 0, 1)
        group = 1
    inputs = [x, g.const(name + "/W", w.astype(np.float32))]
    if bias is not None:
        inputs.append(g.const(name + "/B", bias.astype(np.float32)))
    y = g.node("Conv", inputs, name, kernel_shape=[kh, kw], strides=[stride, stride],
               pads=[pt, pl, pb, pr], dilations=[1, 1], group=group)
    return y, (oh, ow)


def relu6(g, x, name):
    return g.node("Clip", [x], name, min=0.0, max=6.0)


def pointwise_conv_layer(g, W, x, hw, prefix, idx, stride):
    """pointwiseConvLayer.ts: conv2d(same) + batch_norm_offset, clip 0..6."""
    name = f"{prefix}/Conv2d_{idx}_pointwise"
    y, hw = conv(g, x, hw, W[name + "/weights"], W[name + "/convolution_bn_offset"], stride, name)
    return relu6(g, y, name), hw


def depthwise_conv_layer(g, W, x, hw, idx, stride):
    """mobileNetV1.ts depthwiseConvLayer: depthwiseConv2d(same), batchNorm, clip 0..6."""
    name = f"MobilenetV1/Conv2d_{idx}_depthwise"
    y, hw = conv(g, x, hw, W[name + "/depthwise_weights"], None, stride, name, depthwise=True)
    bn = [g.const(name + "/BatchNorm/" + k, W[name + "/BatchNorm/" + k])
          for k in ("gamma", "beta", "moving_mean", "moving_variance")]
    y = g.node("BatchNormalization", [y] + bn, name + "/BatchNorm", epsilon=BN_EPSILON)
    return relu6(g, y, name), hw


def box_prediction_layer(g, W, x, hw, idx):
    """boxPredictionLayer.ts: encodings reshaped to [1,-1,4], classes to [1,-1,3] (NHWC order)."""
    outs = []
    for kind, last in (("BoxEncodingPredictor", 4), ("ClassPredictor", 3)):
        name = f"Prediction/BoxPredictor_{idx}/{kind}"
        y, _ = conv(g, x, hw, W[name + "/weights"], W[name + "/biases"], 1, name)
        y = g.node("Transpose", [y], name + "/nhwc", perm=[0, 2, 3, 1])
        shape = g.const(name + "/shape", np.array([1, -1, last], dtype=np.int64))
        outs.append(g.node("Reshape", [y, shape], name + "/reshape"))
    return outs


def slice_last(g, x, start, end, name):
    starts = g.const(name + "/starts", np.array([start], dtype=np.int64))
    ends = g.const(name + "/ends", np.array([end], dtype=np.int64))
    axes = g.const(name + "/axes", np.array([2], dtype=np.int64))
    return g.node("Slice", [x, starts, ends, axes], name)


def build(W):
    g = Graph()
    x = "input"
    hw = (INPUT_SIZE, INPUT_SIZE)

    # mobileNetV1.ts
    out, hw = pointwise_conv_layer(g, W, x, hw, "MobilenetV1", 0, 2)
    conv11, conv11_hw = None, None
    for layer in range(1, 14):
        stride = 2 if layer in (2, 4, 6, 12) else 1
        out, hw = depthwise_conv_layer(g, W, out, hw, layer, stride)
        out, hw = pointwise_conv_layer(g, W, out, hw, "MobilenetV1", layer, 1)
        if layer == 11:
            conv11, conv11_hw = out, hw

    # predictionLayer.ts
    feats = {}
    p, phw = out, hw
    for i, stride in enumerate((1, 2, 1, 2, 1, 2, 1, 2)):
        p, phw = pointwise_conv_layer(g, W, p, phw, "Prediction", i, stride)
        feats[i] = (p, phw)
    sources = [(conv11, conv11_hw), (out, hw), feats[1], feats[3], feats[5], feats[7]]
    enc, cls = [], []
    for idx, (src, shw) in enumerate(sources):
        e, c = box_prediction_layer(g, W, src, shw, idx)
        enc.append(e)
        cls.append(c)
    box_pred = g.node("Concat", enc, "Prediction/box_encodings", axis=1)   # [1, N, 4]
    class_pred = g.node("Concat", cls, "Prediction/class_predictions", axis=1)  # [1, N, 3]

    # outputLayer.ts: anchors -> sizes/centers (float32, same op order as tfjs)
    anchors = W["Output/extra_dim"].reshape(-1, 4).astype(np.float32)
    if anchors.shape[0] != N_ANCHORS:
        raise SystemExit(f"expected {N_ANCHORS} anchors, got {anchors.shape[0]}")
    sizes = np.stack([anchors[:, 2] - anchors[:, 0], anchors[:, 3] - anchors[:, 1]], axis=1)
    centers = np.stack([anchors[:, 0] + sizes[:, 0] / np.float32(2),
                        anchors[:, 1] + sizes[:, 1] / np.float32(2)], axis=1)
    sizes = sizes.astype(np.float32).reshape(1, N_ANCHORS, 2)
    centers = centers.astype(np.float32).reshape(1, N_ANCHORS, 2)
    c_sizes = g.const("Output/anchor_sizes", sizes)
    c_centers = g.const("Output/anchor_centers", centers)

    t_yx = slice_last(g, box_pred, 0, 2, "Output/t_yx")
    t_hw = slice_last(g, box_pred, 2, 4, "Output/t_hw")
    # add = t_yx / 10 * size + center
    d10 = g.node("Div", [t_yx, g.const("Output/ten", np.array(10.0, dtype=np.float32))], "Output/div10")
    m = g.node("Mul", [d10, c_sizes], "Output/mul_size")
    ctr = g.node("Add", [m, c_centers], "Output/center")
    # half = exp(t_hw / 5) * size / 2
    d5 = g.node("Div", [t_hw, g.const("Output/five", np.array(5.0, dtype=np.float32))], "Output/div5")
    ex = g.node("Exp", [d5], "Output/exp")
    ms = g.node("Mul", [ex, c_sizes], "Output/exp_size")
    half = g.node("Div", [ms, g.const("Output/two", np.array(2.0, dtype=np.float32))], "Output/half")
    lo = g.node("Sub", [ctr, half], "Output/min")
    hi = g.node("Add", [ctr, half], "Output/max")
    g.node("Concat", [lo, hi], "Output/boxes", outputs=["boxes"], axis=2)

    # scores = sigmoid(class_pred[:, :, 1])
    s = slice_last(g, class_pred, 1, 2, "Output/face_logit")
    s = g.node("Sigmoid", [s], "Output/sigmoid")
    g.node("Reshape", [s, g.const("Output/scores_shape", np.array([1, N_ANCHORS], dtype=np.int64))],
           "Output/scores", outputs=["scores"])

    return finish_model(
        g, "ssd_mobilenetv1_face",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, INPUT_SIZE, INPUT_SIZE])],
        [helper.make_tensor_value_info("boxes", TensorProto.FLOAT, [1, N_ANCHORS, 4]),
         helper.make_tensor_value_info("scores", TensorProto.FLOAT, [1, N_ANCHORS])],
        "consentblur-convert_ssd_mobilenetv1",
        "SSD MobileNetV1 face detector from @vladmandic/face-api@1.7.15 (MIT), "
        "converted from TensorFlow.js weights. input: 1x3x512x512 RGB in [-1,1]; "
        "boxes: 1x5118x4 [ymin,xmin,ymax,xmax] 0..1; scores: 1x5118 sigmoid.")


if __name__ == "__main__":
    sys.exit(main(sys.argv, build))
