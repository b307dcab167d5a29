// Audio generation speed: clips per second from text2audio-gan with the shipped spoken-digits config
// (untrained weights: the same operations as a trained run), split into the network that draws the
// log-mel spectrograms and the mel inversion + Griffin-Lim that turns them into 16 kHz waveforms.
// Run alone with `node --import tsx bench/audio.ts [--quick]`; bench/run.ts calls runAudioBenchmarks.
import { fileURLToPath } from 'node:url';
import { Tokenizer } from '../src/modalities/text/index.js';
import { TextToAudioGan, textToAudioGanConfig } from '../src/models/text-to-audio-gan.js';
import { readConfigFile } from '../src/train/config.js';
import { manualSeed, noGrad } from '../src/tensor/index.js';
import { DIGIT_WORDS } from '../src/data/builders/spoken-digits.js';
import type { DataBenchmark } from './data.js';

export async function runAudioBenchmarks(options: { quick: boolean }): Promise<DataBenchmark[]> {
  const raw = await readConfigFile(fileURLToPath(new URL('../configs/spoken-digits-gan.yaml', import.meta.url)));
  const config = textToAudioGanConfig.parse(raw);
  const tokenizer = Tokenizer.fromCorpus([...DIGIT_WORDS], { level: 'word' });
  manualSeed(0);
  const model = new TextToAudioGan(config, tokenizer, { sampleRate: 16000, samples: 16384 });
  const count = options.quick ? 8 : 32;
  const texts = Array.from({ length: count }, (_, index) => DIGIT_WORDS[index % 10] as string);
  try {
    model.prepareForGeneration();
    noGrad(() => model.generate(texts.slice(0, 2), 0)).spectrograms.dispose();
    let started = performance.now();
    const spectrograms = noGrad(() => model.core.generate(texts, 1));
    const networkSeconds = (performance.now() - started) / 1000;
    spectrograms.dispose();
    started = performance.now();
    const generated = noGrad(() => model.generate(texts, 1));
    const totalSeconds = (performance.now() - started) / 1000;
    generated.spectrograms.dispose();
    const iterations = config.spectrogram.griffinLimIterations;
    return [
      {
        name: `audio: text2audio-gan clips/s, spectrograms only (batch ${count})`,
        value: count / networkSeconds,
        unit: 'clips/s',
      },
      {
        name: `audio: text2audio-gan clips/s incl. Griffin-Lim (${iterations} it., 16 384 samples)`,
        value: count / totalSeconds,
        unit: 'clips/s',
      },
      {
        name: 'audio: mel inversion + Griffin-Lim per clip',
        value: ((totalSeconds - networkSeconds) / count) * 1000,
        unit: 'ms',
      },
    ];
  } finally {
    model.dispose();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const results = await runAudioBenchmarks({ quick: process.argv.includes('--quick') });
  for (const result of results)
    process.stdout.write(`${result.name.padEnd(70)} ${result.value.toFixed(1).padStart(10)} ${result.unit}\n`);
}
