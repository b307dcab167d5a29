// loadRun: a tiny run of every recipe, trained through the registry, loads through the one door and
// answers each capability it lists (and refuses the others by name); inputs as paths, bytes and tensors;
// outputs save themselves; the loadRun path gives the same bytes as the model path it wraps; no leaks.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadRun, memory } from '../../src/index.js';
import { readDataset } from '../../src/data/format.js';
import { decodeImage, encodePng, imageToTensor, tensorToImages } from '../../src/modalities/image/index.js';
import { encodeWav, readWav } from '../../src/modalities/audio/index.js';
import { loadTextToImageRun } from '../../src/models/text-to-image-recipes.js';
import { loadTextToAudioRun } from '../../src/models/text-to-audio-recipes.js';
import { runLines } from '../../src/cli/commands/info.js';
import { type TinyData, tinyConfigs, tinyData, trainTiny } from './tiny-runs.js';

let root = '';
let data: TinyData;
let tensorsBefore = 0;
const run = (name: string): string => join(root, name);

before(async () => {
  tensorsBefore = memory().tensors;
  root = await mkdtemp(join(tmpdir(), 'mmgen-load-run-'));
  data = await tinyData(root);
  for (const [name, config] of Object.entries(tinyConfigs(data.shapes, data.tones))) await trainTiny(config, run(name));
});

after(async () => {
  await data.cleanup();
  await rm(root, { recursive: true, force: true });
  assert.equal(memory().tensors, tensorsBefore, 'loading or calling runs leaked tensors');
});

const isPng = (bytes: Uint8Array): boolean => Buffer.from(bytes.subarray(1, 4)).toString('latin1') === 'PNG';
const isWav = (bytes: Uint8Array): boolean => Buffer.from(bytes.subarray(0, 4)).toString('latin1') === 'RIFF';

test('text→image runs generate pictures that save themselves, the same bytes as the model path', async () => {
  for (const name of ['text2image-gan', 'text2image-vae']) {
    const loaded = await loadRun(run(name));
    try {
      assert.equal(loaded.recipe, name);
      assert.equal(loaded.id, name);
      assert.deepEqual(loaded.capabilities, ['generate']);
      assert.deepEqual(loaded.modalities, { inputs: ['text'], outputs: ['image'] });
      assert.equal(loaded.config.recipe, name);
      const images = await loaded.generate('square', { n: 3, seed: 5 });
      assert.equal(images.length, 3);
      const first = images[0];
      assert.ok(first?.kind === 'image');
      assert.deepEqual([first.text, first.seed, first.index, first.image.width], ['square', 5, 0, 64]);
      const png = await first.png();
      assert.ok(isPng(png));
      await first.save(join(root, `${name}.png`));
      assert.deepEqual(await readFile(join(root, `${name}.png`)), png);
      const again = await loaded.generate(['square'], { n: 3, seed: 5 });
      for (const [index, image] of again.entries())
        assert.deepEqual(await image.bytes(), await images[index]?.bytes(), `${name}: same seed, other bytes`);
      assert.notDeepEqual(await (await loaded.generate('square', { seed: 6 }))[0]?.bytes(), png);
      // the model path loadRun wraps gives the same bytes
      const { model } = await loadTextToImageRun(run(name));
      const tensor = model.generate(['square', 'square', 'square'], 5);
      const direct = tensorToImages(tensor, { range: 'signed' });
      tensor.dispose();
      model.dispose();
      assert.deepEqual(await encodePng(direct[2]!), await images[2]?.bytes());
      await assert.rejects(
        loaded.caption('x.png'),
        /text2image-\w+" run, not a captioner: it can generate, not caption/,
      );
    } finally {
      loaded.dispose();
    }
  }
});

test('text→audio runs generate clips that save themselves as WAVs, the same bytes as the model path', async () => {
  for (const name of ['text2audio-gan', 'text2audio-vae']) {
    const loaded = await loadRun(run(name));
    try {
      assert.deepEqual(loaded.capabilities, ['generate']);
      assert.deepEqual(loaded.modalities, { inputs: ['text'], outputs: ['audio'] });
      const clips = await loaded.generate('high', { n: 2, seed: 3 });
      const first = clips[0];
      assert.ok(first?.kind === 'audio');
      assert.deepEqual(
        [first.sampleRate, first.samples.length, first.text, first.spectrogram?.height],
        [16000, 4096, 'high', 16],
      );
      const wav = first.wav();
      assert.ok(isWav(wav));
      await first.save(join(root, `${name}.wav`));
      assert.equal((await readWav(join(root, `${name}.wav`))).samples.length, 4096);
      const again = await loaded.generate('high', { n: 2, seed: 3 });
      assert.deepEqual(await again[1]?.bytes(), await clips[1]?.bytes());
      const { model } = await loadTextToAudioRun(run(name));
      const direct = model.generate(['high', 'high'], 3);
      direct.spectrograms.dispose();
      model.dispose();
      assert.deepEqual(Buffer.from(encodeWav(direct.clips[1]!, 16000)), await clips[1]?.bytes());
    } finally {
      loaded.dispose();
    }
  }
});

