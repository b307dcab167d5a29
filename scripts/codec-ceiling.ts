// The ceiling of every direction into sound, per spectrogram setting: real test clips → log-mel →
// Griffin-Lim, read back by a transcriber trained on the real clips. No model is involved, so no joint run
// can do better with that setting. (A run's own setting is measured by `mmgen eval RUN --transcriber T`.)
//
//   node --import tsx scripts/codec-ceiling.ts DATASET TRANSCRIBER '[{"nFft":512,"hopLength":256,"nMels":32,"frames":256}]' [ROWS]
import { readDataset } from '../src/data/format.js';
import { captionsRight } from '../src/cli/demo/shipped.js';
import { captionedAttributes } from '../src/eval/image-to-text.js';
import { transcribeClips } from '../src/cli/commands/eval-joint.js';
import { SpectrogramCodec, type SpectrogramSettings } from '../src/modalities/audio/spectrogram-codec.js';
import { loadTranscriberRun } from '../src/models/transcriber-run.js';
import { loadJointSplit } from '../src/train/sessions/joint.js';

const [datasetDir, transcriberDir, settingsJson, rowsText] = process.argv.slice(2);
if (!datasetDir || !transcriberDir || !settingsJson) {
  process.stderr.write('usage: codec-ceiling.ts DATASET TRANSCRIBER SETTINGS_JSON [ROWS]\n');
  process.exit(1);
}
const settings = JSON.parse(settingsJson) as Partial<SpectrogramSettings>[];
const dataset = await readDataset(datasetDir);
const transcriber = (await loadTranscriberRun(transcriberDir)).model;
const split = await loadJointSplit(
  dataset,
  { shapes: { tokenizer: transcriber.tokenizer, audio: transcriber.audio }, codec: undefined },
  { split: 'test', limit: Number(rowsText ?? 100) },
);
const attributes = captionedAttributes(dataset, split.entries) ?? {};
const { samples, sampleRate } = transcriber.audio;
const right = (texts: string[]): string =>
  `${captionsRight(texts, split.entries, attributes).filter(Boolean).length} of ${split.size}`;
try {
  if (!split.audio) throw new Error(`${datasetDir} has no sound`);
  const real = transcriber.transcribe(split.audio, { beam: 1 }).map((text) => text.text);
  process.stdout.write(`real clips: ${right(real)} read right\n`);
  for (const setting of settings) {
    const codec = new SpectrogramCodec({
      sampleRate,
      samples,
      nFft: 1024,
      hopLength: 256,
      nMels: 64,
      frames: 64,
      floor: -10,
      ceiling: 1,
      griffinLimIterations: 32,
      ...setting,
    });
    const spectrograms = codec.encode(split.audio);
    const clips = codec.decode(spectrograms, 0);
    spectrograms.dispose();
    process.stdout.write(
      `${JSON.stringify(setting)}: ${right(transcribeClips(transcriber, clips, samples))} read right\n`,
    );
  }
} finally {
  split.dispose();
  transcriber.dispose();
}
