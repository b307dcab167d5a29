// The mmgen command itself: an unknown command is an error whatever flags follow it (commander alone prints
// the help and exits 0 for `mmgen deploy --help`), known commands and their help still work, and an --out
// that is a file (or lies under one) is refused in words before any work, by every command that writes a folder.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildProgram, unknownCommand } from '../../src/cli/main.js';
import { checkOutputFolder } from '../../src/cli/output-folder.js';

const root = await mkdtemp(join(tmpdir(), 'mmgen-cli-'));
const file = join(root, 'out.png');
await writeFile(file, 'not a folder');
after(async () => {
  await rm(root, { recursive: true, force: true });
});

const mmgen = (...args: string[]): { status: number | null; stdout: string; stderr: string } =>
  spawnSync(process.execPath, ['bin/mmgen.js', ...args], { encoding: 'utf8' });

test('an unknown command says so and exits non-zero, with --help or any other flag after it', () => {
  for (const args of [['deploy', '--help'], ['deploy'], ['deploy', '--out', 'x', '-h'], ['help', 'deploy']]) {
    const result = mmgen(...args);
    assert.notEqual(result.status, 0, `mmgen ${args.join(' ')} exited 0`);
    assert.match(
      result.stderr,
      /^mmgen: unknown command "deploy"; the commands are demo, .*generate.* \(run `mmgen --help` for what each does\)$/m,
      args.join(' '),
    );
    assert.equal(result.stdout, '', 'no help is printed as if the command existed');
  }
  const nested = mmgen('data', 'deploy', '--help');
  assert.notEqual(nested.status, 0);
  assert.match(nested.stderr, /unknown command "deploy" for mmgen data; the commands are build, show/);
  for (const args of [
    ['--help'],
    ['generate', '--help'],
    ['data', 'build', '--help'],
    ['help', 'data'],
    ['worker', '--help'],
  ]) {
    const result = mmgen(...args);
    assert.equal(result.status, 0, `mmgen ${args.join(' ')}: ${result.stderr}`);
    assert.match(result.stdout, /^Usage: mmgen/);
  }
});

test('unknownCommand: words after a command with arguments of its own are its arguments, not commands', () => {
  const program = buildProgram();
  assert.equal(unknownCommand(program, ['eval', 'runs/some-run', '--judge', 'j']), undefined);
  assert.equal(unknownCommand(program, ['eval', 'train-judge', 'datasets/x', '--out', 'judge']), undefined);
  assert.equal(unknownCommand(program, ['train', 'configs/shapes-gan.yaml', '--set', 'seed=1']), undefined);
  assert.equal(unknownCommand(program, ['demo', '--steps', '200']), undefined);
  assert.equal(unknownCommand(program, []), undefined);
  assert.deepEqual(unknownCommand(program, ['--help', 'wrker'])?.word, 'wrker');
  assert.deepEqual(unknownCommand(program, ['data', 'bild'])?.known, ['build', 'show']);
});

test('an --out that is a file, or lies under one, is a clear error naming the path, for every command that writes a folder', async () => {
  await assert.rejects(
    checkOutputFolder(file),
    new RegExp(`--out ${file} is a file, not a folder; give the path of a folder to write into`),
  );
  await assert.rejects(
    checkOutputFolder(join(file, 'images')),
    new RegExp(`--out ${file}/images lies under ${file}, which is a file, not a folder`),
  );
  await checkOutputFolder(root);
  await checkOutputFolder(join(root, 'new', 'deeper'));
  const commands = [
    ['train', 'configs/shapes-gan.yaml', '--out', file],
    ['data', 'build', 'shapes', '--level', '1', '--count', '12', '--out', file],
    ['eval', 'train-judge', join(root, 'dataset'), '--out', file],
    ['average', join(root, 'run'), '--out', file],
    ['demo', '--out', file],
    ['generate', join(root, 'run'), '--text', 'heart', '--out', file],
  ];
  for (const args of commands) {
    const result = mmgen(...args);
    assert.notEqual(result.status, 0, `mmgen ${args.join(' ')} exited 0`);
    assert.match(
      result.stderr,
      /--out \S+out\.png is a file, not a folder; give the path of a folder to write into/,
      `mmgen ${args.slice(0, 2).join(' ')}: ${result.stderr}`,
    );
    assert.doesNotMatch(result.stderr, /EEXIST|ENOTDIR/);
  }
});

test("eval's joint settings are checked before any work: a guidance that is not a number, zero candidates, a split other than test or val", () => {
  const shipped = 'demo/runs/joint-shapes-l3';
  const guidance = mmgen('eval', shipped, '--guidance', 'lots');
  assert.equal(guidance.status, 1);
  assert.match(guidance.stderr, /--guidance must be a number from 0 to 100, got "lots"/);
  const candidates = mmgen('eval', shipped, '--candidates', '0');
  assert.equal(candidates.status, 1);
  assert.match(candidates.stderr, /--candidates must be an integer from 1 to 64, got "0"/);
  const split = mmgen('eval', shipped, '--split', 'train');
  assert.equal(split.status, 1);
  assert.match(split.stderr, /--split must be test or val, got "train"/);
});

test('a new run that fails before its first checkpoint leaves no folder; an existing folder is never removed', () => {
  const dataset = join(root, 'shapes');
  assert.equal(mmgen('data', 'build', 'shapes', '--level', '1', '--count', '12', '--out', dataset).status, 0);
  // joint-diffusion writes its tokenizer into the run, then fails to read the autoencoders it was told to reuse
  const failing = ['--set', `dataset=${dataset}`, '--set', `training.autoencoder.from=${join(root, 'no-run')}`];
  const fresh = join(root, 'fresh-run');
  const result = mmgen('train', 'configs/joint-diffusion-shapes.yaml', '--out', fresh, ...failing);
  assert.equal(result.status, 1);
  assert.match(result.stderr, /training.autoencoder.from: cannot read .*no-run/);
  assert.ok(!existsSync(fresh), 'the failed run left its folder behind');
  const existing = join(root, 'existing-run');
  mkdirSync(existing);
  writeFileSync(join(existing, 'notes.txt'), 'mine');
  assert.equal(mmgen('train', 'configs/joint-diffusion-shapes.yaml', '--out', existing, ...failing).status, 1);
  assert.ok(existsSync(join(existing, 'notes.txt')), 'a folder that existed before keeps what it had');
});
