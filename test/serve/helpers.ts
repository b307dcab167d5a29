// Real tiny runs for the server tests, trained here through the recipe registry (as `mmgen train` does): a
// text→image GAN and a captioner on a tiny shapes set, a text→audio GAN and a transcriber on tone "words".
// And a real server on 127.0.0.1 at a free port.
import { cp, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildDataset } from '../../src/data/builders/index.js';
import { resolveConfig } from '../../src/train/recipes.js';
import { type Server, type ServeOptions, startServer } from '../../src/serve/server.js';
import { tinyToneDataset } from '../models/audio-helpers.js';
import { buildTinySpokenShapes } from '../models/spoken-shapes.js';

export interface ServeFixture {
  root: string;
  runsDir: string;
  dataDir: string;
  configsDir: string;
  cleanup(): Promise<void>;
}

export const GAN_MODEL = {
  noiseDim: 8,
  textEmbedding: 8,
  textHidden: 16,
  conditionDim: 16,
  generatorChannels: 16,
  discriminatorChannels: 8,
};
export const AUDIO_SPECTROGRAM = { nFft: 512, hopLength: 256, size: 16, griffinLimIterations: 8 };

/** A text→image GAN config on `dataset` that a training job runs in about a second per 50 steps. */
export function tinyGanConfig(dataset: string, steps: number, sampleEvery = 1000): Record<string, unknown> {
  return {
    recipe: 'text2image-gan',
    dataset,
    seed: 1,
    model: GAN_MODEL,
    training: { steps, batchSize: 8, logEvery: 1, sampleEvery, checkpointEvery: 100000 },
  };
}

async function train(raw: Record<string, unknown>, runDir: string): Promise<void> {
  const { train } = resolveConfig(raw, 'test config');
  await train({ runDir });
}

export async function trainServeRuns(which: { audio?: boolean; joint?: boolean } = {}): Promise<ServeFixture> {
  const root = await mkdtemp(join(tmpdir(), 'mmgen-serve-'));
  const runsDir = join(root, 'runs');
  const dataDir = join(root, 'data');
  const configsDir = join(root, 'configs');
  await mkdir(runsDir, { recursive: true });
  await mkdir(configsDir, { recursive: true });
  const shapes = join(dataDir, 'shapes');
  await buildDataset({ builder: 'shapes', out: shapes, seed: 3, options: { level: 1, count: 40 } });
  await train(tinyGanConfig(shapes, 4), join(runsDir, 'gan'));
  await train(
    {
      recipe: 'captioner',
      dataset: shapes,
      seed: 3,
      model: { imageSize: 32, encoderChannels: 8, featureDim: 32, embeddingDim: 16, hiddenSize: 32, dropout: 0 },
      training: {
        steps: 4,
        batchSize: 8,
        lr: 5e-3,
        warmupSteps: 1,
        trainLimit: 8,
        sampleEvery: 1000,
        checkpointEvery: 1000,
        logEvery: 1,
      },
      decoding: { beam: 2, maxLength: 6 },
    },
    join(runsDir, 'captioner'),
  );
  if (which.audio) {
    const tones = await tinyToneDataset(30, 2);
    await cp(tones.dir, join(dataDir, 'tones'), { recursive: true });
    await tones.cleanup();
    const toneDir = join(dataDir, 'tones');
    await train(
      {
        recipe: 'text2audio-gan',
        dataset: toneDir,
        seed: 4,
        spectrogram: AUDIO_SPECTROGRAM,
        model: {
          noiseDim: 4,
          textEmbedding: 4,
          textHidden: 8,
          conditionDim: 8,
          generatorChannels: 16,
          discriminatorChannels: 4,
        },
        training: { steps: 3, batchSize: 6, sampleEvery: 1000, checkpointEvery: 1000, logEvery: 1 },
      },
      join(runsDir, 'tones-gan'),
    );
    await train(
      {
        recipe: 'transcriber',
        dataset: toneDir,
        seed: 1,
        model: { mels: 32, encoderChannels: 8, featureDim: 32, embeddingDim: 16, hiddenSize: 32, dropout: 0 },
        training: {
          steps: 3,
          batchSize: 6,
          lr: 5e-3,
          warmupSteps: 1,
          trainLimit: 6,
          sampleEvery: 1000,
          checkpointEvery: 1000,
          logEvery: 1,
        },
        decoding: { beam: 2, maxLength: 3 },
      },
      join(runsDir, 'transcriber'),
    );
  }
  if (which.joint) {
    const spoken = join(dataDir, 'spoken-shapes');
    await buildTinySpokenShapes(spoken);
    await train(
      {
        recipe: 'joint-vae',
        dataset: spoken,
        seed: 0,
        model: {
          mixing: 'mopoe',
          latentDim: 8,
          featureDim: 32,
          image: { encoderChannels: 8, decoderChannels: 32 },
          audio: {
            encoderChannels: 8,
            decoderChannels: 32,
            weight: 2,
            spectrogram: { size: 64, nFft: 2048, hopLength: 1024 },
          },
          text: { embeddingDim: 16, hiddenSize: 32, dropout: 0 },
        },
        training: {
          steps: 3,
          batchSize: 12,
          lr: 3e-3,
          klWarmupSteps: 100,
          beta: 0.5,
          logEvery: 1,
          sampleEvery: 10000,
          checkpointEvery: 10000,
        },
        decoding: { beam: 1 },
      },
      join(runsDir, 'joint'),
    );
  }
  return { root, runsDir, dataDir, configsDir, cleanup: () => rm(root, { recursive: true, force: true }) };
}

export async function startTestServer(fixture: ServeFixture, options: Partial<ServeOptions> = {}): Promise<Server> {
  return startServer({
    runsDir: fixture.runsDir,
    outputsDir: join(fixture.root, 'outputs'),
    dataDir: fixture.dataDir,
    configsDir: fixture.configsDir,
    host: '127.0.0.1',
    port: 0,
    queueSize: 16,
    workers: 1,
    trainSlots: 1,
    jobTimeoutSeconds: 120,
    rateLimit: 600,
    ...options,
  });
}

/** Reads a job's SSE stream to its end; `lastEventId` resumes after that id. */
export async function readEvents(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ id: number; type: string; data: Record<string, unknown> }[]> {
  const response = await fetch(url, { headers });
  const text = await response.text();
  return text
    .split('\n\n')
    .filter((block) => block.includes('data: '))
    .map((block) => {
      const field = (name: string): string =>
        block
          .split('\n')
          .find((line) => line.startsWith(`${name}: `))
          ?.slice(name.length + 2) ?? '';
      return {
        id: Number(field('id')),
        type: field('event'),
        data: JSON.parse(field('data')) as Record<string, unknown>,
      };
    });
}
