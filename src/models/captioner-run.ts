// Loading a trained captioner run for captioning and evaluation, and the image shape a captioner reads.
import type { ImageInfo } from '../data/format.js';
import { Captioner, type CaptionerConfig, type RetrievalBankSize, captionerConfig } from './captioner.js';
import type { ImageShape } from './data-shapes.js';
import { loadTrainedWriter, readRecipeRun } from './text-writer-run.js';

/** The channels and square side a captioner reads: the dataset's channels, the configured side or the dataset's rounded up to a power of two. */
export function captionerShape(
  config: CaptionerConfig,
  image: Pick<ImageInfo, 'width' | 'height' | 'channels'>,
): ImageShape {
  const side = Math.max(image.width, image.height);
  const size = config.model.imageSize ?? Math.max(16, 2 ** Math.ceil(Math.log2(side)));
  return { channels: image.channels === 1 ? 1 : 3, size };
}

export interface LoadedCaptioner {
  model: Captioner;
  config: CaptionerConfig;
  dataset: string;
}

export async function loadCaptionerRun(runDir: string): Promise<LoadedCaptioner> {
  const { config, raw } = await readRecipeRun(runDir, 'captioner', 'a captioner', captionerConfig);
  const shape = raw.imageShape as ImageShape | undefined;
  if (!shape || !Number.isInteger(shape.size) || !Number.isInteger(shape.channels))
    throw new Error(`${runDir}/config.json lacks imageShape; was it written by \`mmgen train\`?`);
  const bank = raw.retrievalBank as RetrievalBankSize | undefined;
  if (
    config.model.retrieval.neighbours > 0 &&
    (!bank || !Number.isInteger(bank.images) || !Number.isInteger(bank.captionLength))
  )
    throw new Error(
      `${runDir}/config.json lacks retrievalBank (the size of the retrieval bank); was it written by \`mmgen train\`?`,
    );
  const model = await loadTrainedWriter(runDir, (tokenizer) => new Captioner(config, tokenizer, shape, bank));
  return { model, config, dataset: config.dataset };
}
