// Wires a text→audio recipe (GAN or VAE) to an audio dataset and the training loop: the training clips
// are turned into normalised log-mel spectrograms once, then served as one-channel pictures by the same
// seeded batch loader; every N steps the fixed prompts are voiced as WAVs plus a spectrogram sheet. At the
// end the run measures how far its clips' level is from the training clips' and keeps that gain.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { BatchLoader } from '../../data/batches.js';
import { progressReporter } from '../../data/events.js';
import { readDataset } from '../../data/format.js';
import { loadSplit, type LoadedSplit } from '../../data/loader.js';
import { writeWav } from '../../modalities/audio/index.js';
import { writeContactSheet } from '../../modalities/image/index.js';
import type { TextToAudioRecipe } from '../../models/text-to-audio-recipes.js';
import type { GeneratedAudio, TextToAudioModel } from '../../models/text-to-audio.js';
import { spectrogramTiles } from '../../models/spectrogram-tiles.js';
import { manualSeed, tidy } from '../../tensor/index.js';
import { AUDIO_LEVEL_FILE, measureOutputLevel, writeAudioLevel } from '../../models/audio-level.js';
import { type TrainResult, train } from '../loop.js';
import { type SessionOptions, batchTask, loopOptions, runTokenizer, samplePrompts } from './common.js';

/** A file-name-safe form of a prompt. */
const slug = (text: string): string =>
  text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 40) || 'prompt';

/** Writes one WAV per clip and a spectrogram sheet; returns the files. */
export async function writeSampleSet(
  folder: string,
  sheet: string,
  texts: string[],
  audio: GeneratedAudio,
  model: TextToAudioModel,
): Promise<string[]> {
  await mkdir(folder, { recursive: true });
  const files: string[] = [];
  for (const [index, clip] of audio.clips.entries()) {
    const file = join(folder, `${String(index).padStart(2, '0')}-${slug(texts[index] ?? '')}.wav`);
    await writeWav(file, clip, model.audio.sampleRate);
    files.push(file);
  }
  const tiles = await spectrogramTiles(audio.spectrograms, model.codec, texts);
  await writeContactSheet(sheet, tiles, { columns: 5, tileSize: [128, 128] });
  files.push(sheet);
  return files;
}

/** Trains a text→audio recipe; `config` is validated by the recipe's schema (a parsed config passes unchanged). */
export async function trainTextToAudio(
  recipe: TextToAudioRecipe,
  config: unknown,
  options: SessionOptions,
): Promise<{ result: TrainResult; model: TextToAudioModel }> {
  const prepared = recipe.prepare(config);
  const { dataset: datasetPath, seed, training: t } = prepared.config;
  const dataset = await readDataset(datasetPath);
  const audioInfo = dataset.info.modalities.audio;
  if (!audioInfo)
    throw new Error(
      `dataset ${datasetPath} has no audio; a text→audio recipe needs clips with captions (e.g. \`mmgen data build spoken-digits\`)`,
    );
  const audio = { sampleRate: audioInfo.sampleRate, samples: audioInfo.samples };
  const tokenizer = await runTokenizer(dataset, options);
  const textOptions = { tokenizer, padId: tokenizer.padId };
  // seeded initialisation: the same seed gives the same initial weights in any process
  if (!options.resume) manualSeed(seed);
  const model = prepared.create(tokenizer, audio);
  let trainSplit: LoadedSplit | undefined;
  try {
    const clips = await loadSplit(dataset, {
      split: 'train',
      images: false,
      audio: true,
      text: textOptions,
      ...(t.trainLimit ? { limit: t.trainLimit } : {}),
      ...(options.onData ? { onEvent: options.onData } : {}),
    });
    let encoded;
    let dataRmsDbfs: number;
    try {
      const waveforms = clips.audio as NonNullable<LoadedSplit['audio']>;
      // the training clips' level, which generation is brought to at the end (audio-level.ts)
      dataRmsDbfs = 10 * Math.log10(tidy(() => waveforms.square().mean().item()));
      const report = progressReporter(options.onData, waveforms.shape[0] ?? 0, 'encoding log-mel spectrograms');
      encoded = model.codec.encodeAll(waveforms, 500, report);
    } catch (error) {
      clips.dispose();
      throw error;
    }
    // the waveforms are not needed once encoded (a full split is ~1 GB of float samples)
    clips.audio?.dispose();
    const spectrograms = encoded;
    const { audio: _waveforms, ...rest } = clips;
    trainSplit = {
      ...rest,
      images: spectrograms,
      dispose: () => {
        clips.dispose();
        spectrograms.dispose();
      },
    };
    // distinct captions of the validation split (train when there is none), as the image session picks them
    const prompts = samplePrompts(
      { entries: dataset.entries.filter((entry) => entry.split === (dataset.info.splits.val > 0 ? 'val' : 'train')) },
      10,
    );
    const loader = new BatchLoader(trainSplit, { batchSize: t.batchSize, seed });
    const captions = trainSplit.entries.map((entry) => entry.text);
    const task = batchTask(model, loader, {
      sample: async (folder: string, step: number) => {
        model.prepareForGeneration();
        // fixed noise and phase seed at every sample step, so a user hears the same prompts improve
        const generated = model.generate(prompts, seed + 7);
        try {
          const name = `step-${String(step).padStart(7, '0')}`;
          const files = await writeSampleSet(
            join(folder, name),
            join(folder, `${name}.png`),
            prompts,
            generated,
            model,
          );
          await writeContactSheet(
            join(folder, 'latest.png'),
            await spectrogramTiles(generated.spectrograms, model.codec, prompts),
            { columns: 5, tileSize: [128, 128] },
          );
          return files;
        } finally {
          generated.spectrograms.dispose();
        }
      },
      finish: async (step: number) => {
        model.prepareForGeneration();
        const level = measureOutputLevel(model, { captions, dataRmsDbfs, step, seed: seed + 11 });
        await writeAudioLevel(options.runDir, level);
        model.outputGainDb = level.gainDb;
        const short =
          level.dataRmsDbfs - level.reachedRmsDbfs > 0.05
            ? `, which brings them to ${level.reachedRmsDbfs.toFixed(1)} dBFS (their peaks allow no more)`
            : '';
        return `output level: the generator's clips are ${level.generatedRmsDbfs.toFixed(1)} dBFS RMS on ${level.clips} training captions, the training clips ${level.dataRmsDbfs.toFixed(1)} dBFS; generation applies up to ${level.gainDb >= 0 ? '+' : ''}${level.gainDb.toFixed(1)} dB${short} (${AUDIO_LEVEL_FILE})`;
      },
    });
    const result = await train(task, loopOptions(options, t, seed, { ...prepared.config, audioShape: audio }));
    model.prepareForGeneration();
    return { result, model };
  } catch (error) {
    model.dispose();
    throw error;
  } finally {
    trainSplit?.dispose();
  }
}
