// `shapes`: a CdSprites+-like dataset (Sejnova et al.), levels 1–5 of increasing attribute count:
// shape; + size; + colour (textured fill); + quadrant; + light/dark textured background.
import { z } from 'zod';
import { progressReporter } from '../events.js';
import type { ManifestEntry } from '../format.js';
import { runPool } from '../pool.js';
import { defineBuilder, sampleFile, stratifiedSplits, writePng, type BuildContext } from './common.js';
import { SHAPES, SHAPE_RADIUS, renderShape, type Background, type ShapeSpec } from './shapes-render.js';
import { speakCaptions } from './speech.js';
import { loadGimpTextures, noiseTextures, GIMP_PATTERN_DIR, type Texture } from './textures.js';

export const IMAGE_SIZE = 64;
/** dSprites' two scales, 0.5 and 1.0, of a ~30 px shape. */
export const SIZES = { small: 7.5, big: 15 } as const;
export const COLOURS = {
  red: [192, 64, 0],
  yellow: [228, 217, 111],
  green: [10, 107, 60],
  blue: [0, 127, 200],
  pink: [255, 0, 255],
} as const satisfies Record<string, readonly [number, number, number]>;
export const POSITIONS = ['top left', 'top right', 'bottom left', 'bottom right'] as const;
export const BACKGROUNDS = ['light', 'dark'] as const;

type Attributes = Record<string, string>;

/** Each level's attributes and their values, in caption order. */
export function levelAttributes(level: number): Record<string, string[]> {
  const attributes: Record<string, string[]> = { shape: [...SHAPES] };
  if (level >= 2) attributes.size = Object.keys(SIZES);
  if (level >= 3) attributes.colour = Object.keys(COLOURS);
  if (level >= 4) attributes.position = [...POSITIONS];
  if (level >= 5) attributes.background = [...BACKGROUNDS];
  return attributes;
}

/** Every combination of attribute values (the first attribute varies slowest). */
export function attributeCombinations(attributes: Record<string, string[]>): Attributes[] {
  let combinations: Attributes[] = [{}];
  for (const [name, values] of Object.entries(attributes)) {
    combinations = combinations.flatMap((partial) => values.map((value) => ({ ...partial, [name]: value })));
  }
  return combinations;
}

export function shapeCaption(attributes: Attributes): string {
  const words = [attributes.size, attributes.colour, attributes.shape].filter((word) => word !== undefined).join(' ');
  const position = attributes.position ? ` at ${attributes.position}` : '';
  const background = attributes.background ? ` on ${attributes.background}` : '';
  return `${words}${position}${background}`;
}

const options = z.object({
  level: z.coerce
    .number()
    .int()
    .min(1)
    .max(5)
    .default(5)
    .describe('1 shape; 2 +size; 3 +colour; 4 +position; 5 +background'),
  count: z.coerce
    .number()
    .int()
    .min(1)
    .default(30000)
    .describe('number of samples, balanced over attribute combinations'),
  val: z.coerce.number().min(0).max(0.5).default(0.1).describe('fraction of each combination for validation'),
  test: z.coerce.number().min(0).max(0.5).default(0.1).describe('fraction of each combination for test'),
  textures: z
    .enum(['gimp', 'noise'])
    .default('gimp')
    .describe(`fill/background textures: GIMP patterns (${GIMP_PATTERN_DIR}) or procedural noise`),
  spoken: z.boolean().default(false).describe('also speak every caption with espeak-ng (16 kHz mono WAV)'),
});

const QUADRANT_MARGIN = 4;

/** Where a shape's centre may go so that all of it stays inside the image (and inside its quadrant). */
function centreRange(reach: number, half: 'low' | 'high' | 'any'): [number, number] {
  const low = reach;
  const high = IMAGE_SIZE - reach;
  const middle = IMAGE_SIZE / 2;
  // keep the centre a few pixels off the midline so the quadrant is unambiguous to the eye
  if (half === 'low') return [low, Math.max(low, middle - QUADRANT_MARGIN)];
  if (half === 'high') return [Math.min(high, middle + QUADRANT_MARGIN), high];
  return [low, high];
}

