// text2audio-gan and text2audio-vae: tiny models on tone "words" learn (losses move the right way),
// sample steps write WAVs and a spectrogram sheet, a trained run generates the same bytes from the same
// seed, prompts are checked, evaluation reports finite metrics, and nothing leaks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TEXT_TO_AUDIO_RECIPES, loadTextToAudioRun } from '../../src/models/text-to-audio-recipes.js';
import { trainTextToAudio } from '../../src/train/sessions/text-to-audio.js';
import { trainAudioJudge } from '../../src/models/audio-judge-train.js';
import { evaluateTextToAudio } from '../../src/eval/text-to-audio.js';
import { generateAudio } from '../../src/cli/commands/generate-audio.js';
import { applyGain, readWav, rmsDbfs } from '../../src/modalities/audio/index.js';
import { readDataset } from '../../src/data/format.js';
import { dispose, memory } from '../../src/tensor/index.js';
import { readAudioLevel } from '../../src/models/audio-level.js';
import { TONE_SAMPLES, tinyToneDataset } from './audio-helpers.js';

const data = await tinyToneDataset(90, 2);
const trainEntries = (await readDataset(data.dir)).entries.filter((entry) => entry.split === 'train');
const root = await mkdtemp(join(tmpdir(), 'mmgen-text2audio-'));
test.after(async () => {
  await data.cleanup();
  await rm(root, { recursive: true, force: true });
});

const spectrogram = { nFft: 512, hopLength: 256, size: 16, griffinLimIterations: 8 };
const mean = (items: Record<string, number>[], key: string): number =>
  items.reduce((sum, item) => sum + (item[key] ?? 0), 0) / items.length;

async function trainTiny(name: string, model: object, training: object): Promise<Record<string, number>[]> {
  const recipe = TEXT_TO_AUDIO_RECIPES.find((entry) => entry.name === name)!;
  const config = recipe.schema.parse({
    recipe: name,
    dataset: data.dir,
    seed: 1,
    model,
    spectrogram,
    training: { steps: 40, batchSize: 12, sampleEvery: 40, checkpointEvery: 1000, logEvery: 1, ...training },
  });
  const losses: Record<string, number>[] = [];
  const { model: trained } = await trainTextToAudio(recipe, config, {
    runDir: join(root, name),
    onEvent: (event) => event.type === 'step' && losses.push(event.losses),
  });
  trained.dispose();
  return losses;
}

test('a tiny text2audio-gan trains: the discriminator learns, samples are WAVs + a spectrogram sheet, generation repeats', async () => {
  const before = memory().tensors;
  const losses = await trainTiny(
    'text2audio-gan',
    {
      noiseDim: 8,
      textEmbedding: 8,
      textHidden: 16,
      conditionDim: 16,
      generatorChannels: 32,
      discriminatorChannels: 8,
      minibatchStd: 0,
      classifierChannels: 0,
    },
    { diffAugment: '', generatorLr: 1e-3, discriminatorLr: 1e-3 },
  );
  assert.equal(losses.length, 40);
  const early = mean(losses.slice(0, 5), 'discriminator');
  const late = mean(losses.slice(-5), 'discriminator');
  assert.ok(
    late < early - 0.1,
    `hinge D loss should fall: first five ${early.toFixed(3)}, last five ${late.toFixed(3)}`,
  );
  assert.ok(losses.every((item) => Number.isFinite(item.generator)));
  const samples = await readdir(join(root, 'text2audio-gan', 'samples', 'step-0000040'));
  assert.deepEqual(samples.sort(), ['00-low.wav', '01-mid.wav', '02-high.wav']);
  assert.ok(existsSync(join(root, 'text2audio-gan', 'samples', 'step-0000040.png')));
  const wav = await readWav(join(root, 'text2audio-gan', 'samples', 'step-0000040', '00-low.wav'));
  assert.equal(wav.sampleRate, 16000);
  assert.equal(wav.samples.length, TONE_SAMPLES);

  // the CLI's generate: same seed → same bytes; another seed → other bytes
  const run = join(root, 'text2audio-gan');
  await generateAudio(run, 'high', 2, 5, join(root, 'out-a'));
  await generateAudio(run, 'high', 2, 5, join(root, 'out-b'));
  await generateAudio(run, 'high', 2, 6, join(root, 'out-c'));
  const files = (await readdir(join(root, 'out-a'))).sort();
  assert.deepEqual(files, [
    '00-high.png',
    '00-high.wav',
    '01-high.png',
    '01-high.wav',
    'manifest.jsonl',
    'spectrograms.png',
  ]);
  for (const file of files)
    assert.deepEqual(
      await readFile(join(root, 'out-a', file)),
      await readFile(join(root, 'out-b', file)),
      `${file} differs between runs with the same seed`,
    );
  assert.notDeepEqual(
    await readFile(join(root, 'out-a', '00-high.wav')),
    await readFile(join(root, 'out-c', '00-high.wav')),
  );
  const manifest = (await readFile(join(root, 'out-a', 'manifest.jsonl'), 'utf8'))
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  assert.deepEqual(manifest[1], {
    file: '01-high.wav',
    spectrogram: '01-high.png',
    text: 'high',
    seed: 5,
    index: 1,
    sampleRate: 16000,
    samples: TONE_SAMPLES,
  });

  // the run measured its level at the end of training, and its clips come out at the training clips' level
  const level = await readAudioLevel(run);
  assert.ok(level && level.clips === 100 && level.step === 40 && Number.isFinite(level.gainDb), JSON.stringify(level));
  assert.ok(
    level.gainDb >= level.dataRmsDbfs - level.generatedRmsDbfs - 0.01,
    'at least the gap, more when peaks hold clips back',
  );
  assert.ok(level.reachedRmsDbfs <= level.dataRmsDbfs + 0.01);
  const { model } = await loadTextToAudioRun(run);
  assert.equal(model.outputGainDb, level.gainDb);
  // the data level is the training clips' (all samples together); generation applies the gain to what it decodes
  const trainClips = await Promise.all(
    trainEntries.map(async (entry) => (await readWav(join(data.dir, entry.audio as string))).samples),
  );
  assert.ok(
    Math.abs(rmsDbfs(trainClips) - level.dataRmsDbfs) < 0.01,
    `data level ${level.dataRmsDbfs} vs ${rmsDbfs(trainClips)}`,
  );
  const raised = model.generate(['low', 'high'], 3);
  model.outputGainDb = 0;
  const plain = model.generate(['low', 'high'], 3);
  model.outputGainDb = level.gainDb;
  raised.clips.forEach((clip, index) =>
    assert.deepEqual(clip, applyGain(plain.clips[index] as Float32Array, 10 ** (level.gainDb / 20))),
  );
  dispose([raised.spectrograms, plain.spectrograms]);

  // prompts: empty and out-of-vocabulary words are refused with the known words listed
  assert.throws(() => model.generate([''], 0), /the prompt is empty/);
  assert.throws(() => model.generate(['eleven'], 0), /outside the vocabulary: eleven\. Known words: .*high/);
  model.dispose();
  assert.equal(memory().tensors, before, `tensors leaked: ${memory().tensors - before}`);
});

