// The programs in examples/ run as a newcomer runs them (`node --import tsx examples/X.ts`, in child processes,
// at their --quick sizes) and write what their header says they write.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import wavefile from 'wavefile';

const repository = resolve(import.meta.dirname, '..', '..');
let root = '';

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'mmgen-examples-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Runs an example to completion; returns its stdout, failing with its output when it exits non-zero. */
function runExample(name: string, args: string[]): string {
  const result = spawnSync(process.execPath, ['--import', 'tsx', join('examples', name), ...args], {
    cwd: repository,
    encoding: 'utf8',
    env: { ...process.env, NODE_OPTIONS: '' },
    timeout: 300_000,
  });
  assert.equal(result.status, 0, `examples/${name} exited with ${result.status}:\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

test('text-to-image: trains a tiny GAN and saves four 64×64 pictures', async () => {
  const out = join(root, 'text-to-image');
  runExample('text-to-image.ts', ['--quick', '--out', out]);
  for (const index of [0, 1, 2, 3]) {
    const { width, height, format } = await sharp(join(out, `drawn-${index}.png`)).metadata();
    assert.deepEqual({ width, height, format }, { width: 64, height: 64, format: 'png' });
  }
  assert.ok(
    existsSync(join(out, 'run', 'config.json')) && existsSync(join(out, 'run', 'model.safetensors')),
    'a run folder mmgen can load',
  );
});

test("caption: trains a tiny captioner and captions four test pictures in the dataset's words", async () => {
  const out = join(root, 'caption');
  const printed = runExample('caption.ts', ['--quick', '--out', out]);
  const captions = JSON.parse(await readFile(join(out, 'captions.json'), 'utf8')) as { source: string; text: string }[];
  assert.equal(captions.length, 4);
  const vocabulary = new Set(
    (await readFile(join(out, 'shapes', 'manifest.jsonl'), 'utf8'))
      .split('\n')
      .filter(Boolean)
      .flatMap((line) => (JSON.parse(line) as { text: string }).text.split(' ')),
  );
  for (const caption of captions) {
    assert.ok(existsSync(caption.source), `${caption.source} is a picture of the dataset`);
    for (const word of caption.text.split(' ').filter(Boolean))
      assert.ok(vocabulary.has(word), `"${word}" (in "${caption.text}") is a word of the dataset`);
    assert.ok(printed.includes(caption.source), 'each caption is printed with its file');
  }
  // Given a run folder, it captions with that run instead of training one: the same run, the same captions.
  const again = join(root, 'caption-again');
  runExample('caption.ts', [join(out, 'run'), '--out', again]);
  assert.deepEqual(JSON.parse(await readFile(join(again, 'captions.json'), 'utf8')), captions);
  assert.ok(!existsSync(join(again, 'shapes')), 'nothing was trained the second time');
});

test('text-to-sound: the shipped spoken-digits GAN says "three" as 16 kHz WAVs that are not silent', async () => {
  const out = join(root, 'text-to-sound');
  runExample('text-to-sound.ts', ['three', '--n', '2', '--out', out]);
  for (const index of [0, 1]) {
    const wav = new wavefile.WaveFile(await readFile(join(out, `three-${index}.wav`)));
    const format = wav.fmt as { sampleRate: number; numChannels: number };
    assert.deepEqual({ rate: format.sampleRate, channels: format.numChannels }, { rate: 16000, channels: 1 });
    const samples = Float64Array.from(
      wav.getSamples(false, Float64Array) as unknown as ArrayLike<number>,
      (value) => value / 32768,
    );
    assert.ok(samples.length >= 8000, `a clip of at least half a second (${samples.length} samples)`);
    const rms = Math.sqrt(samples.reduce((sum, value) => sum + value * value, 0) / samples.length);
    assert.ok(rms > 0.01, `the clip is not silent (RMS ${rms})`);
    assert.ok(existsSync(join(out, `three-${index}.png`)), 'its spectrogram picture');
  }
  const again = join(root, 'text-to-sound-again');
  runExample('text-to-sound.ts', ['three', '--n', '2', '--out', again]);
  assert.ok(
    (await readFile(join(again, 'three-0.wav'))).equals(await readFile(join(out, 'three-0.wav'))),
    'same seed, same bytes',
  );
});

test('tensor-nn: the MLP loss falls a hundredfold and the live tensor count stays flat', async () => {
  const out = join(root, 'tensor-nn');
  const printed = runExample('tensor-nn.ts', ['--steps', '150', '--out', out]);
  const losses = [...printed.matchAll(/^step \d+ {2}loss (\S+)$/gm)].map((match) => Number(match[1]));
  assert.equal(losses.length, 4, `losses printed at steps 1, 50, 100, 150:\n${printed}`);
  assert.ok(
    (losses.at(-1) as number) < (losses[0] as number) / 100,
    `loss should fall a hundredfold: ${losses.join(' → ')}`,
  );
  const live = /live tensors: (\d+) \(after the first step: (\d+)\)/.exec(printed);
  assert.ok(live && live[1] === live[2], `no tensor leaks in the loop: ${live?.[0]}`);
  assert.ok(existsSync(join(out, 'mlp.safetensors')));
});
