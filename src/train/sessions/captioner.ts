// Wires the captioner to an image dataset and the shared text-writer session.
import type { Dataset } from '../../data/format.js';
import type { Tokenizer } from '../../modalities/text/index.js';
import { Captioner, type CaptionerConfig, type RetrievalBankSize } from '../../models/captioner.js';
import { splitFeatures } from '../../data/split-features.js';
import { captionerShape } from '../../models/captioner-run.js';
import type { TrainResult } from '../loop.js';
import type { SessionOptions } from './common.js';
import { trainTextWriterRecipe } from './text-writer.js';

/** The bank a retrieval captioner keeps: every training image (up to trainLimit) and its caption's token count. */
function retrievalBankSize(dataset: Dataset, tokenizer: Tokenizer, trainLimit: number | undefined): RetrievalBankSize {
  const texts = dataset.entries
    .filter((entry) => entry.split === 'train')
    .slice(0, trainLimit)
    .map((entry) => entry.text);
  return { images: texts.length, captionLength: Math.max(1, ...texts.map((text) => tokenizer.encode(text).length)) };
}

export async function trainCaptioner(
  config: CaptionerConfig,
  options: SessionOptions,
): Promise<{ result: TrainResult; model: Captioner }> {
  return trainTextWriterRecipe(
    {
      dataset: config.dataset,
      seed: config.seed,
      training: config.training,
      modality: 'image',
      create: (dataset, tokenizer) => {
        const imageInfo = dataset.info.modalities.image;
        if (!imageInfo)
          throw new Error(
            `dataset ${config.dataset} has no images; a captioner needs an image dataset (e.g. \`mmgen data build shapes\`)`,
          );
        const shape = captionerShape(config, imageInfo);
        const bank =
          config.model.retrieval.neighbours > 0
            ? retrievalBankSize(dataset, tokenizer, config.training.trainLimit)
            : undefined;
        return {
          model: new Captioner(config, tokenizer, shape, bank),
          config: { ...config, imageShape: shape, ...(bank ? { retrievalBank: bank } : {}) },
        };
      },
      beforeTraining: (model, trainSplit) => {
        if (!model.retrieval) return;
        const keys = splitFeatures(
          trainSplit,
          { name: 'retrieval keys', features: (images) => model.retrievalKeys(images) },
          256,
        );
        try {
          model.fillRetrievalBank(
            keys,
            trainSplit.entries.map((entry) => entry.text),
          );
        } finally {
          keys.dispose();
        }
      },
    },
    options,
  );
}