test('a captioner run captions paths, bytes and tensors, names an unreadable file, and ensembles with { with }', async () => {
  const entries = (await readDataset(data.shapes)).entries.filter((entry) => entry.image);
  const path = join(data.shapes, entries[0]!.image!);
  const loaded = await loadRun(run('captioner'));
  const pair = await loadRun(run('captioner'), { with: [run('captioner')] });
  try {
    assert.deepEqual(loaded.capabilities, ['caption']);
    assert.deepEqual(loaded.modalities, { inputs: ['image'], outputs: ['text'] });
    const picture = imageToTensor(await decodeImage(path, { channels: 3, size: [32, 32], fit: 'cover' }), {
      range: 'signed',
    });
    const lines = await loaded.caption([path, await readFile(path), picture, join(root, 'missing.png')]);
    picture.dispose();
    assert.equal(lines.length, 4);
    assert.equal(lines[0]?.source, path);
    assert.ok(lines.slice(0, 3).every((line) => line.error === undefined && typeof line.text === 'string'));
    assert.equal(lines[1]?.text, lines[0]?.text);
    assert.equal(lines[2]?.text, lines[0]?.text);
    assert.match(lines[3]?.error ?? '', /missing\.png/);
    const together = await pair.caption(path);
    assert.equal(together.length, 1);
    await assert.rejects(
      loadRun(run('text2image-gan'), { with: [run('captioner')] }),
      /only captioner runs load with others/,
    );
    await assert.rejects(
      loadRun(run('transcriber'), { need: 'caption' }),
      /"transcriber" run, not a captioner: it can transcribe, not caption/,
    );
  } finally {
    loaded.dispose();
    pair.dispose();
  }
});

test('a transcriber run transcribes WAV paths, WAV bytes and samples, and names a silent clip', async () => {
  const entries = (await readDataset(data.tones)).entries.filter((entry) => entry.audio);
  const path = join(data.tones, entries[0]!.audio!);
  const loaded = await loadRun(run('transcriber'));
  try {
    assert.deepEqual(loaded.capabilities, ['transcribe']);
    const samples = (await readWav(path)).samples;
    const lines = await loaded.transcribe([path, await readFile(path), samples, new Float32Array(4096)]);
    assert.equal(lines.length, 4);
    assert.ok(lines.slice(0, 3).every((line) => line.error === undefined && line.text === lines[0]?.text));
    assert.match(lines[3]?.error ?? '', /clip 4 is silent/);
    await assert.rejects(
      loaded.generate('x'),
      /"transcriber" run, not a text→image or text→audio run: it can transcribe, not generate/,
    );
  } finally {
    loaded.dispose();
  }
});

test('joint runs translate and sample through the same door; the same seed gives the same bytes', async () => {
  for (const name of ['joint-vae', 'joint-diffusion']) {
    const loaded = await loadRun(run(name));
    try {
      assert.deepEqual(loaded.capabilities, ['translate', 'sample']);
      assert.deepEqual(loaded.modalities, { inputs: ['image', 'text'], outputs: ['image', 'text'] });
      assert.deepEqual(runLines(loaded).slice(1), ['reads image, text; writes image, text', 'can translate, sample']);
      const out = await loaded.translate({ text: ['square', 'heart'] }, { to: ['image'], n: 2, seed: 4 });
      assert.equal(out.images.length, 4);
      assert.ok(isPng(await out.images[0]!.png()));
      const again = await loaded.translate({ text: ['square', 'heart'] }, { to: ['image'], n: 2, seed: 4 });
      assert.deepEqual(await again.images[3]?.png(), await out.images[3]?.png());
      const back = await loaded.translate({ image: await out.images[0]!.png() }, { to: ['text'], seed: 1 });
      assert.equal(back.texts.length, 1);
      const sampled = await loaded.sample(2, 1);
      assert.deepEqual([sampled.images.length, sampled.texts.length], [2, 2]);
      assert.match(loaded.describeSampling(), /\w/);
    } finally {
      loaded.dispose();
    }
  }
});

test('loadRun names what is wrong with a folder that is not a run', async () => {
  await assert.rejects(loadRun(join(root, 'nowhere')), /nowhere is not a readable mmgen run/);
});
