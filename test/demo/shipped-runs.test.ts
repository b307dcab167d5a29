// The runs the demo ships score what RESULTS.md says they score, on spoken shapes built here that they never
// saw: the joint run in every direction, the spoken-digits text→sound run (heard by the digits' audio judge)
// and the transcriber. Thresholds sit well under the measured values (see each assertion).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { evaluateJointRun } from '../../src/cli/commands/eval-joint.js';
import { showSoundToText, showTextToSound } from '../../src/cli/demo/one-way.js';
import { SHIPPED } from '../../src/cli/demo/shipped.js';
import { buildDataset } from '../../src/data/builders/index.js';
import { readDataset } from '../../src/data/format.js';
import { directionName } from '../../src/eval/joint-report.js';
import { captionedAttributes } from '../../src/eval/image-to-text.js';
import { loadJointRun } from '../../src/models/joint-run.js';
import { Judge } from '../../src/models/judge.js';
import { loadTranscriberRun } from '../../src/models/transcriber-run.js';
import { memory } from '../../src/tensor/index.js';
import { loadJointSplit } from '../../src/train/sessions/joint.js';

// Strict on 20 fresh test rows (chance 3.3 %). Measured at dataset seeds 5 / 6 / 7 (the run exported with --half
// --int8, keeping the best of 8 draws per output at guidance 1.5, its config's sampling): T→I 1 / 1 / 0.95, I→T 1
// each, A→T 1 / 1 / 0.95, A→I 0.95 / 1 / 0.95, T→A 1 / 1 / 0.95, I→A 1 each, IT→A 1 each, IA→T 1 each, TA→I 1 each,
// joint 1 each (RESULTS.md, "shipped"); at guidance 3 I→A measured 0.8 at seed 5 and A→I 0.85. The limits leave
// room for another CPU's rounding (two rows or more under the lowest).
const JOINT_THRESHOLDS: Record<string, number> = {
  'T→I': 0.8,
  'I→T': 0.8,
  'A→T': 0.85,
  'A→I': 0.75,
  'T→A': 0.85,
  'I→A': 0.7,
  'IT→A': 0.7,
  'IA→T': 0.85,
  'TA→I': 0.85,
  joint: 0.85,
};

test('the shipped runs score on fresh spoken shapes and spoken digits, without leaks', { timeout: 900_000 }, async () => {
  const root = await mkdtemp(join(tmpdir(), 'mmgen-shipped-'));
  try {
    const datasetDir = join(root, 'shapes');
    await buildDataset({ builder: 'shapes', out: datasetDir, seed: 5, options: { level: 3, count: 200, spoken: true } });
    const dataset = await readDataset(datasetDir);
    const before = memory().tensors;

    const model = await loadJointRun(SHIPPED.joint);
    const judge = await Judge.load(SHIPPED.shapesJudge);
    const transcriber = (await loadTranscriberRun(SHIPPED.soundToText)).model;
    const split = await loadJointSplit(dataset, model, { split: 'test' });
    const strict = new Map<string, number>();
    let heard;
    try {
      const { evaluation } = await evaluateJointRun(SHIPPED.joint, model, {
        data: datasetDir, judge, transcriber: { name: 'shipped transcriber', model: transcriber }, rows: 20, samples: 20, seed: 0, temperature: 1, distribution: false,
      });
      for (const direction of evaluation.directions) if (direction.scores) strict.set(directionName(direction.from, direction.to), direction.scores.strict.value);
      strict.set('joint', evaluation.joint?.strict ?? 0);
      // the transcriber hears waveforms (the joint split holds the joint run's log-mel pictures)
      const clips = await loadJointSplit(dataset, { shapes: { tokenizer: transcriber.tokenizer, audio: transcriber.audio }, codec: undefined }, { split: 'test' });
      try {
        heard = await showSoundToText(SHIPPED.soundToText, clips, captionedAttributes(dataset, clips.entries) ?? {}, { rows: 20, shown: 1 });
      } finally {
        clips.dispose();
      }
    } finally {
      split.dispose();
      transcriber.dispose();
      judge.dispose();
      model.dispose();
    }
    const scores = JSON.stringify(Object.fromEntries(strict));
    for (const [name, least] of Object.entries(JOINT_THRESHOLDS)) assert.ok((strict.get(name) ?? 0) >= least, `${name} Strict ${strict.get(name)} < ${least}: ${scores}`);
    // the transcriber: 100 % exact on its own test clips
    assert.ok(heard.right >= 18, `sound→text: ${heard.right} of ${heard.total} transcripts name every attribute`);

    const sounds = await showTextToSound(SHIPPED.textToSound, SHIPPED.digitsJudge, join(root, 'wavs'), { perDigit: 3, seed: 0, shown: 2 });
    // 100 of 100 in the demo; 30 clips here
    assert.ok(sounds.right >= 27, `text→sound: ${sounds.right} of ${sounds.total} heard as their digit`);
    assert.equal(memory().tensors, before);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
