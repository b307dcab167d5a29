// The audio judge (WaveGAN classifier protocol) beats chance after a short fit on tiny tone "words",
// saves and loads to the same verdicts, judges WAV files by name, and leaks nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AudioJudge } from '../../src/models/audio-judge.js';
import { trainAudioJudge } from '../../src/models/audio-judge-train.js';
import { loadSplit } from '../../src/data/loader.js';
import { readClips } from '../../src/eval/audio-files.js';
import { encodeWav } from '../../src/modalities/audio/index.js';
import { memory, stack, tensor, tidy } from '../../src/tensor/index.js';
import { seededRandom } from '../modalities/helpers.js';
import { TONES, TONE_SAMPLES, tinyToneDataset, toneClip } from './audio-helpers.js';

const data = await tinyToneDataset(90, 1);
const scratch = await mkdtemp(join(tmpdir(), 'mmgen-audio-judge-'));
test.after(async () => {
  await data.cleanup();
  await rm(scratch, { recursive: true, force: true });
});

test('the audio judge beats chance after a short fit and round-trips through save/load', async () => {
  const before = memory().tensors;
  const { judge, accuracy } = await trainAudioJudge({ dataset: data.dir, steps: 40, batchSize: 16, seed: 3 });
  assert.equal(judge.info.attribute, 'tone');
  assert.deepEqual(judge.info.classes, ['low', 'mid', 'high']);
  assert.ok(accuracy > 0.8, `held-out accuracy ${accuracy} should be far above chance (1/3)`);
  assert.equal(judge.info.trusted, accuracy >= 0.95);
  await judge.save(scratch);
  const loaded = await AudioJudge.load(scratch);
  const test = await loadSplit(data.dir, { split: 'test', images: false });
  const a = judge.run(test.audio!, { features: true });
  const b = loaded.run(test.audio!, { features: true });
  assert.deepEqual([...a.predictions], [...b.predictions]);
  assert.deepEqual(a.features?.shape, [test.size, 128]);
  assert.ok(Math.abs(tidy(() => a.probabilities.sum().item()) - test.size) < 1e-6, 'probabilities sum to one per clip');
  for (const tensorValue of [a.probabilities, a.features, b.probabilities, b.features]) tensorValue?.dispose();
  test.dispose();
  // fresh WAV files, one of them broken: the good ones are judged by pitch
  const random = seededRandom(9);
  const files: string[] = [];
  for (const [name, frequency] of Object.entries(TONES)) {
    const file = join(scratch, `${name}.wav`);
    await writeFile(file, encodeWav(toneClip(frequency, random), 16000));
    files.push(file);
  }
  await writeFile(join(scratch, 'broken.wav'), new Uint8Array([1, 2, 3]));
  const { clips, failures } = await readClips([...files, join(scratch, 'broken.wav')], {
    sampleRate: 16000,
    samples: TONE_SAMPLES,
  });
  assert.equal(clips.length, 3);
  assert.match(failures[0]?.reason ?? '', /broken\.wav/);
  const waveforms = tidy(() => stack(clips.map((clip) => tensor(clip.samples))));
  const verdict = loaded.run(waveforms);
  assert.deepEqual(
    [...verdict.predictions].map((index) => loaded.info.classes[index]),
    ['low', 'mid', 'high'],
  );
  verdict.probabilities.dispose();
  waveforms.dispose();
  const short = tensor(new Float32Array(100), { shape: [1, 100] });
  assert.throws(() => loaded.run(short), /clips of 4096 samples/);
  short.dispose();
  judge.dispose();
  loaded.dispose();
  assert.equal(memory().tensors, before, `tensors leaked: ${memory().tensors - before}`);
});
