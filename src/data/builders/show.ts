// `mmgen data show`: a contact sheet of a dataset (images with captions, log-mel spectrograms for
// audio) and counts per split and per attribute value.
import { join } from 'node:path';
import { logMelSpectrogram, readWav, spectrogramToImage } from '../../modalities/audio/index.js';
import { decodeImage, writeContactSheet, type ContactSheetTile } from '../../modalities/image/index.js';
import { tidy } from '../../tensor/index.js';
import { readDataset, SPLITS, type Dataset, type ManifestEntry, type Split } from '../format.js';
import { Random } from '../random.js';

export type SplitCounts = Record<Split, number> & { total: number };

export interface DatasetCounts {
  splits: SplitCounts;
  /** attribute → value → counts per split. */
  attributes: Record<string, Record<string, SplitCounts>>;
}

const emptyCounts = (): SplitCounts => ({ train: 0, val: 0, test: 0, total: 0 });

export function countDataset(dataset: Dataset): DatasetCounts {
  const splits = emptyCounts();
  const attributes: Record<string, Record<string, SplitCounts>> = {};
  for (const entry of dataset.entries) {
    splits[entry.split]++;
    splits.total++;
    for (const [name, value] of Object.entries(entry.attributes ?? {})) {
      const values = (attributes[name] ??= {});
      const counts = (values[value] ??= emptyCounts());
      counts[entry.split]++;
      counts.total++;
    }
  }
  // values in dataset.json order (the order a judge's classes use), then any others
  for (const [name, values] of Object.entries(attributes)) {
    const declared = dataset.info.attributes?.[name] ?? [];
    const ordered = [
      ...declared.filter((value) => value in values),
      ...Object.keys(values)
        .filter((value) => !declared.includes(value))
        .sort(),
    ];
    attributes[name] = Object.fromEntries(ordered.map((value) => [value, values[value] as SplitCounts]));
  }
  return { splits, attributes };
}

export interface ShowOptions {
  /** The PNG to write. */
  out: string;
  /** Samples on the sheet; default 48. */
  samples?: number;
  split?: Split;
  seed?: number;
}

export interface ShowResult {
  dataset: Dataset;
  counts: DatasetCounts;
  sheet: string;
  shown: number;
}

async function spectrogramTile(dataset: Dataset, entry: ManifestEntry): Promise<ContactSheetTile['image']> {
  const wav = await readWav(join(dataset.dir, entry.audio as string));
  return tidy(() => {
    const mel = logMelSpectrogram(wav.samples, {
      sampleRate: wav.sampleRate,
      nFft: 512,
      hopLength: 128,
      nMels: 64,
      scale: 'db',
    });
    return spectrogramToImage(mel, { input: 'log' });
  });
}

export async function showDataset(source: string | Dataset, options: ShowOptions): Promise<ShowResult> {
  const dataset = typeof source === 'string' ? await readDataset(source) : source;
  const counts = countDataset(dataset);
  const pool = options.split ? dataset.entries.filter((entry) => entry.split === options.split) : dataset.entries;
  if (pool.length === 0)
    throw new Error(
      `${dataset.dir} has no samples${options.split ? ` in split "${options.split}" (${SPLITS.join(', ')})` : ''}`,
    );
  const wanted = Math.min(options.samples ?? 48, pool.length);
  const picked = new Random(options.seed ?? 0)
    .shuffle(pool.map((_, index) => index))
    .slice(0, wanted)
    .sort((a, b) => a - b);
  const tiles: ContactSheetTile[] = [];
  const { image, audio } = dataset.info.modalities;
  for (const index of picked) {
    const entry = pool[index] as ManifestEntry;
    if (image && entry.image !== undefined) {
      tiles.push({ image: await decodeImage(join(dataset.dir, entry.image), { channels: 3 }), caption: entry.text });
    }
    if (audio && entry.audio !== undefined) {
      tiles.push({ image: await spectrogramTile(dataset, entry), caption: image ? `(${entry.text})` : entry.text });
    }
  }
  const tileSize: [number, number] = image ? [Math.max(96, image.height), Math.max(96, image.width)] : [96, 128];
  const columns = image && audio ? 8 : audio ? 6 : 8;
  await writeContactSheet(options.out, tiles, { columns, tileSize, captionLines: image ? 4 : 2 });
  return { dataset, counts, sheet: options.out, shown: picked.length };
}