export function sampleSpec(
  attributes: Attributes,
  context: BuildContext,
  index: number,
  textures: Texture[],
): ShapeSpec {
  const random = context.random.fork('sample', index);
  const shape = attributes.shape as ShapeSpec['shape'];
  const halfSize = attributes.size === 'small' ? SIZES.small : SIZES.big;
  const reach = SHAPE_RADIUS[shape] * halfSize + 0.5;
  const position = attributes.position;
  const horizontal = position === undefined ? 'any' : position.endsWith('left') ? 'low' : 'high';
  const vertical = position === undefined ? 'any' : position.startsWith('top') ? 'low' : 'high';
  const [xLow, xHigh] = centreRange(reach, horizontal);
  const [yLow, yHigh] = centreRange(reach, vertical);
  const colour = attributes.colour ? COLOURS[attributes.colour as keyof typeof COLOURS] : undefined;
  const offset = (): [number, number] => [random.int(256), random.int(256)];
  const background: Background = attributes.background
    ? { kind: attributes.background as 'light' | 'dark', texture: random.pick(textures), offset: offset() }
    : { kind: 'black' };
  return {
    shape,
    halfSize,
    rotation: random.uniform(0, 2 * Math.PI),
    centreX: random.uniform(xLow, xHigh),
    centreY: random.uniform(yLow, yHigh),
    fill: colour ? { colour, texture: random.pick(textures), offset: offset() } : {},
    background,
  };
}

export const shapesBuilder = defineBuilder({
  name: 'shapes',
  summary: 'CdSprites+-like 64×64 shapes with attribute captions (levels 1–5)',
  options,
  async build(context, opts) {
    const attributes = levelAttributes(opts.level);
    const combinations = attributeCombinations(attributes);
    const textures =
      opts.level >= 3
        ? opts.textures === 'gimp'
          ? loadGimpTextures()
          : noiseTextures(context.random.fork('textures'))
        : [];
    const sampleAttributes = Array.from(
      { length: opts.count },
      (_, index) => combinations[index % combinations.length] as Attributes,
    );
    const splits = stratifiedSplits(sampleAttributes.map(shapeCaption), opts, context.random);
    const entries: ManifestEntry[] = sampleAttributes.map((attrs, index) => ({
      id: `shapes-l${opts.level}-${String(index).padStart(5, '0')}`,
      split: splits[index] ?? 'train',
      text: shapeCaption(attrs),
      image: sampleFile('images', index, opts.count, 'png'),
      attributes: { ...attrs },
    }));
    const report = progressReporter(context.onEvent, opts.count, 'rendering shapes');
    await runPool(
      opts.count,
      context.concurrency,
      async (index) => {
        const spec = sampleSpec(sampleAttributes[index] as Attributes, context, index, textures);
        await writePng(context, (entries[index] as ManifestEntry).image as string, renderShape(spec, IMAGE_SIZE));
      },
      report,
      context.signal,
    );
    const audio = opts.spoken ? await speakCaptions(context, entries) : undefined;
    return {
      entries,
      description: `CdSprites+-like shapes, level ${opts.level}: ${Object.keys(attributes).join(', ')}`,
      image: { width: IMAGE_SIZE, height: IMAGE_SIZE, channels: 3, format: 'png' },
      ...(audio ? { audio } : {}),
      attributes,
      provenance: {
        sources: [
          'rendered by mmgen (after dSprites, Matthey et al. 2017, and CdSprites+, Sejnova et al. 2024)',
          ...(textures.length > 0
            ? [
                opts.textures === 'gimp'
                  ? `textures: ${GIMP_PATTERN_DIR} (Debian gimp-data): ${textures.map((t) => t.name).join(', ')}`
                  : 'textures: seeded value noise',
              ]
            : []),
          ...(opts.spoken ? ['speech: espeak-ng (Debian espeak-ng)'] : []),
        ],
        licence:
          opts.textures === 'gimp' && textures.length > 0
            ? 'generated; GIMP patterns are GPL-3+ (gimp-data)'
            : 'generated',
      },
    };
  },
});
