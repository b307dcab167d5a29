// The text→image protocol: seeded captions from the real test split, several images per caption
// from the generator, judged for attributes (Strict/Feats or class accuracy); and FID/KID against the
// real split on as many images again, one for each of that many test captions (as the real images they are
// compared with each have their own caption: several images of a few captions would carry the noise of the
// few captions' mix of classes into FID, which the real-vs-real floor does not have).
// The generator comes in through a small interface, so eval does not depend on recipes.
import { type Tensor, cat, dispose, tidy } from '../tensor/index.js';
import type { DataEventHandler } from '../data/events.js';
import { type Dataset, type ManifestEntry, readDataset } from '../data/format.js';
import { Random } from '../data/random.js';
import type { Judge } from '../models/judge.js';
import { type ImageMetrics, checkJudgeMatches, evaluateImages, referenceSplit } from './images.js';
import { parseAttributes } from './caption-attributes.js';

/** What eval needs of a text→image run. */
export interface TextToImageGenerator {
  /** Images [texts.length, C, H, W] in [-1, 1]; the same seed gives the same images. */
  generate(texts: string[], options: { seed: number }): Promise<Tensor>;
  /**
   * The prompt the generator can read for a test caption, and the caption's words it cannot (outside its
   * vocabulary). Without it every caption is used as it is.
   */
  promptFor?(caption: string): { prompt: string; unknown: string[] };
}

/** Test captions with words outside the generator's vocabulary: those words are left out of the prompt. */
export interface UnknownWordsReport {
  /** Chosen captions that lost at least one word. */
  captions: number;
  /** Candidate captions skipped because none of their words is known. */
  skipped: number;
  /** The most frequent unknown words among the chosen captions, most frequent first (at most 20). */
  words: string[];
}

export interface TextToImageProtocol {
  /** Captions drawn from the test split (default 250). */
  captions: number;
  /** Images generated per caption (default 4). */
  imagesPerCaption: number;
  seed: number;
  /** Texts per generate() call (default 100). */
  batchSize: number;
}

export const DEFAULT_PROTOCOL: TextToImageProtocol = { captions: 250, imagesPerCaption: 4, seed: 0, batchSize: 100 };

export interface EvaluateTextToImageOptions extends Partial<TextToImageProtocol> {
  generator: TextToImageGenerator;
  judge: Judge;
  dataset: string | Dataset;
  kidSubsets?: number;
  /**
   * A second opinion from another kind of network: a captioner trained on the real images reads the same
   * generated images, and its caption's words are checked against the prompt's attributes.
   */
  reader?: CaptionReader;
  onEvent?: DataEventHandler;
  signal?: AbortSignal;
}

export interface CaptionReader {
  /** Where it came from (a captioner run folder). */
  name: string;
  /** One caption per image [N, C, H, W] in [-1, 1]. */
  read(images: Tensor): string[];
}

/** What the reader's captions said: the fraction of images with every judged attribute named right, and per attribute. */
export interface SecondOpinion {
  reader: string;
  images: number;
  strict: number;
  perAttribute: Record<string, number>;
}

export interface CaptionResult {
  text: string;
  /** What the generator was asked, when words outside its vocabulary were left out. */
  prompt?: string;
  attributes: Record<string, string>;
  /** Images of this caption with every judged attribute right. */
  allRight: number;
}

/**
 * What was drawn, counted both ways: `captions` test samples (rows) were drawn, and several rows can carry the
 * same caption text, so the distinct captions and the images each got are given too.
 */
export interface DrawnCaptions {
  /** Distinct caption texts among the drawn samples. */
  distinctCaptions: number;
  /** Fewest and most images any one distinct caption got. */
  imagesPerDistinctCaption: [number, number];
  /** distributionCaptions: how many test samples FID/KID's images were generated from (each once before any again), and their distinct captions. */
  distributionCaptions: number;
  distributionDistinctCaptions: number;
}

export interface TextToImageEvaluation {
  protocol: TextToImageProtocol &
    DrawnCaptions & { split: string; availableCaptions: number; unknownWords?: UnknownWordsReport };
  metrics: ImageMetrics;
  /** The first few captions with how many of their images were fully right. */
  examples: CaptionResult[];
  secondOpinion?: SecondOpinion;
}

