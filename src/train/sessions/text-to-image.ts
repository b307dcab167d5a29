// Wires a text→image recipe (GAN or VAE) to a dataset and the training loop: tokenizer from the training
// captions, seeded batches, fixed sample prompts and noise, checkpoints and exact resume.
import { join } from 'node:path';
import { BatchLoader } from '../../data/batches.js';
import { readDataset } from '../../data/format.js';
import { loadSplit } from '../../data/loader.js';
import { tensorToImages, writeContactSheet } from '../../modalities/image/index.js';
import type { TextToImageRecipe } from '../../models/text-to-image-recipes.js';
import type { TextToImageModel } from '../../models/text-to-image.js';
import { manualSeed } from '../../tensor/index.js';
import { keepKnownWords } from '../../models/prompts.js';
import { type TrainResult, train } from '../loop.js';
import { type SessionOptions, batchTask, loopOptions, runTokenizer, samplePrompts } from './common.js';

export type { SessionOptions } from './common.js';

/** Trains a text→image recipe; `config` is validated by the recipe's schema (a parsed config passes unchanged). */
export async function trainTextToImage(
  recipe: TextToImageRecipe,
  config: unknown,
  options: SessionOptions,
): Promise<{ result: TrainResult; model: TextToImageModel }> {
  const prepared = recipe.prepare(config);
  const { dataset: datasetPath, seed, training: t } = prepared.config;
  const dataset = await readDataset(datasetPath);
  const imageInfo = dataset.info.modalities.image;
  if (!imageInfo)
    throw new Error(
      `dataset ${datasetPath} has no images; a text→image recipe needs an image dataset (e.g. \`mmgen data build shapes\`)`,
    );
  if (imageInfo.width !== imageInfo.height)
    throw new Error(
      `a text→image recipe needs square images; ${datasetPath} has ${imageInfo.width}×${imageInfo.height}`,
    );
  const tokenizer = await runTokenizer(dataset, options);
  const textOptions = { tokenizer, padId: tokenizer.padId };
  const trainSplit = await loadSplit(dataset, {
    split: 'train',
    images: 'uint8',
    text: textOptions,
    ...(t.trainLimit ? { limit: t.trainLimit } : {}),
    ...(options.onData ? { onEvent: options.onData } : {}),
  });
  const promptSplit =
    dataset.info.splits.val > 0
      ? await loadSplit(dataset, { split: 'val', images: false, text: textOptions, limit: 400 })
      : trainSplit;
  const shape = { channels: imageInfo.channels, size: imageInfo.width };
  // seeded initialisation: the same seed gives the same initial weights in any process
  if (!options.resume) manualSeed(seed);
  const model = prepared.create(tokenizer, shape);
  const loader = new BatchLoader(trainSplit, { batchSize: t.batchSize, seed, imagesAsFloat: true });
  // validation captions may use words training never saw (emoji's unseen test names): those cannot be sample prompts
  const usable = promptSplit.entries.filter((entry) => keepKnownWords(tokenizer, entry.text).unknown.length === 0);
  const prompts = samplePrompts({ entries: usable.length > 0 ? usable : trainSplit.entries }, 8);
  const sampleTexts = prompts.flatMap((prompt) => [prompt, prompt]);

  const task = batchTask(model, loader, {
    sample: async (folder: string, step: number) => {
      model.prepareForGeneration();
      // fixed noise: the same seed at every sample step, so a user watches the same prompts improve
      const images = model.generate(sampleTexts, seed + 7);
      const raw = tensorToImages(images, { range: 'signed' });
      images.dispose();
      const tiles = raw.map((image, index) => ({ image, caption: sampleTexts[index] ?? '' }));
      const file = join(folder, `step-${String(step).padStart(7, '0')}.png`);
      await writeContactSheet(file, tiles, { columns: 4, tileSize: [96, 96] });
      await writeContactSheet(join(folder, 'latest.png'), tiles, { columns: 4, tileSize: [96, 96] });
      return [file];
    },
  });
  try {
    const result = await train(task, loopOptions(options, t, seed, { ...prepared.config, imageShape: shape }));
    model.prepareForGeneration();
    return { result, model };
  } catch (error) {
    model.dispose();
    throw error;
  } finally {
    trainSplit.dispose();
    if (promptSplit !== trainSplit) promptSplit.dispose();
  }
}
