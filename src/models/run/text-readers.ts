// The calls of runs that write text about an input: caption (captioner runs, alone or as an ensemble)
// and transcribe (transcriber runs). An input that cannot be read gets an error line; the rest are read.
import type { GeneratedText, GenerateTextOptions } from '../../modalities/text/generate.js';
import { tensor, type Tensor } from '../../tensor/index.js';
import type { CaptionerEnsemble } from '../captioner-ensemble.js';
import type { Transcriber } from '../transcriber.js';
import { type Read, asList, batchOf, isOneClip, isOneImage, readClips, readPictures } from './inputs.js';
import type { ReadTextOptions, RunCalls, TextOutput } from './types.js';

/** Text options without the batch size. */
const searchOf = ({ batch: _batch, ...search }: ReadTextOptions): GenerateTextOptions => search;

/** Lines in input order: each read input gets the next text, each unread one its error. */
function linesOf<Value>(reads: readonly Read<Value>[], texts: readonly GeneratedText[], offset: number): TextOutput[] {
  let next = 0;
  return reads.map((read, index): TextOutput => {
    if ('error' in read)
      return {
        kind: 'text',
        index: offset + index,
        source: read.source,
        text: '',
        logProb: 0,
        score: 0,
        error: read.error,
      };
    const text = texts[next++];
    if (!text) throw new Error(`no text came back for ${read.source}`);
    return {
      kind: 'text',
      index: offset + index,
      source: read.source,
      text: text.text,
      logProb: text.logProb,
      score: text.score,
    };
  });
}

export function captionerCalls(ensemble: CaptionerEnsemble): RunCalls {
  return {
    modalities: { inputs: ['image'], outputs: ['text'] },
    caption: async (images, options: ReadTextOptions = {}) => {
      const inputs = asList(images, isOneImage);
      if (inputs.length === 0) throw new Error('give at least one image to caption');
      const batch = options.batch ?? 64;
      const lines: TextOutput[] = [];
      for (let start = 0; start < inputs.length; start += batch) {
        const reads = await readPictures(inputs.slice(start, start + batch), ensemble.shape);
        const pictures = batchOf(reads);
        let texts: GeneratedText[] = [];
        try {
          if (pictures) texts = ensemble.caption(pictures, searchOf(options));
        } finally {
          pictures?.dispose();
        }
        lines.push(...linesOf(reads, texts, start));
      }
      return lines;
    },
    dispose: () => ensemble.dispose(),
  };
}

export function transcriberCalls(model: Transcriber): RunCalls {
  return {
    modalities: { inputs: ['audio'], outputs: ['text'] },
    transcribe: async (clips, options: ReadTextOptions = {}) => {
      const inputs = asList(clips, isOneClip);
      if (inputs.length === 0) throw new Error('give at least one clip to transcribe');
      const batch = options.batch ?? inputs.length;
      const lines: TextOutput[] = [];
      for (let start = 0; start < inputs.length; start += batch) {
        const reads = await readClips(inputs.slice(start, start + batch), model.audio);
        const good = reads.flatMap((read) => ('value' in read ? [read.value] : []));
        let texts: GeneratedText[] = [];
        if (good.length > 0) {
          const flat = new Float32Array(good.length * model.audio.samples);
          good.forEach((clip, index) => flat.set(clip, index * model.audio.samples));
          const waveforms: Tensor = tensor(flat, { shape: [good.length, model.audio.samples] });
          try {
            texts = model.transcribe(waveforms, searchOf(options));
          } finally {
            waveforms.dispose();
          }
        }
        lines.push(...linesOf(reads, texts, start));
      }
      return lines;
    },
    dispose: () => model.dispose(),
  };
}
