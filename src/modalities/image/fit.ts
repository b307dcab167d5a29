// Brings image tensors to what a network reads: its channel count and square side.
import { type Tensor, F, tidy } from '../../tensor/index.js';

/**
 * [N, C, H, W] in [-1, 1] → [N, channels, size, size]: colour → grey by ITU-R BT.601 luma, grey → colour
 * by repeating the channel; exactly twice the size is averaged 2×2, anything else resized bilinearly.
 * Returns a new tensor.
 */
export function fitImages(images: Tensor, target: { channels: number; size: number }): Tensor {
  if (images.rank !== 4)
    throw new Error(`expected images [count, channels, height, width], got [${images.shape.join(', ')}]`);
  const [, channels, height, width] = images.shape as [number, number, number, number];
  if (channels !== 1 && channels !== 3) throw new Error(`images must have 1 or 3 channels, got ${channels}`);
  return tidy(() => {
    let x = images.dtype === 'float32' ? images : images.float();
    if (channels !== target.channels) {
      x =
        target.channels === 1
          ? x.select(1, 0).mul(0.299).add(x.select(1, 1).mul(0.587)).add(x.select(1, 2).mul(0.114)).unsqueeze(1)
          : x.expand(-1, 3, -1, -1);
    }
    const size = target.size;
    if (height !== size || width !== size) {
      x =
        height === 2 * size && width === 2 * size
          ? F.avgPool2d(x, 2)
          : F.interpolate(x, { size: [size, size], mode: 'bilinear' });
    }
    return x === images ? images.clone() : x.contiguous();
  });
}
