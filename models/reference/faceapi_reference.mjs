// faceapi_reference.mjs - run one of face-api's original TensorFlow.js networks
// (pure-JS "cpu" backend) on raw RGB inputs and print a small JSON summary of
// its outputs, as a reference for our ONNX conversions.
//
// usage: node faceapi_reference.mjs NET SIZE LABEL=RAWFILE [LABEL=RAWFILE ...]
//   NET      one of the keys of NETS below (ssd_mobilenetv1, face_recognition)
//   SIZE     the square input size in pixels; each RAWFILE holds exactly
//            SIZE*SIZE*3 bytes of packed RGB (ffmpeg -pix_fmt rgb24 rawvideo)
//   LABEL    how the fixture names the image (its path relative to testdata,
//            optionally followed by '#' and the ffmpeg filter applied before scaling)
// The JSON goes to stdout. Called by gen_reference.sh, which makes the raw files.
import { createRequire } from 'node:module';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js');
const tf = faceapi.tf;
const MODEL_DIR = join(dirname(require.resolve('@vladmandic/face-api/package.json')), 'model');
const FACEAPI_VERSION = require('@vladmandic/face-api/package.json').version;
const TFJS_VERSION = require('@tensorflow/tfjs/package.json').version;

const round = (v, digits = 7) => Number(v.toPrecision(digits));

// Each net: how to load it and how to summarise one input image.
const NETS = {
  ssd_mobilenetv1: {
    async load() { await faceapi.nets.ssdMobilenetv1.loadFromDisk(MODEL_DIR); return faceapi.nets.ssdMobilenetv1; },
    // input: int tensor [1,S,S,3] of 0..255; forwardInput applies face-api's own
    // normalisation (x/127.5 - 1); at S=512 no resize happens.
    async run(net, input) {
      const netInput = await faceapi.toNetInput(input);
      const { boxes, scores } = net.forwardInput(netInput);
      const b = boxes[0].arraySync();
      const s = Array.from(scores[0].dataSync());
      boxes.forEach((t) => t.dispose());
      scores.forEach((t) => t.dispose());
      const order = s.map((v, i) => i).sort((i, j) => s[j] - s[i] || i - j);
      return {
        n: s.length,
        max_score: round(s[order[0]]),
        // [anchor index, score, ymin, xmin, ymax, xmax], best 20 by score
        top: order.slice(0, 20).map((i) => [i, round(s[i]), ...b[i].map((v) => round(v))]),
      };
    },
  },
  face_recognition: {
    async load() { await faceapi.nets.faceRecognitionNet.loadFromDisk(MODEL_DIR); return faceapi.nets.faceRecognitionNet; },
    // input: int tensor [1,150,150,3] of 0..255; forwardInput applies face-api's own
    // normalisation ((x - [122.782, 117.001, 104.298]) / 255); at S=150 no resize happens.
    async run(net, input) {
      const netInput = await faceapi.toNetInput(input);
      const out = net.forwardInput(netInput);
      const d = Array.from(out.dataSync());
      out.dispose();
      return { n: d.length, descriptor: d.map((v) => round(v, 9)) };
    },
  },
};

async function main() {
  const [netName, sizeArg, ...items] = process.argv.slice(2);
  const spec = NETS[netName];
  const size = Number(sizeArg);
  if (!spec || !(size > 0) || items.length === 0) {
    console.error(`usage: node faceapi_reference.mjs {${Object.keys(NETS).join('|')}} SIZE LABEL=RAWFILE...`);
    process.exit(2);
  }
  await tf.setBackend('cpu');
  await tf.ready();
  const net = await spec.load();
  const images = [];
  for (const item of items) {
    const eq = item.lastIndexOf('='); // labels may contain '=' (crop=...), raw file paths do not
    const label = item.slice(0, eq);
    const raw = readFileSync(item.slice(eq + 1));
    if (raw.length !== size * size * 3) throw new Error(`${label}: ${raw.length} bytes, expected ${size * size * 3}`);
    const input = tf.tensor4d(new Int32Array(raw), [1, size, size, 3], 'int32');
    const result = await spec.run(net, input);
    input.dispose();
    images.push({ path: label, rgb_sha256: createHash('sha256').update(raw).digest('hex'), ...result });
  }
  const out = {
    net: netName,
    source: `@vladmandic/face-api@${FACEAPI_VERSION}, @tensorflow/tfjs@${TFJS_VERSION} backend ${tf.getBackend()}`,
    input_size: size,
    images,
  };
  // one line per top entry keeps the fixture small and diffable
  let text = JSON.stringify(out, null, 1);
  text = text.replace(/\[\s+([-0-9.e+,\s]+?)\s+\]/g, (m, inner) => `[${inner.replace(/\s+/g, ' ')}]`);
  process.stdout.write(`${text}\n`);
}

main().catch((e) => { console.error(e); process.exit(1); });
