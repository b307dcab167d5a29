// `mmgen eval RUN` for a transcriber: exact-match accuracy, character and word error rates on the test
// split; writes RUN/eval.json and RUN/eval.md.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../../data/files.js';
import { mmgenVersion } from '../../data/format.js';
import { EVAL_JSON, EVAL_MARKDOWN } from '../../eval/report.js';
import { type AudioToTextEvaluation, evaluateAudioToText } from '../../eval/audio-to-text.js';
import { loadTranscriberRun } from '../../models/transcriber-run.js';
import { dataProgress } from '../data-progress.js';
import { interruptSignal } from '../progress.js';
import { percent } from '../flags.js';
import { type SearchFlags, describeSearch, searchOptions } from '../search-flags.js';

const percentage = (value: number): string => percent(value, 2);

function renderMarkdown(evaluation: AudioToTextEvaluation, runDir: string, decoding: string): string {
  const { scores } = evaluation;
  const escape = (text: string): string => text.replace(/\|/g, '\\|');
  return `${[
    `# Evaluation: ${evaluation.dataset.name} audio→text`,
    '',
    `${scores.clips} ${evaluation.split} clips transcribed by run \`${runDir}\` (transcriber, ${decoding}) at ${evaluation.clipsPerSecond} clips/s.`,
    '',
    '| metric | value |',
    '| --- | ---: |',
    `| exact match | ${percentage(scores.exact)} |`,
    `| character error rate | ${percentage(scores.characterErrorRate)} |`,
    `| word error rate | ${percentage(scores.wordErrorRate)} |`,
    '',
    '| reference | transcript |',
    '| --- | --- |',
    ...evaluation.examples.map((example) => `| ${escape(example.reference)} | ${escape(example.transcript)} |`),
  ].join('\n')}\n`;
}

export async function runTranscriberEval(
  runDir: string,
  flags: SearchFlags & { limit?: string; batch: string },
): Promise<void> {
  const started = performance.now();
  const search = searchOptions(flags);
  const run = await loadTranscriberRun(runDir);
  const data = dataProgress();
  const interrupt = interruptSignal('evaluation');
  try {
    if (!existsSync(run.dataset))
      throw new Error(
        `${runDir} was trained on ${run.dataset}, which does not exist here; rebuild it with \`mmgen data build\` at that path`,
      );
    const decoding = { ...run.config.decoding, ...search };
    const limit = flags.limit === undefined ? undefined : Number(flags.limit);
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 1))
      throw new Error(`--limit must be a positive integer, got "${flags.limit}"`);
    const evaluation = await evaluateAudioToText({
      transcribe: (waveforms) => run.model.transcribe(waveforms, decoding).map((text) => text.text),
      dataset: run.dataset,
      batchSize: Math.max(1, Number(flags.batch) || 100),
      ...(limit !== undefined ? { limit } : {}),
      onEvent: data.onEvent,
      signal: interrupt.signal,
    });
    data.stop();
    const decodingText = describeSearch(decoding);
    const json = join(runDir, EVAL_JSON);
    const markdown = join(runDir, EVAL_MARKDOWN);
    const seconds = Number(((performance.now() - started) / 1000).toFixed(1));
    await writeFileAtomic(
      json,
      `${JSON.stringify({ createdAt: new Date().toISOString(), mmgenVersion: mmgenVersion(), kind: 'audio-to-text', runDir, decoding: decodingText, seconds, ...evaluation }, null, 2)}\n`,
    );
    await writeFileAtomic(markdown, renderMarkdown(evaluation, runDir, decodingText));
    const { scores } = evaluation;
    process.stdout.write(
      `${runDir} (transcriber, ${decodingText}) on ${evaluation.dataset.name}: ${scores.clips} ${evaluation.split} clips, ${evaluation.clipsPerSecond} clips/s\n`,
    );
    process.stdout.write(
      `  exact match           ${percentage(scores.exact)}\n  character error rate  ${percentage(scores.characterErrorRate)}\n  word error rate       ${percentage(scores.wordErrorRate)}\n`,
    );
    process.stdout.write(`report: ${markdown} and ${json}\n`);
  } finally {
    data.stop();
    interrupt.release();
    run.model.dispose();
  }
}
