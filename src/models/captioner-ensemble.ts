// Captioner ensembles: several captioner runs (e.g. one config trained with other seeds) caption together,
// each next word from the product of their distributions (averageStepModels in decoding.ts). A captioner
// trained on few pictures answers an unseen one with some memorised name of its own; members trained
// apart rarely share the same wrong name, so the words they agree on win.
import { averageStepModels } from '../modalities/text/decoding.js';
import { type GenerateTextOptions, type GeneratedText, searchText } from '../modalities/text/generate.js';
import type { Tensor } from '../tensor/index.js';
import type { Captioner } from './captioner.js';
import { type LoadedCaptioner, loadCaptionerRun } from './captioner-run.js';
import type { Writing } from './text-writer.js';

export class CaptionerEnsemble {
  /** members[0] gives the decoding defaults and the image shape files are read at. */
  constructor(
    readonly members: readonly Captioner[],
    readonly names: readonly string[] = members.map((_, index) => `member ${index + 1}`),
  ) {
    const first = members[0];
    if (!first) throw new Error('a captioner ensemble needs at least one run');
    const vocabulary = JSON.stringify(first.tokenizer.toJSON());
    members.forEach((member, index) => {
      if (JSON.stringify(member.tokenizer.toJSON()) !== vocabulary) {
        throw new Error(
          `${names[index]} has another vocabulary than ${names[0]}; ensemble only runs trained on the same dataset (their tokenizer.json files must be equal)`,
        );
      }
    });
  }

  get shape(): Captioner['shape'] {
    return (this.members[0] as Captioner).shape;
  }

  /** One caption per image [N, C, H, W] in [-1, 1]; unset options come from the first run's decoding section. */
  caption(images: Tensor, options: GenerateTextOptions = {}): GeneratedText[] {
    const first = this.members[0] as Captioner;
    if (this.members.length === 1) return first.caption(images, options);
    const writings: Writing[] = [];
    try {
      for (const member of this.members) writings.push(member.beginWriting(images));
      const steps = averageStepModels(writings.map((writing) => writing.steps));
      return searchText(
        steps,
        writings.map((writing) => writing.initial),
        images.shape[0] ?? 0,
        first.tokenizer,
        first.decodingOptions(options),
      );
    } finally {
      for (const writing of writings) writing.finish();
    }
  }

  dispose(): void {
    for (const member of this.members) member.dispose();
  }
}

/** Loads a run and the runs to ensemble it with (none: the run alone); they must share its vocabulary. */
export async function loadCaptionerEnsemble(
  runDir: string,
  others: readonly string[],
): Promise<{ ensemble: CaptionerEnsemble; first: LoadedCaptioner }> {
  const loaded: LoadedCaptioner[] = [];
  try {
    for (const dir of [runDir, ...others]) loaded.push(await loadCaptionerRun(dir));
    const first = loaded[0] as LoadedCaptioner;
    return {
      ensemble: new CaptionerEnsemble(
        loaded.map((run) => run.model),
        [runDir, ...others],
      ),
      first,
    };
  } catch (error) {
    for (const run of loaded) run.model.dispose();
    throw error;
  }
}
