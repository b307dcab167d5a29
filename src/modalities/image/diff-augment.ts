// DiffAugment (Zhao et al. 2020): the same differentiable augmentation is applied to real and fake
// images before the discriminator, so small datasets do not let it memorise. Policies: translation,
// cutout, colour. Colour is off by default for attribute datasets (it would change the colour a caption names).
import { type Generator, type Tensor, arange, rand, randint, tidy } from '../../tensor/index.js';

export type AugmentPolicy = 'translation' | 'cutout' | 'color';
export const augmentPolicies: readonly AugmentPolicy[] = ['translation', 'cutout', 'color'];

/** Parses "translation,cutout" into policies; names the bad entry otherwise. */
export function parseAugmentPolicy(text: string): AugmentPolicy[] {
  if (text.trim() === '') return [];
  return text.split(',').map((name) => {
    const policy = name.trim() as AugmentPolicy;
    if (!augmentPolicies.includes(policy))
      throw new Error(`unknown DiffAugment policy "${name}"; use a comma list of ${augmentPolicies.join(', ')}`);
    return policy;
  });
}

/** Shifts each image by up to ratio·size pixels, filling with zeros. */
export function translate(images: Tensor, generator: Generator, ratio = 0.125): Tensor {
  return tidy(() => {
    const [batch = 0, , height = 0, width = 0] = images.shape;
    const maxY = Math.floor(height * ratio + 0.5);
    const maxX = Math.floor(width * ratio + 0.5);
    const shiftY = randint(-maxY, maxY + 1, [batch, 1, 1], { generator });
    const shiftX = randint(-maxX, maxX + 1, [batch, 1, 1], { generator });
    const rows = arange(height)
      .view(1, height, 1)
      .add(shiftY)
      .add(1)
      .clamp(0, height + 1);
    const columns = arange(width)
      .view(1, 1, width)
      .add(shiftX)
      .add(1)
      .clamp(0, width + 1);
    const padded = images.pad([1, 1, 1, 1]).permute(0, 2, 3, 1);
    return padded.index([arange(batch).view(batch, 1, 1), rows, columns]).permute(0, 3, 1, 2);
  });
}

/** Zeroes a random square of ratio·size per image. */
export function cutout(images: Tensor, generator: Generator, ratio = 0.5): Tensor {
  return tidy(() => {
    const [batch = 0, , height = 0, width = 0] = images.shape;
    const halfY = (height * ratio) / 2;
    const halfX = (width * ratio) / 2;
    const centreY = rand([batch, 1, 1], { generator }).mul(height);
    const centreX = rand([batch, 1, 1], { generator }).mul(width);
    const outsideY = arange(height, undefined, 1, 'float32').view(1, height, 1).add(0.5).sub(centreY).abs().ge(halfY);
    const outsideX = arange(width, undefined, 1, 'float32').view(1, 1, width).add(0.5).sub(centreX).abs().ge(halfX);
    return images.mul(outsideY.logicalOr(outsideX).unsqueeze(1).float());
  });
}

/** Random brightness, saturation and contrast, as DiffAugment's colour policy. */
export function colour(images: Tensor, generator: Generator): Tensor {
  return tidy(() => {
    const batch = images.shape[0] ?? 0;
    let x = images.add(rand([batch, 1, 1, 1], { generator }).sub(0.5));
    const channelMean = x.mean(1, true);
    x = x
      .sub(channelMean)
      .mul(rand([batch, 1, 1, 1], { generator }).mul(2))
      .add(channelMean);
    const mean = x.mean([1, 2, 3], true);
    return x
      .sub(mean)
      .mul(rand([batch, 1, 1, 1], { generator }).add(0.5))
      .add(mean);
  });
}

export function diffAugment(images: Tensor, policies: readonly AugmentPolicy[], generator: Generator): Tensor {
  if (policies.length === 0) return images;
  return tidy(() => {
    let x = images;
    if (policies.includes('color')) x = colour(x, generator);
    if (policies.includes('translation')) x = translate(x, generator);
    if (policies.includes('cutout')) x = cutout(x, generator);
    return x;
  });
}
