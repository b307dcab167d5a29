// The joint protocol (multimodal-VAE literature; CdSprites+, Sejnova et al.): conditional coherence from every
// non-empty subset of modalities to every other modality, and joint coherence of samples drawn together.
// Each output is read back into attributes by the judge of its modality — images by the dataset's image
// judge, texts by parsing their words, sounds by a transcriber trained on the real clips — and compared with
// the source sample's attributes (conditional) or with the other modalities of the same sample (joint).
// The model comes in through a small interface, so eval does not depend on recipes.
import type { Tensor } from '../tensor/index.js';
import type { ManifestEntry } from '../data/format.js';
import type { Judge } from '../models/judge.js';
import { type AttributeScores, attributeTargets, scoreAttributes } from './attributes.js';
import { parseAttributes } from './caption-attributes.js';
import { ciderD, corpusBleu } from './caption-metrics.js';
import { referencesOf } from './image-to-text.js';

export type JointModality = 'image' | 'text' | 'audio';

/** What a translation or a joint sample gives back for eval to read. */
export interface JointOutputs {
  /** [N, C, S, S] in [-1, 1]; eval disposes it. */
  image?: Tensor;
  text?: string[];
  audio?: Float32Array[];
}

/** What eval needs of a joint run: translation of test rows, and joint samples. */
export interface JointModelUnderTest {
  names: readonly JointModality[];
  /** Outputs of the `to` modalities from the `from` modalities of the given test rows. */
  translate(
    rows: readonly number[],
    from: readonly JointModality[],
    to: readonly JointModality[],
    seed: number,
  ): Promise<JointOutputs>;
  /** Joint samples, decoded into `to`. */
  sample(count: number, seed: number, to: readonly JointModality[]): Promise<JointOutputs>;
  /** Only each modality from itself can be made (a first stage without its score network): no other direction, no joint samples. */
  reconstructsOnly?: boolean;
  /** The real clips of test rows through the spectrogram codec alone (log-mel, then Griffin-Lim): no model. */
  codecRoundTrip?(rows: readonly number[]): Promise<Float32Array[]>;
}

/** How outputs of each modality are read into attribute value indices. */
export interface JointReaders {
  /** The dataset's image judge (images not judged without it). */
  image?: Judge;
  /** A transcriber trained on the real clips (sounds not judged without it). */
  audio?: { name: string; read(clips: readonly Float32Array[]): Promise<string[]> };
}

export interface DirectionScore {
  from: JointModality[];
  to: JointModality;
  /** Strict/Feats with chance, or undefined when no reader can judge `to`. */
  scores?: AttributeScores;
  /** Into text: the generated captions against each row's references (caption and alternatives). */
  captions?: { bleu1: number; bleu4: number; ciderD: number };
}

export interface JointEvaluation {
  attributes: Record<string, string[]>;
  rows: number;
  directions: DirectionScore[];
  /**
   * Each modality from itself (X→X): a test row encoded and decoded. The ceiling of every direction into
   * that modality (for joint-diffusion exactly its autoencoder's reconstruction: a held latent comes back unchanged).
   */
  reconstructions?: DirectionScore[];
  /** The real test clips through the spectrogram codec alone: the ceiling of every direction into sound. */
  codec?: AttributeScores;
  joint?: {
    samples: number;
    modalities: JointModality[];
    strict: number;
    feats: number;
    perAttribute: Record<string, number>;
  };
  notes: string[];
}

export interface JointProtocol {
  /** Test rows translated per direction (default 250). */
  rows: number;
  /** Joint samples (default 250). */
  samples: number;
  seed: number;
  /** Rows per translate() call (default 50). */
  batchSize: number;
}

export const DEFAULT_JOINT_PROTOCOL: JointProtocol = { rows: 250, samples: 250, seed: 0, batchSize: 50 };

/** Every non-empty subset of the names, smallest first (a single modality, then pairs, …). */
export function sourceSubsets(names: readonly JointModality[]): JointModality[][] {
  const subsets: JointModality[][] = [];
  for (let mask = 1; mask < 1 << names.length; mask++) subsets.push(names.filter((_, index) => mask & (1 << index)));
  return subsets.sort((a, b) => a.length - b.length);
}

/** Attribute value indices [attribute → per row] read from outputs of one modality (undefined: no reader). */
/** Attribute value indices of texts by parsing their words (-1 where a text names none). */
function attributesOfTexts(texts: readonly string[], attributes: Record<string, string[]>): Map<string, Int32Array> {
  const parsed = texts.map((text) => parseAttributes(text, attributes));
  return new Map(
    Object.keys(attributes).map((name) => [name, Int32Array.from(parsed, (record) => record[name] ?? -1)]),
  );
}

