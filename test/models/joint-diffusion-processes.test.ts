// joint-diffusion's autoencoders trained in groups at once, one child process per group
// (`training.autoencoder.processes`): the run equals, byte for byte, the three commands that train the groups
// apart and join them with `from`; a stop while the groups train resumes to the same bytes; each group's run
// is in RUN/autoencoders/GROUP and its loss falls; groups that leave out a modality or name one twice are
// clear errors; nothing leaks in this process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type JointDiffusionConfig, jointDiffusionConfig } from '../../src/models/joint-diffusion.js';
import { resolveConfig } from '../../src/train/recipes.js';
import { trainJointDiffusion } from '../../src/train/sessions/joint-diffusion.js';
import { memory } from '../../src/tensor/index.js';
import { tinySpokenShapes } from './spoken-shapes.js';

const { root, dataset } = await tinySpokenShapes('mmgen-joint-processes-');

const STEPS = { image: 40, audio: 12, text: 8 };

function config(autoencoder: Record<string, unknown>, scoreSteps = 6): JointDiffusionConfig {
  return jointDiffusionConfig.parse({
    recipe: 'joint-diffusion',
    dataset,
    seed: 0,
    model: {
      latentDim: 8,
      featureDim: 32,
      image: { encoderChannels: 8, decoderChannels: 32, subpixel: true },
      audio: { encoderChannels: 8, decoderChannels: 32, spectrogram: { size: 16 } },
      text: { embeddingDim: 16, hiddenSize: 32, dropout: 0 },
      score: { width: 64, blocks: 1 },
    },
    training: {
      autoencoder: { steps: STEPS.image, batchSize: 6, lr: 3e-3, schedule: 'cosine', ...autoencoder },
      score: { steps: scoreSteps, batchSize: 6 },
      trainLimit: 6,
      logEvery: 1,
      sampleEvery: 100000,
      checkpointEvery: 5,
    },
    sampling: { steps: 4 },
    decoding: { beam: 1 },
  });
}

const apart = { modalitySteps: { audio: STEPS.audio, text: STEPS.text }, processes: [['image'], ['audio', 'text']] };

const modelBytes = (runDir: string): Promise<Buffer> => readFile(join(runDir, 'model.safetensors'));

async function lossesOf(runDir: string, key: string): Promise<number[]> {
  const lines = (await readFile(join(runDir, 'metrics.jsonl'), 'utf8')).trim().split('\n');
  return lines.flatMap((line) => {
    const value = (JSON.parse(line) as Record<string, number>)[key];
    return value === undefined ? [] : [value];
  });
}

const mean = (values: number[]): number => values.reduce((sum, value) => sum + value, 0) / values.length;

test('autoencoders trained in two processes at once give the bytes of the three commands that join them', async () => {
  const before = memory().tensors;
  const run = join(root, 'apart');
  const trained = await trainJointDiffusion(config(apart), { runDir: run });
  trained.model.dispose();
  assert.equal(trained.result.interrupted, false);
  const imageLosses = await lossesOf(join(run, 'autoencoders', 'image'), 'reconstruction_image');
  assert.equal(imageLosses.length, STEPS.image);
  const [early, late] = [mean(imageLosses.slice(0, 5)), mean(imageLosses.slice(-5))];
  assert.ok(late < early * 0.5, `the image reconstruction loss went from ${early} to ${late}`);
  const audioLosses = await lossesOf(join(run, 'autoencoders', 'audio-text'), 'reconstruction_audio');
  assert.equal(audioLosses.length, STEPS.audio);
  assert.equal((await lossesOf(join(run, 'autoencoders', 'audio-text'), 'reconstruction_image')).length, 0);
  const recorded = JSON.parse(await readFile(join(run, 'config.json'), 'utf8')) as JointDiffusionConfig;
  assert.deepEqual(recorded.training.autoencoder.processes, apart.processes);

  // the same by hand: each group a run of its own, then a run over them
  const image = join(root, 'by-hand-image');
  const sound = join(root, 'by-hand-sound');
  const joined = join(root, 'by-hand-joined');
  const modalitySteps = apart.modalitySteps;
  const runs = [
    [image, config({ modalitySteps: { ...modalitySteps, audio: 0, text: 0 } }, 0)],
    [sound, config({ modalitySteps: { ...modalitySteps, image: 0 } }, 0)],
    [joined, config({ from: { image, audio: sound, text: sound } })],
  ] as const;
  for (const [runDir, settings] of runs) (await trainJointDiffusion(settings, { runDir })).model.dispose();
  assert.ok((await modelBytes(run)).equals(await modelBytes(joined)), 'the joined weights differ');
  assert.ok((await readFile(join(run, 'tokenizer.json'))).equals(await readFile(join(joined, 'tokenizer.json'))));
  assert.equal(memory().tensors, before, 'tensors leaked');
});

test('a stop while the groups train resumes, in the groups and then the score network, to the same bytes', async () => {
  const before = memory().tensors;
  const run = join(root, 'stopped');
  const stop = new AbortController();
  const events: string[] = [];
  const first = await trainJointDiffusion(config(apart), {
    runDir: run,
    signal: stop.signal,
    onEvent: (event) => {
      events.push(event.type);
      if (event.type === 'step' && event.step >= 12) stop.abort();
    },
  });
  first.model.dispose();
  assert.equal(first.result.interrupted, true);
  assert.ok(events.includes('interrupted'));
  assert.ok(!existsSync(join(run, 'state.json')), 'the score network started before the groups were done');
  // `mmgen train --resume RUN` reads the run's config.json, which keeps the groups
  const { train } = resolveConfig(JSON.parse(await readFile(join(run, 'config.json'), 'utf8')), run);
  // the score network stops after 3 of its steps and resumes from there
  const second = await train({ runDir: run, resume: true, stopAfter: 3 });
  assert.equal(second.step, 3);
  const third = await train({ runDir: run, resume: true });
  assert.equal(third.interrupted, false);
  assert.ok((await modelBytes(run)).equals(await modelBytes(join(root, 'apart'))), 'the resumed weights differ');
  assert.equal(memory().tensors, before, 'tensors leaked');
});

test('groups that leave out a modality, name one twice or come with from are clear errors', async () => {
  await assert.rejects(
    trainJointDiffusion(config({ processes: [['image'], ['text']] }), { runDir: join(root, 'no-audio') }),
    /leaves audio in no group; add it to one/,
  );
  assert.ok(!existsSync(join(root, 'no-audio', 'autoencoders')));
  assert.throws(
    () =>
      config({
        processes: [
          ['image', 'text'],
          ['audio', 'text'],
        ],
      }),
    /text is in more than one group/,
  );
  assert.throws(
    () => config({ processes: [['image'], ['audio', 'text']], from: root }),
    /drop training.autoencoder.from/,
  );
});
