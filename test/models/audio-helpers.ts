// A tiny audio dataset for the text→audio and audio-judge tests, written in the on-disk dataset format:
// three "words" that are tones of different pitch (with seeded jitter in pitch, start, length and level),
// 16 kHz, 4096 samples a clip. Small enough to fit in seconds, distinct enough to learn.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeWav } from '../../src/modalities/audio/index.js';
import { serializeManifest, type ManifestEntry } from '../../src/data/format.js';
import { seededRandom } from '../modalities/helpers.js';

export const TONES: Record<string, number> = { low: 300, mid: 900, high: 2400 };
export const TONE_SAMPLES = 4096;

export function toneClip(frequency: number, random: () => number, length = TONE_SAMPLES): Float32Array {
  const clip = new Float32Array(length);
  const start = Math.floor(random() * length * 0.25);
  const duration = Math.floor(length * (0.4 + 0.3 * random()));
  const pitch = frequency * (0.95 + 0.1 * random());
  const level = 0.3 + 0.5 * random();
  for (let i = 0; i < duration && start + i < length; i++) {
    const envelope = Math.sin((Math.PI * i) / duration);
    clip[start + i] = level * envelope * Math.sin((2 * Math.PI * pitch * i) / 16000);
  }
  return clip;
}

export async function tinyToneDataset(count = 90, seed = 0): Promise<{ dir: string; cleanup(): Promise<void> }> {
  const root = await mkdtemp(join(tmpdir(), 'mmgen-tones-'));
  const dir = join(root, 'tones');
  await mkdir(join(dir, 'audio'), { recursive: true });
  const random = seededRandom(seed);
  const names = Object.keys(TONES);
  const entries: ManifestEntry[] = [];
  for (let index = 0; index < count; index++) {
    const name = names[index % names.length] as string;
    const round = Math.floor(index / names.length);
    const split = round % 10 === 8 ? 'val' : round % 10 === 9 ? 'test' : 'train';
    const audio = `audio/${String(index).padStart(4, '0')}.wav`;
    await writeFile(join(dir, audio), encodeWav(toneClip(TONES[name] as number, random), 16000));
    entries.push({ id: `tone-${index}`, split, text: name, audio, attributes: { tone: name } });
  }
  const splits = { train: 0, val: 0, test: 0 };
  for (const entry of entries) splits[entry.split]++;
  const info = {
    format: 1,
    name: 'tones',
    builder: 'tones',
    description: 'test tones',
    mmgenVersion: '0.1.0',
    seed,
    options: {},
    modalities: {
      audio: { sampleRate: 16000, samples: TONE_SAMPLES, channels: 1, format: 'wav' },
      text: { vocabulary: [...names].sort(), maxWords: 1, maxChars: 4 },
    },
    splits,
    attributes: { tone: names },
    provenance: { sources: ['test'], licence: 'test' },
  };
  await writeFile(join(dir, 'dataset.json'), JSON.stringify(info));
  await writeFile(join(dir, 'manifest.jsonl'), serializeManifest(entries));
  return { dir, cleanup: () => rm(root, { recursive: true, force: true }) };
}
