// The real commands with their output going to a pipe (as under nohup, in CI, or `2>&1 | cat`): a data build
// prints its progress lines while it works, not all at the end, and training's last line is its result.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = await mkdtemp(join(tmpdir(), 'mmgen-progress-'));
after(async () => {
  await rm(root, { recursive: true, force: true });
});
const dataset = join(root, 'shapes');

/** Runs mmgen with stdout and stderr joined into one pipe; each line with the second it arrived. */
async function runPiped(
  args: string[],
): Promise<{ lines: { text: string; at: number }[]; exitedAt: number; status: number | null }> {
  const quoted = args.map((arg) => `'${arg.replace(/'/g, `'\\''`)}'`).join(' ');
  const child = spawn('sh', ['-c', `exec '${process.execPath}' bin/mmgen.js ${quoted} 2>&1`], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: { text: string; at: number }[] = [];
  const reader = createInterface({ input: child.stdout });
  reader.on('line', (text) => lines.push({ text, at: performance.now() / 1000 }));
  const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
  return { lines, exitedAt: performance.now() / 1000, status };
}

test('data build to a pipe: progress lines arrive while it works, every 5 % after its first second, and the result comes last', async () => {
  const { lines, exitedAt, status } = await runPiped([
    'data',
    'build',
    'shapes',
    '--level',
    '5',
    '--count',
    '4000',
    '--out',
    dataset,
  ]);
  assert.equal(status, 0, lines.map((line) => line.text).join('\n'));
  const progress = lines.filter((line) => /^rendering shapes \d+\/4000 \d+ %/.test(line.text));
  assert.ok(progress.length >= 8, `${progress.length} progress lines:\n${lines.map((line) => line.text).join('\n')}`);
  const percents = progress.map((line) => Number(/(\d+) %/.exec(line.text)?.[1]));
  assert.deepEqual(
    percents,
    [...percents].sort((a, b) => a - b),
    'percentages rise',
  );
  assert.equal(percents.at(-1), 100);
  // read as they came: the lines are spread over the rendering, not delivered together at exit
  const first = progress[0]?.at ?? 0;
  const last = progress.at(-1)?.at ?? 0;
  assert.ok(
    last - first >= 0.5 && last - first >= 0.4 * (exitedAt - first),
    `progress lines span ${(last - first).toFixed(2)} s of the ${(exitedAt - first).toFixed(2)} s from the first line to exit`,
  );
  assert.match(lines.at(-1)?.text ?? '', /^built shapes in .*: 4000 samples/);
});

test('training to a pipe ends with its done line: no data bar is closed after it', async () => {
  const run = join(root, 'run');
  const { lines, status } = await runPiped([
    'train',
    'configs/shapes-gan.yaml',
    '--out',
    run,
    '--set',
    `dataset=${dataset}`,
    '--set',
    'training.steps=12',
    '--set',
    'training.sampleEvery=6',
    '--set',
    'training.checkpointEvery=6',
    '--set',
    'model.generatorChannels=32',
    '--set',
    'model.discriminatorChannels=8',
  ]);
  const text = lines.map((line) => line.text);
  assert.equal(status, 0, text.join('\n'));
  assert.ok(
    text.some((line) => /^reading train images 3200\/3200 100 %$/.test(line)),
    text.join('\n'),
  );
  assert.ok(
    text.indexOf('reading train images 3200/3200 100 %') < text.findIndex((line) => line.startsWith('training ')),
    'loading is reported before training starts',
  );
  assert.ok(text.some((line) => /^step 12\/12 /.test(line)));
  assert.match(text.at(-1) ?? '', /^done: 12 steps in \d+s; run folder /);
});
