// The score network of joint-diffusion over the concatenated latents of M modalities (D each), with one
// diffusion time per modality and its own time embedding. Two shapes: an MLP with residual blocks (every
// block sees every time), or a small transformer with one token per modality (Bounoua et al. use both). A
// modality whose latent is a grid of cells (a spatial picture latent) gives the transformer a token per
// cell, each with its place's embedding, as a diffusion transformer reads patches.
import { LayerNorm, Linear, Module, TransformerEncoderLayer, normal_ } from '../../nn/index.js';
import { type Tensor, arange, cat, empty, tidy, zeros } from '../../tensor/index.js';

export interface ScoreNetworkOptions {
  modalities: number;
  latentDim: number;
  /** Tokens per modality (default 1 each): a grid latent of c channels × T cells (channel-major) gives T tokens of c. */
  tokens?: readonly number[];
  kind: 'mlp' | 'transformer';
  width: number;
  blocks: number;
  /** Sinusoidal frequencies of each time embedding. */
  timeFrequencies: number;
  heads: number;
}

/** Sinusoidal features [B, 2F] of times [B] in [0, 1] (scaled by 1000, as DDPM's integer steps). */
function sinusoidal(times: Tensor, frequencies: number): Tensor {
  return tidy(() => {
    const scales = arange(0, frequencies)
      .float()
      .mul(-Math.log(10000) / Math.max(1, frequencies - 1))
      .exp();
    const angles = times.mul(1000).unsqueeze(1).mul(scales.unsqueeze(0));
    return cat([angles.sin(), angles.cos()], 1);
  });
}

class ResidualBlock extends Module {
  private readonly norm: LayerNorm;
  private readonly first: Linear;
  private readonly time: Linear;
  private readonly second: Linear;
  constructor(width: number, timeWidth: number) {
    super();
    this.norm = this.registerModule('norm', new LayerNorm(width));
    this.first = this.registerModule('first', new Linear(width, 2 * width));
    this.time = this.registerModule('time', new Linear(timeWidth, 2 * width));
    this.second = this.registerModule('second', new Linear(2 * width, width));
  }
  forward(x: Tensor, time: Tensor): Tensor {
    return tidy(() =>
      x.add(this.second.forward(this.first.forward(this.norm.forward(x)).add(this.time.forward(time)).silu())),
    );
  }
}

export class ScoreNetwork extends Module {
  private readonly timeEmbeddings: Linear[];
  /** MLP: the modalities' time embeddings mixed once per forward into one vector every block reads. */
  private readonly timeMix: Linear | undefined;
  private readonly input: Linear[];
  private readonly blocks: ResidualBlock[] = [];
  private readonly layers: TransformerEncoderLayer[] = [];
  private readonly outputNorm: LayerNorm;
  private readonly output: Linear[];
  private readonly modalityTokens: Tensor | undefined;
  /** Per modality with more than one token: each token's place [T, width]. */
  private readonly places: (Tensor | undefined)[] = [];
  private readonly tokens: readonly number[];

  constructor(private readonly options: ScoreNetworkOptions) {
    super();
    const { modalities, latentDim, width, blocks, kind, timeFrequencies } = options;
    this.tokens = options.tokens ?? Array.from({ length: modalities }, () => 1);
    if (this.tokens.length !== modalities || this.tokens.some((count) => count < 1 || latentDim % count !== 0))
      throw new Error(
        `ScoreNetwork: tokens [${this.tokens.join(', ')}] must give each of ${modalities} modalities a divisor of ${latentDim}`,
      );
    const timeWidth = width;
    this.timeEmbeddings = Array.from({ length: modalities }, (_, m) =>
      this.registerModule(`time${m}`, new Linear(2 * timeFrequencies, timeWidth)),
    );
    if (kind === 'mlp') {
      this.timeMix = this.registerModule('timeMix', new Linear(modalities * timeWidth, width));
      this.input = [this.registerModule('input', new Linear(modalities * latentDim, width))];
      for (let b = 0; b < blocks; b++)
        this.blocks.push(this.registerModule(`block${b}`, new ResidualBlock(width, width)));
      this.outputNorm = this.registerModule('outputNorm', new LayerNorm(width));
      this.output = [this.registerModule('output', new Linear(width, modalities * latentDim))];
      this.modalityTokens = undefined;
    } else {
      this.timeMix = undefined;
      const tokenWidth = (m: number): number => latentDim / (this.tokens[m] as number);
      this.input = Array.from({ length: modalities }, (_, m) =>
        this.registerModule(`input${m}`, new Linear(tokenWidth(m), width)),
      );
      this.places = this.tokens.map((count, m) =>
        count > 1 ? this.registerParameter(`places${m}`, normal_(empty([count, width]), 0, 0.02)) : undefined,
      );
      for (let b = 0; b < blocks; b++) {
        this.layers.push(
          this.registerModule(
            `layer${b}`,
            new TransformerEncoderLayer(width, options.heads, {
              dimFeedforward: 2 * width,
              dropout: 0,
              activation: 'gelu',
              batchFirst: true,
              normFirst: true,
            }),
          ),
        );
      }
      this.outputNorm = this.registerModule('outputNorm', new LayerNorm(width));
      this.output = Array.from({ length: modalities }, (_, m) =>
        this.registerModule(`output${m}`, new Linear(width, tokenWidth(m))),
      );
      this.modalityTokens = this.registerParameter('modalityTokens', zeros([modalities, width]));
    }
  }

  /** latents [B, M·D] (standardised), times [B, M] → the prediction (ε or v) [B, M·D]. */
  forward(latents: Tensor, times: Tensor): Tensor {
    const { modalities, latentDim, timeFrequencies } = this.options;
    return tidy(() => {
      const timeEmbedding = (m: number): Tensor =>
        (this.timeEmbeddings[m] as Linear).forward(sinusoidal(times.select(1, m), timeFrequencies)).silu();
      if (this.options.kind === 'mlp') {
        const time = (this.timeMix as Linear)
          .forward(
            cat(
              Array.from({ length: modalities }, (_, m) => timeEmbedding(m)),
              1,
            ),
          )
          .silu();
        let x = (this.input[0] as Linear).forward(latents);
        for (const block of this.blocks) x = block.forward(x, time);
        return (this.output[0] as Linear).forward(this.outputNorm.forward(x).silu());
      }
      const rows = latents.shape[0] ?? 0;
      const tokens = cat(
        Array.from({ length: modalities }, (_, m) => {
          const count = this.tokens[m] as number;
          // [B, c·T] channel-major → [B, T, c]: one token per cell
          const part = latents
            .narrow(1, m * latentDim, latentDim)
            .reshape(rows, latentDim / count, count)
            .transpose(1, 2);
          const token = (this.input[m] as Linear)
            .forward(part)
            .add(timeEmbedding(m).unsqueeze(1))
            .add((this.modalityTokens as Tensor).select(0, m));
          const place = this.places[m];
          return place ? token.add(place) : token;
        }),
        1,
      );
      let x = tokens;
      for (const layer of this.layers) x = layer.forward(x);
      x = this.outputNorm.forward(x);
      let start = 0;
      return cat(
        Array.from({ length: modalities }, (_, m) => {
          const count = this.tokens[m] as number;
          const own = x.narrow(1, start, count);
          start += count;
          return (this.output[m] as Linear).forward(own).transpose(1, 2).reshape(rows, latentDim);
        }),
        1,
      );
    });
  }
}