async function readAttributes(
  modality: JointModality,
  outputs: JointOutputs,
  attributes: Record<string, string[]>,
  readers: JointReaders,
): Promise<Map<string, Int32Array> | undefined> {
  if (modality === 'text') return outputs.text ? attributesOfTexts(outputs.text, attributes) : undefined;
  if (modality === 'audio')
    return outputs.audio && readers.audio
      ? attributesOfTexts(await readers.audio.read(outputs.audio), attributes)
      : undefined;
  if (!outputs.image || !readers.image) return undefined;
  const judged = readers.image.run(outputs.image).predictions;
  const judgeValues = readers.image.info.attributes;
  // the judge's value order may differ from the dataset's: map its indices by value name
  return new Map(
    Object.entries(attributes).map(([name, values]) => {
      const predicted = judged.get(name);
      const names = judgeValues[name] ?? [];
      return [name, Int32Array.from(predicted ?? new Int32Array(0), (index) => values.indexOf(names[index] ?? ''))];
    }),
  );
}

function concatenate(parts: readonly Map<string, Int32Array>[]): Map<string, Int32Array> {
  const out = new Map<string, Int32Array>();
  for (const name of parts[0]?.keys() ?? []) {
    const total = parts.reduce((sum, part) => sum + (part.get(name)?.length ?? 0), 0);
    const joined = new Int32Array(total);
    let offset = 0;
    for (const part of parts) {
      const values = part.get(name) ?? new Int32Array(0);
      joined.set(values, offset);
      offset += values.length;
    }
    out.set(name, joined);
  }
  return out;
}

export interface EvaluateJointOptions extends Partial<JointProtocol> {
  model: JointModelUnderTest;
  readers: JointReaders;
  /** The test split's entries, in the order translate() addresses rows. */
  entries: readonly ManifestEntry[];
  /**
   * The attributes the captions name (scored), with their values; none ({}) for a dataset whose captions
   * name no attribute (emoji): then only captions (BLEU-1, BLEU-4, CIDEr-D) are scored.
   */
  attributes: Record<string, string[]>;
  onProgress?: (done: number, total: number, what: string) => void;
}

export async function evaluateJoint(options: EvaluateJointOptions): Promise<JointEvaluation> {
  const protocol = { ...DEFAULT_JOINT_PROTOCOL, ...options };
  const { model, readers, attributes } = options;
  const rows = Math.min(protocol.rows, options.entries.length);
  const valueCounts = Object.fromEntries(Object.entries(attributes).map(([name, values]) => [name, values.length]));
  const records = options.entries.slice(0, rows).map((entry) => entry.attributes ?? {});
  const targets = attributeTargets(records, attributes);
  const notes: string[] = [];
  const scored = Object.keys(attributes).length > 0;
  if (!scored)
    notes.push(
      "the dataset's captions name no attribute a reader can check, so coherence is not scored: captions are scored against their references",
    );
  else if (model.names.includes('image') && !readers.image)
    notes.push('images were not judged: train the judge with `mmgen eval train-judge DATASET` (or pass --judge DIR)');
  if (scored && model.names.includes('audio') && !readers.audio)
    notes.push('sounds were not judged: pass --transcriber RUN, a transcriber trained on the same dataset');
  // outputs no reader can judge are not made (a sound costs Griffin-Lim)
  const judgeable = (name: JointModality): boolean =>
    name === 'text' ||
    (scored && name === 'image' && readers.image !== undefined) ||
    (scored && name === 'audio' && readers.audio !== undefined);
  const batches = Array.from({ length: Math.ceil(rows / protocol.batchSize) }, (_, index) => {
    const start = index * protocol.batchSize;
    return Array.from({ length: Math.min(protocol.batchSize, rows - start) }, (_, offset) => start + offset);
  });
  /** Scores of the `to` modalities translated from `from`, over every test row (batch by batch). */
  const direction = async (from: JointModality[], to: JointModality[]): Promise<DirectionScore[]> => {
    const judged = to.filter(judgeable);
    const read = new Map<JointModality, Map<string, Int32Array>[]>();
    const texts: string[] = [];
    for (const batch of judged.length > 0 ? batches : []) {
      const outputs = await model.translate(batch, from, judged, protocol.seed + (batch[0] ?? 0));
      try {
        texts.push(...(outputs.text ?? []));
        for (const target of scored ? judged : []) {
          const values = await readAttributes(target, outputs, attributes, readers);
          if (values) read.set(target, [...(read.get(target) ?? []), values]);
        }
      } finally {
        outputs.image?.dispose();
      }
    }
    return to.map((target) => {
      const parts = read.get(target);
      return {
        from,
        to: target,
        ...(parts ? { scores: scoreAttributes(concatenate(parts), targets, valueCounts) } : {}),
        ...(target === 'text' && texts.length === rows ? { captions: captionScores(texts, options.entries) } : {}),
      };
    });
  };
  const directions: DirectionScore[] = [];
  if (model.reconstructsOnly)
    notes.push(
      "this run's score network never trained: only each modality from itself (its autoencoder's ceiling) is measured",
    );
  const subsets = model.reconstructsOnly
    ? []
    : sourceSubsets(model.names).filter((subset) => subset.length < model.names.length);
  const total = subsets.length + 2;
  for (const [done, from] of subsets.entries()) {
    options.onProgress?.(done, total, `${from.join('+')} → rest`);
    directions.push(
      ...(await direction(
        from,
        model.names.filter((name) => !from.includes(name)),
      )),
    );
  }
  options.onProgress?.(subsets.length, total, 'reconstructions (each modality from itself)');
  const reconstructions: DirectionScore[] = [];
  for (const name of model.names.filter(judgeable)) reconstructions.push(...(await direction([name], [name])));
  let codec: AttributeScores | undefined;
  if (scored && model.codecRoundTrip && readers.audio && model.names.includes('audio')) {
    const heard: string[] = [];
    for (const batch of batches) heard.push(...(await readers.audio.read(await model.codecRoundTrip(batch))));
    codec = scoreAttributes(attributesOfTexts(heard, attributes), targets, valueCounts);
  }
  options.onProgress?.(subsets.length + 1, total, 'joint samples');
  const joint =
    scored && !model.reconstructsOnly
      ? await jointCoherence(model, readers, attributes, protocol, model.names.filter(judgeable))
      : undefined;
  options.onProgress?.(total, total, 'done');
  return {
    attributes,
    rows,
    directions,
    reconstructions,
    ...(codec ? { codec } : {}),
    ...(joint ? { joint } : {}),
    notes,
  };
}

