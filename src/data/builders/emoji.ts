// `emoji`: 64 px emoji images from npm's emoji-datasource-google and emoji-datasource-twitter, alpha
// composited on white; caption = the emoji's name, keywords from emojibase-data as extra references.
// Splits are drawn per emoji (stratified by category), so both vendors' pictures of a test emoji are
// unseen in training.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { decodeImage } from '../../modalities/image/index.js';
import { progressReporter } from '../events.js';
import type { ManifestEntry } from '../format.js';
import { runPool } from '../pool.js';
import { defineBuilder, sampleFile, stratifiedSplits, writePng } from './common.js';

export const EMOJI_VENDORS = ['google', 'twitter'] as const;
type Vendor = (typeof EMOJI_VENDORS)[number];

const emojiSchema = z.object({
  name: z.string().nullable().optional(),
  unified: z.string(),
  image: z.string(),
  short_name: z.string(),
  category: z.string(),
  sort_order: z.number(),
  has_img_google: z.boolean().optional(),
  has_img_twitter: z.boolean().optional(),
});
type EmojiRecord = z.infer<typeof emojiSchema>;
const emojibaseSchema = z.object({ hexcode: z.string(), label: z.string(), tags: z.array(z.string()).optional() });

const require = createRequire(import.meta.url);

/** The folder of an npm package, or an error saying how to install it. */
function packageDir(name: string): string {
  try {
    return dirname(require.resolve(`${name}/package.json`));
  } catch {
    throw new Error(`the npm package ${name} is missing; install it with \`npm install ${name}\``);
  }
}

function readJson(path: string, packageName: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(
      `cannot read ${path}: ${(error as Error).message}; reinstall it with \`npm install ${packageName}\``,
      { cause: error },
    );
  }
}

const normaliseHex = (hex: string): string =>
  hex
    .toUpperCase()
    .split('-')
    .filter((part) => part !== 'FE0F')
    .join('-');

/** emoji-datasource names are upper case ("GRINNING FACE", "Andorra Flag"); captions are lower case. */
export function emojiCaption(record: EmojiRecord): string {
  const name = record.name && record.name.length > 0 ? record.name : record.short_name.replace(/[_-]+/g, ' ');
  return name.toLowerCase();
}

const options = z.object({
  count: z.coerce
    .number()
    .int()
    .min(1)
    .optional()
    .describe('number of emojis (a seeded choice; two samples each, one per vendor); default all'),
  val: z.coerce.number().min(0).max(0.5).default(0.1).describe('fraction of emojis (per category) for validation'),
  test: z.coerce.number().min(0).max(0.5).default(0.1).describe('fraction of emojis (per category) for test'),
});

export const emojiBuilder = defineBuilder({
  name: 'emoji',
  summary: 'Google and Twitter emoji at 64×64 on white, captions = names, keywords as references',
  options,
  async build(context, opts) {
    const dirs = { google: packageDir('emoji-datasource-google'), twitter: packageDir('emoji-datasource-twitter') };
    const baseDir = packageDir('emojibase-data');
    const parsed = z.array(emojiSchema).safeParse(readJson(join(dirs.google, 'emoji.json'), 'emoji-datasource-google'));
    if (!parsed.success)
      throw new Error(
        `${join(dirs.google, 'emoji.json')} has an unexpected layout: ${parsed.error.issues[0]?.message ?? ''}`,
      );
    const keywords = new Map<string, string[]>();
    const base = z.array(emojibaseSchema).parse(readJson(join(baseDir, 'en', 'data.json'), 'emojibase-data'));
    for (const record of base) keywords.set(normaliseHex(record.hexcode), [record.label, ...(record.tags ?? [])]);

    const imagePath = (vendor: Vendor, record: EmojiRecord): string =>
      join(dirs[vendor], 'img', vendor, '64', record.image);
    let emojis = parsed.data
      .filter((record) => record.category !== 'Component')
      .filter((record) =>
        EMOJI_VENDORS.every((vendor) => record[`has_img_${vendor}`] !== false && existsSync(imagePath(vendor, record))),
      )
      .sort((a, b) => a.sort_order - b.sort_order);
    if (opts.count !== undefined && opts.count < emojis.length) {
      const chosen = new Set(
        context.random
          .fork('choice')
          .shuffle(emojis.map((_, index) => index))
          .slice(0, opts.count),
      );
      emojis = emojis.filter((_, index) => chosen.has(index));
    }
    const splits = stratifiedSplits(
      emojis.map((record) => record.category),
      opts,
      context.random,
    );
    const samples = emojis.flatMap((record, emojiIndex) =>
      EMOJI_VENDORS.map((vendor) => ({ record, vendor, split: splits[emojiIndex] ?? 'train' })),
    );
    const entries: ManifestEntry[] = samples.map(({ record, vendor, split }, index) => {
      const caption = emojiCaption(record);
      const references = [
        ...new Set((keywords.get(normaliseHex(record.unified)) ?? []).map((word) => word.toLowerCase())),
      ].filter((word) => word !== caption);
      return {
        id: `emoji-${record.unified.toLowerCase()}-${vendor}`,
        split,
        text: caption,
        image: sampleFile('images', index, samples.length, 'png'),
        attributes: { category: record.category, vendor },
        ...(references.length > 0 ? { references } : {}),
      };
    });
    const report = progressReporter(context.onEvent, samples.length, 'compositing emoji on white');
    await runPool(
      samples.length,
      Math.max(2, context.concurrency),
      async (index) => {
        const sample = samples[index] as (typeof samples)[number];
        const image = await decodeImage(imagePath(sample.vendor, sample.record), {
          channels: 3,
          size: [64, 64],
          fit: 'contain',
          background: '#ffffff',
        });
        await writePng(context, (entries[index] as ManifestEntry).image as string, image);
      },
      report,
      context.signal,
    );
    return {
      entries,
      description: 'emoji (Google Noto and Twitter Twemoji via emoji-datasource), 64×64 RGB on white',
      image: { width: 64, height: 64, channels: 3, format: 'png' },
      attributes: {
        category: [...new Set(emojis.map((record) => record.category))].sort(),
        vendor: [...EMOJI_VENDORS],
      },
      provenance: {
        sources: ['npm emoji-datasource-google', 'npm emoji-datasource-twitter', 'npm emojibase-data (en keywords)'],
        licence: 'Noto Emoji: Apache-2.0; Twemoji: CC-BY 4.0 (Twitter); emoji-datasource and emojibase: MIT',
      },
    };
  },
});
