// The start of a decoder that broadcasts its latent over a side × side grid beside each cell's coordinates
// (the spatial broadcast decoder, Watters et al. 2019), then refines that grid with residual blocks at the same
// size, each normalised by the latent: every cell sees the whole latent and where it is, so a small object's
// place, size and tilt can be drawn at that grid's resolution, where a linear map to 4×4 has to carry them in
// its channels through every doubling.
import { Conv2d, Linear, Module } from '../../nn/index.js';
import type { Tensor } from '../../tensor/index.js';
import { ResidualUpBlock } from './generator-blocks.js';
import { pixelPlaces } from './tensor.js';

export class BroadcastStart extends Module {
  /** The latent's part of every cell's features (a 1×1 conv over the broadcast latent, computed once per row). */
  private readonly fromLatent: Linear;
  /** The coordinates' part (a 1×1 conv over the two coordinate channels). */
  private readonly fromPlace: Conv2d;
  private readonly blocks: ResidualUpBlock[] = [];

  constructor(
    latentDim: number,
    readonly channels: number,
    readonly side: number,
    blocks: number,
    coordinates: boolean,
  ) {
    super();
    this.fromLatent = this.registerModule('fromLatent', new Linear(latentDim, channels));
    this.fromPlace = this.registerModule('fromPlace', new Conv2d(2, channels, 1));
    for (let index = 0; index < blocks; index++)
      this.blocks.push(
        this.registerModule(`block${index}`, new ResidualUpBlock(channels, channels, latentDim, coordinates, false)),
      );
  }

  /** latent [B, L] → features [B, channels, side, side]. */
  forward(latent: Tensor): Tensor {
    const place = this.fromPlace.forward(pixelPlaces(this.side, this.side));
    let features = this.fromLatent.forward(latent).unsqueeze(2).unsqueeze(3).add(place);
    for (const block of this.blocks) features = block.forward(features, latent);
    return features;
  }
}
