// The audio→text protocol: transcribe every clip of the test split and score exact-match accuracy
// (the whole transcript right, after lower-casing and spacing punctuation) and character error rate
// (Levenshtein edits over reference characters, summed over the split), with word error rate beside them.
import { type Tensor, tidy } from '../tensor/index.js';
import type { DataEventHandler } from '../data/events.js';
import { type Dataset, readDataset } from '../data/format.js';
import { loadSplit } from '../data/loader.js';
import { canonicalCaption } from './caption-attributes.js';

/** Edit distance (insertions, deletions, substitutions) between two sequences. */
export function editDistance<T>(a: readonly T[], b: readonly T[]): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        (previous[j] as number) + 1,
        (current[j - 1] as number) + 1,
        (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return previous[b.length] as number;
}

export interface TranscriptScores {
  clips: number;
  exact: number;
  /** Character edits / reference characters. */
  characterErrorRate: number;
  wordErrorRate: number;
}

export function scoreTranscripts(hypotheses: readonly string[], references: readonly string[]): TranscriptScores {
  if (hypotheses.length !== references.length || hypotheses.length === 0)
    throw new Error(
      `scoreTranscripts needs as many transcripts as references (got ${hypotheses.length} and ${references.length}), at least one`,
    );
  let exact = 0;
  let characterEdits = 0;
  let characters = 0;
  let wordEdits = 0;
  let words = 0;
  hypotheses.forEach((hypothesis, index) => {
    const a = canonicalCaption(hypothesis);
    const b = canonicalCaption(references[index] as string);
    if (a === b) exact++;
    characterEdits += editDistance([...a], [...b]);
    characters += [...b].length;
    const aWords = a === '' ? [] : a.split(' ');
    const bWords = b === '' ? [] : b.split(' ');
    wordEdits += editDistance(aWords, bWords);
    words += bWords.length;
  });
  return {
    clips: hypotheses.length,
    exact: exact / hypotheses.length,
    characterErrorRate: characterEdits / Math.max(1, characters),
    wordErrorRate: wordEdits / Math.max(1, words),
  };
}

export interface AudioToTextEvaluation {
  dataset: { dir: string; name: string; options: Record<string, unknown> };
  split: string;
  scores: TranscriptScores;
  clipsPerSecond: number;
  examples: { id: string; reference: string; transcript: string }[];
}

export async function evaluateAudioToText(options: {
  transcribe(waveforms: Tensor): string[];
  dataset: string | Dataset;
  limit?: number;
  batchSize?: number;
  onEvent?: DataEventHandler;
  signal?: AbortSignal;
}): Promise<AudioToTextEvaluation> {
  const dataset = typeof options.dataset === 'string' ? await readDataset(options.dataset) : options.dataset;
  const batchSize = options.batchSize ?? 100;
  const split = dataset.info.splits.test > 0 ? 'test' : 'val';
  const test = await loadSplit(dataset, {
    split,
    images: false,
    ...(options.limit !== undefined ? { limit: options.limit } : {}),
    ...(options.onEvent ? { onEvent: options.onEvent } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  try {
    const audio = test.audio;
    if (!audio) throw new Error(`${dataset.dir} has no audio; a transcriber is evaluated on spoken clips`);
    const transcripts: string[] = [];
    const started = performance.now();
    for (let start = 0; start < test.size; start += batchSize) {
      if (options.signal?.aborted)
        throw options.signal.reason instanceof Error ? options.signal.reason : new Error('evaluation was cancelled');
      const clips = tidy(() => audio.narrow(0, start, Math.min(batchSize, test.size - start)).contiguous());
      try {
        transcripts.push(...options.transcribe(clips));
      } finally {
        clips.dispose();
      }
      options.onEvent?.({
        type: 'progress',
        done: Math.min(test.size, start + batchSize),
        total: test.size,
        message: `transcribing ${split} clips`,
      });
    }
    const seconds = (performance.now() - started) / 1000;
    const references = test.entries.map((entry) => entry.text);
    return {
      dataset: { dir: dataset.dir, name: dataset.info.name, options: dataset.info.options },
      split,
      scores: scoreTranscripts(transcripts, references),
      clipsPerSecond: Number((test.size / seconds).toFixed(1)),
      examples: test.entries
        .slice(0, 12)
        .map((entry, index) => ({ id: entry.id, reference: entry.text, transcript: transcripts[index] ?? '' })),
    };
  } finally {
    test.dispose();
  }
}
