// A modality as joint-vae sees it over a held autoencoder (`model.autoencoders`): its data is that
// autoencoder's standardised latent [B, D], read by a small MLP encoder and predicted by an MLP decoder under a
// unit-variance Gaussian (scaled by `weight`). The pictures, captions and sounds themselves are encoded and
// drawn by the held autoencoder (models/joint/held-autoencoders.ts), so the VAE learns only how the
// modalities go together, not how to draw them.
import { Linear, Sequential, SiLU } from '../../nn/index.js';
import { Tensor, cat, tidy } from '../../tensor/index.js';
import { type ModalityData, type ModalityName, ModalityPart } from './parts.js';

export interface LatentPartOptions {
  name: ModalityName;
  /** Width of the autoencoder's latent. */
  latentDim: number;
  /** Width of the MLPs' hidden layers (and of the features the posterior head reads). */
  hidden: number;
  sharedDim: number;
  privateDim: number;
  /** log p = −weight · Σ (x − x̂)² over the latent's dimensions (0.5: a unit-variance Gaussian). */
  weight: number;
}

export class LatentPart extends ModalityPart {
  readonly name: ModalityName;
  readonly featureDim: number;
  readonly encoder: Sequential;
  readonly decoder: Sequential;
  private readonly weight: number;

  constructor(options: LatentPartOptions) {
    super();
    const { latentDim, hidden, sharedDim, privateDim } = options;
    this.name = options.name;
    this.featureDim = hidden;
    this.weight = options.weight;
    this.encoder = this.registerModule(
      'encoder',
      new Sequential(new Linear(latentDim, hidden), new SiLU(), new Linear(hidden, hidden), new SiLU()),
    );
    this.decoder = this.registerModule(
      'decoder',
      new Sequential(
        new Linear(sharedDim + privateDim, hidden),
        new SiLU(),
        new Linear(hidden, hidden),
        new SiLU(),
        new Linear(hidden, latentDim),
      ),
    );
  }

  private latent(data: ModalityData): Tensor {
    if (!(data instanceof Tensor) || data.shape.length !== 2)
      throw new Error(`the ${this.name} part over an autoencoder reads latents [rows, width]`);
    return data;
  }

  encode(data: ModalityData): Tensor {
    return this.encoder.forward(this.latent(data));
  }

  /** The decoder's mean latent [B, D] at (shared, private). */
  mean(shared: Tensor, privateLatent: Tensor): Tensor {
    return tidy(() => this.decoder.forward(privateLatent.shape[1] === 0 ? shared : cat([shared, privateLatent], 1)));
  }

  logLikelihood(shared: Tensor, privateLatent: Tensor, data: ModalityData): Tensor {
    const target = this.latent(data);
    return tidy(() => this.mean(shared, privateLatent).sub(target).square().sum(1).mul(-this.weight));
  }

  repeat(data: ModalityData, times: number): ModalityData {
    const latent = this.latent(data);
    return times === 1 ? latent.clone() : latent.repeat(times, 1);
  }

  pick(data: ModalityData, rows: Tensor): ModalityData {
    return this.latent(data).indexSelect(0, rows);
  }
}
