// Make a sound from text: the text→audio GAN mmgen trained on spoken digits (shipped in demo/) says a number.
//
//   node --import tsx examples/text-to-sound.ts [WORD] [--run RUN] [--n N] [--out DIR]
//
// Loads demo/runs/spoken-digits-gan (an exported text2audio-gan: a log-mel GAN, phase by Griffin-Lim) with
// loadRun, generates N clips (default 2) of WORD (default "seven"; the run knows zero … nine) and saves them as
// 16 kHz WAVs, DIR/WORD-0.wav …, with each clip's spectrogram picture beside it. The same seed and N give the
// same bytes.
import { mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { loadRun } from '../src/index.js';

const shipped = join(dirname(fileURLToPath(import.meta.url)), '..', 'demo', 'runs', 'spoken-digits-gan');
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { run: { type: 'string', default: shipped }, n: { type: 'string', default: '2' }, out: { type: 'string' } },
});
const word = positionals[0] ?? 'seven';
const out = values.out ?? (await mkdtemp(join(tmpdir(), 'mmgen-sound-')));
await mkdir(out, { recursive: true });

const run = await loadRun(values.run);
console.log(`${run.id}: ${run.description}`);
const clips = await run.generate(word, { n: Number(values.n), seed: 0 });
for (const clip of clips) {
  if (clip.kind !== 'audio') throw new Error(`${run.dir} makes ${clip.kind}s, not sound`);
  const file = join(out, `${word}-${clip.index}.wav`);
  await clip.save(file);
  if (clip.spectrogram) {
    const { data, width, height, channels } = clip.spectrogram;
    await sharp(data, { raw: { width, height, channels } })
      .png()
      .toFile(file.replace(/\.wav$/, '.png'));
  }
  console.log(`${file}: ${(clip.samples.length / clip.sampleRate).toFixed(2)} s at ${clip.sampleRate} Hz`);
}
run.dispose();