test('a tiny text2audio-vae trains (reconstruction falls) and is judged: accuracy, IS beside real IS, Fréchet distance', async () => {
  const before = memory().tensors;
  const losses = await trainTiny(
    'text2audio-vae',
    { latentDim: 4, textEmbedding: 8, textHidden: 16, conditionDim: 16, decoderChannels: 32, encoderChannels: 8 },
    { lr: 3e-3, klWarmupSteps: 20 },
  );
  const early = mean(losses.slice(0, 5), 'reconstruction');
  const late = mean(losses.slice(-5), 'reconstruction');
  assert.ok(
    late < early * 0.7,
    `reconstruction should fall by 30 %: first five ${early.toFixed(1)}, last five ${late.toFixed(1)}`,
  );
  const { judge } = await trainAudioJudge({ dataset: data.dir, steps: 30, batchSize: 16, seed: 0 });
  const { model } = await loadTextToAudioRun(join(root, 'text2audio-vae'));
  const evaluation = await evaluateTextToAudio({ model, judge, dataset: data.dir, perClass: 4, seed: 0, batchSize: 6 });
  assert.equal(evaluation.clips, 12);
  assert.equal(evaluation.distinctCaptions, 3);
  assert.ok(Number.isFinite(evaluation.generatedLevelDbfs) && Number.isFinite(evaluation.realLevelDbfs));
  assert.deepEqual(evaluation.prompts, { low: 'low', mid: 'mid', high: 'high' });
  assert.ok(evaluation.accuracy >= 0 && evaluation.accuracy <= 1);
  assert.ok(evaluation.inceptionScore.mean >= 1 && evaluation.inceptionScore.mean <= 3 + 1e-9);
  assert.ok(
    evaluation.realInceptionScore.mean > 1.5,
    `the real tones are told apart: real IS ${evaluation.realInceptionScore.mean}`,
  );
  assert.ok(Number.isFinite(evaluation.frechetDistance) && evaluation.frechetDistance >= 0);
  assert.ok(Number.isFinite(evaluation.frechetRealFloor));
  model.dispose();
  judge.dispose();
  assert.equal(memory().tensors, before, `tensors leaked: ${memory().tensors - before}`);
});

test('text2audio training resumes exactly where an uninterrupted run would be', async () => {
  const recipe = TEXT_TO_AUDIO_RECIPES.find((entry) => entry.name === 'text2audio-gan')!;
  const config = recipe.schema.parse({
    recipe: 'text2audio-gan',
    dataset: data.dir,
    seed: 4,
    spectrogram,
    model: {
      noiseDim: 4,
      textEmbedding: 4,
      textHidden: 8,
      conditionDim: 8,
      generatorChannels: 16,
      discriminatorChannels: 4,
    },
    training: {
      steps: 6,
      batchSize: 6,
      sampleEvery: 1000,
      checkpointEvery: 1000,
      logEvery: 1,
      diffAugment: 'translation',
      classifierWarmup: 2,
    },
  });
  const run = async (
    dir: string,
    options: { stopAfter?: number; resume?: boolean },
  ): Promise<Record<string, number>[]> => {
    const losses: Record<string, number>[] = [];
    const { model } = await trainTextToAudio(recipe, config, {
      runDir: join(root, dir),
      ...options,
      onEvent: (event) => event.type === 'step' && losses.push(event.losses),
    });
    model.dispose();
    return losses;
  };
  const straight = await run('straight', {});
  const first = await run('resumed', { stopAfter: 3 });
  const second = await run('resumed', { resume: true });
  assert.deepEqual([...first, ...second], straight);
});
