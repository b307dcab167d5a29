// Wires the captioner to an image dataset and the shared text-writer session.
import { Captioner, type CaptionerConfig } from '../../models/captioner.js';
import { captionerShape } from '../../models/captioner-run.js';
import type { TrainResult } from '../loop.js';
import type { SessionOptions } from './text-to-image.js';
import { trainTextWriterRecipe } from './text-writer.js';

export async function trainCaptioner(config: CaptionerConfig, options: SessionOptions): Promise<{ result: TrainResult; model: Captioner }> {
  return trainTextWriterRecipe({
    dataset: config.dataset,
    seed: config.seed,
    training: config.training,
    modality: 'image',
    create: (dataset, tokenizer) => {
      const imageInfo = dataset.info.modalities.image;
      if (!imageInfo) throw new Error(`dataset ${config.dataset} has no images; a captioner needs an image dataset (e.g. \`mmgen data build shapes\`)`);
      const shape = captionerShape(config, imageInfo);
      return { model: new Captioner(config, tokenizer, shape), config: { ...config, imageShape: shape } };
    },
  }, options);
}