/** Scores the reader's captions of `images` against the attributes each image was asked for. */
function readAttributes(
  reader: CaptionReader,
  images: Tensor,
  wanted: Record<string, string>[],
  attributes: Record<string, string[]>,
  batchSize: number,
): SecondOpinion {
  const names = Object.keys(attributes);
  const right: Record<string, number> = Object.fromEntries(names.map((name) => [name, 0]));
  let strict = 0;
  const count = images.shape[0] ?? 0;
  for (let start = 0; start < count; start += batchSize) {
    const captions = tidy(() => reader.read(images.narrow(0, start, Math.min(batchSize, count - start))));
    captions.forEach((caption, offset) => {
      const parsed = parseAttributes(caption, attributes);
      const want = wanted[start + offset] as Record<string, string>;
      let all = true;
      for (const name of names) {
        const ok = attributes[name]?.[parsed[name] ?? -1] === want[name];
        if (ok) right[name] = (right[name] ?? 0) + 1;
        all &&= ok;
      }
      if (all) strict++;
    });
  }
  return {
    reader: reader.name,
    images: count,
    strict: strict / count,
    perAttribute: Object.fromEntries(names.map((name) => [name, (right[name] ?? 0) / count])),
  };
}

function positiveInteger(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, got ${value}`);
  return value;
}

/** How many chosen captions lost words, and which words (most frequent first); undefined when none did. */
function unknownWordsReport(unknownPerCaption: string[][], skipped: number): UnknownWordsReport | undefined {
  const counts = new Map<string, number>();
  for (const words of unknownPerCaption) for (const word of words) counts.set(word, (counts.get(word) ?? 0) + 1);
  const captions = unknownPerCaption.filter((words) => words.length > 0).length;
  if (captions === 0 && skipped === 0) return undefined;
  const words = [...counts]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, 20)
    .map(([word]) => word);
  return { captions, skipped, words };
}

/** Seeded choice of `count` distinct entries (all of them when there are fewer). */
export function chooseCaptions(entries: readonly ManifestEntry[], count: number, seed: number): ManifestEntry[] {
  const order = new Random(seed).fork('eval-captions').shuffle(entries.map((_, index) => index));
  return order.slice(0, Math.min(count, entries.length)).map((index) => entries[index] as ManifestEntry);
}

/** Runs the protocol and scores the images. */
export async function evaluateTextToImage(options: EvaluateTextToImageOptions): Promise<TextToImageEvaluation> {
  const protocol: TextToImageProtocol = {
    captions: positiveInteger(options.captions ?? DEFAULT_PROTOCOL.captions, 'captions'),
    imagesPerCaption: positiveInteger(
      options.imagesPerCaption ?? DEFAULT_PROTOCOL.imagesPerCaption,
      'imagesPerCaption',
    ),
    seed: options.seed ?? DEFAULT_PROTOCOL.seed,
    batchSize: positiveInteger(options.batchSize ?? DEFAULT_PROTOCOL.batchSize, 'batchSize'),
  };
  if (!Number.isSafeInteger(protocol.seed) || protocol.seed < 0)
    throw new Error(`seed must be a non-negative integer, got ${protocol.seed}`);
  const dataset = typeof options.dataset === 'string' ? await readDataset(options.dataset) : options.dataset;
  const { judge } = options;
  checkJudgeMatches(judge, dataset);
  const split = referenceSplit(dataset);
  const names = judge.attributeNames;
  const attributed = dataset.entries.filter(
    (entry) => entry.split === split && names.every((name) => entry.attributes?.[name] !== undefined),
  );
  if (attributed.length === 0)
    throw new Error(`${dataset.dir}: no ${split} samples carry the judged attributes ${names.join(', ')}`);
  const prompts = new Map(
    attributed.map((entry) => [
      entry.text,
      options.generator.promptFor?.(entry.text) ?? { prompt: entry.text, unknown: [] },
    ]),
  );
  const candidates = attributed.filter((entry) => prompts.get(entry.text)?.prompt !== '');
  if (candidates.length === 0)
    throw new Error(`${dataset.dir}: none of the ${split} captions has a word the generator knows`);
  const chosen = chooseCaptions(candidates, protocol.captions, protocol.seed);
  const promptOf = (entry: ManifestEntry): string => prompts.get(entry.text)?.prompt ?? entry.text;
  const unknownWords = unknownWordsReport(
    chosen.map((entry) => prompts.get(entry.text)?.unknown ?? []),
    attributed.length - candidates.length,
  );
  const texts = chosen.flatMap((entry) => new Array<string>(protocol.imagesPerCaption).fill(promptOf(entry)));
  const records = chosen.flatMap((entry) =>
    new Array<Record<string, string>>(protocol.imagesPerCaption).fill(entry.attributes as Record<string, string>),
  );
  // the same seeded order, so the judged captions come first; a test split with fewer captions than images is
  // gone through again (each caption once more before any a third time); with one image per caption the judged images serve
  const orderEntries =
    protocol.imagesPerCaption === 1 ? undefined : chooseCaptions(candidates, texts.length, protocol.seed);
  const order = orderEntries?.map(promptOf);
  const distributionTexts =
    order && Array.from({ length: texts.length }, (_, index) => order[index % order.length] as string);

  let images: Tensor | undefined;
  let distributionImages: Tensor | undefined;
  const kid = options.kidSubsets !== undefined ? { kidSubsets: options.kidSubsets } : {};
  try {
    images = await generateAll(options, texts, protocol, protocol.seed, 'generating images to judge');
    if (distributionTexts)
      distributionImages = await generateAll(
        options,
        distributionTexts,
        protocol,
        protocol.seed + DISTRIBUTION_SEED_OFFSET,
        'generating images for FID/KID',
      );
    options.onEvent?.({
      type: 'notice',
      message: `judging ${texts.length} images and computing FID/KID against real ${split} images`,
    });
    const metrics = await evaluateImages({
      judge,
      dataset,
      images,
      attributes: records,
      seed: protocol.seed,
      distribution: !distributionImages,
      ...kid,
      ...(options.onEvent ? { onEvent: options.onEvent } : {}),
    });
    if (distributionImages) {
      const distribution = await evaluateImages({
        judge,
        dataset,
        images: distributionImages,
        seed: protocol.seed,
        ...kid,
        ...(options.onEvent ? { onEvent: options.onEvent } : {}),
      });
      metrics.distribution = distribution.distribution;
      metrics.warnings = [...new Set([...metrics.warnings, ...distribution.warnings])];
    }
    const secondOpinion = options.reader
      ? readAttributes(
          options.reader,
          images,
          records,
          Object.fromEntries(names.map((name) => [name, judge.info.attributes[name] as string[]])),
          protocol.batchSize,
        )
      : undefined;
    const first = images;
    const { predictions } = tidy(() =>
      judge.run(first.narrow(0, 0, Math.min(texts.length, 8 * protocol.imagesPerCaption))),
    );
    const examples = chosen.slice(0, 8).map((entry, caption) => {
      let allRight = 0;
      for (let k = 0; k < protocol.imagesPerCaption; k++) {
        const row = caption * protocol.imagesPerCaption + k;
        if (
          names.every(
            (name) =>
              judge.info.attributes[name]?.[(predictions.get(name) as Int32Array)[row] as number] ===
              entry.attributes?.[name],
          )
        )
          allRight++;
      }
      const prompt = promptOf(entry);
      return {
        text: entry.text,
        ...(prompt !== entry.text ? { prompt } : {}),
        attributes: entry.attributes as Record<string, string>,
        allRight,
      };
    });
    const perText = new Map<string, number>();
    for (const entry of chosen) perText.set(entry.text, (perText.get(entry.text) ?? 0) + protocol.imagesPerCaption);
    const drawn: DrawnCaptions = {
      distinctCaptions: perText.size,
      imagesPerDistinctCaption: [Math.min(...perText.values()), Math.max(...perText.values())],
      distributionCaptions: order?.length ?? chosen.length,
      distributionDistinctCaptions: new Set((orderEntries ?? chosen).map((entry) => entry.text)).size,
    };
    return {
      protocol: {
        ...protocol,
        ...drawn,
        split,
        availableCaptions: candidates.length,
        ...(unknownWords ? { unknownWords } : {}),
      },
      metrics,
      examples,
      ...(secondOpinion ? { secondOpinion } : {}),
    };
  } finally {
    images?.dispose();
    distributionImages?.dispose();
  }
}

/** Keeps FID/KID's noise apart from the judged images' noise. */
const DISTRIBUTION_SEED_OFFSET = 1_000_003;

/** Images [texts.length, C, H, W] for the texts, protocol.batchSize per generate() call (call k seeded seed + k). */
async function generateAll(
  options: EvaluateTextToImageOptions,
  texts: readonly string[],
  protocol: TextToImageProtocol,
  seed: number,
  message: string,
): Promise<Tensor> {
  const parts: Tensor[] = [];
  try {
    for (let start = 0, call = 0; start < texts.length; start += protocol.batchSize, call++) {
      if (options.signal?.aborted)
        throw options.signal.reason instanceof Error ? options.signal.reason : new Error('evaluation was cancelled');
      const batch = texts.slice(start, start + protocol.batchSize);
      const generated = await options.generator.generate(batch, { seed: seed + call });
      parts.push(generated);
      if (generated.rank !== 4 || generated.shape[0] !== batch.length) {
        throw new Error(
          `the generator returned [${generated.shape.join(', ')}] for ${batch.length} captions; expected [${batch.length}, channels, height, width]`,
        );
      }
      options.onEvent?.({
        type: 'progress',
        done: Math.min(texts.length, start + batch.length),
        total: texts.length,
        message,
      });
    }
    if (parts.length === 1) return parts.pop() as Tensor;
    return cat(parts, 0);
  } finally {
    dispose(parts);
  }
}