/** Corpus BLEU-1, BLEU-4 and CIDEr-D of generated captions against the references of the rows they came from. */
function captionScores(texts: readonly string[], entries: readonly ManifestEntry[]): DirectionScore['captions'] {
  const pairs = texts.map((hypothesis, row) => ({
    hypothesis,
    references: referencesOf(entries[row] as ManifestEntry),
  }));
  const { bleu } = corpusBleu(pairs);
  return { bleu1: bleu[0], bleu4: bleu[3], ciderD: ciderD(pairs).score };
}

/** Joint samples read in every judged modality: the share whose modalities agree on every attribute, and per attribute. */
async function jointCoherence(
  model: JointModelUnderTest,
  readers: JointReaders,
  attributes: Record<string, string[]>,
  protocol: JointProtocol,
  judged: JointModality[],
): Promise<JointEvaluation['joint']> {
  if (judged.length < 2) return undefined;
  const read = new Map<JointModality, Map<string, Int32Array>[]>();
  for (let start = 0; start < protocol.samples; start += protocol.batchSize) {
    const outputs = await model.sample(
      Math.min(protocol.batchSize, protocol.samples - start),
      protocol.seed + 1000 + start,
      judged,
    );
    try {
      for (const modality of judged) {
        const values = await readAttributes(modality, outputs, attributes, readers);
        if (values) read.set(modality, [...(read.get(modality) ?? []), values]);
      }
    } finally {
      outputs.image?.dispose();
    }
  }
  const modalities = model.names.filter((name) => read.has(name));
  if (modalities.length < 2) return undefined;
  const byModality = modalities.map((name) => concatenate(read.get(name) ?? []));
  const names = Object.keys(attributes);
  const count = byModality[0]?.get(names[0] as string)?.length ?? 0;
  const perAttribute: Record<string, number> = {};
  const allAgree = new Uint8Array(count).fill(1);
  for (const name of names) {
    let agree = 0;
    for (let row = 0; row < count; row++) {
      const first = byModality[0]?.get(name)?.[row] ?? -1;
      const same = first >= 0 && byModality.every((values) => values.get(name)?.[row] === first);
      if (same) agree++;
      else allAgree[row] = 0;
    }
    perAttribute[name] = agree / Math.max(1, count);
  }
  const strict = allAgree.reduce((sum, value) => sum + value, 0) / Math.max(1, count);
  const feats = names.reduce((sum, name) => sum + (perAttribute[name] ?? 0), 0) / names.length;
  return { samples: count, modalities, strict, feats, perAttribute };
}
