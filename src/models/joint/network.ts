// The joint VAE's networks in one module: a part per modality (encoder and decoder), a posterior head
// per modality giving that modality's expert over the shared latent (and its private latent), the
// auxiliary prior of MMVAE+'s private latents.
import { Linear, Module } from '../../nn/index.js';
import { type Tensor, zeros } from '../../tensor/index.js';
import type { Gaussian } from './experts.js';
import { type BuiltParts, type JointShapes, type PartsConfig, buildParts, runModalities } from './part-config.js';
import { LatentPart } from './latent-part.js';
import { type ModalityData, type ModalityName, type ModalityPart, modalityIndex } from './parts.js';

export interface JointNetworkOptions {
  parts: PartsConfig;
  sharedDim: number;
  privateDim: number;
  /**
   * Over held autoencoders: each modality's part reads and predicts that autoencoder's latent (LatentPart) in
   * place of the pictures, captions and sounds; `codec` is the autoencoders' own.
   */
  latents?: { latentDim: number; hidden: number; weight: number; codec: BuiltParts['codec'] };
}

/** One modality's posterior: its expert over the shared latent and, with private latents, its own. */
export interface ModalityPosterior {
  shared: Gaussian;
  private: Gaussian | undefined;
}

export class JointNetwork extends Module {
  readonly names: ModalityName[];
  readonly parts: ModalityPart[];
  readonly codec: BuiltParts['codec'];
  readonly sharedDim: number;
  readonly privateDim: number;
  private readonly heads: Linear[];
  /** log σ of MMVAE+'s auxiliary prior r(w) per private dimension (learned; 0 = the standard normal). */
  readonly auxiliaryLogStd: Tensor;

  constructor(options: JointNetworkOptions, shapes: JointShapes) {
    super();
    const { latents } = options;
    const built: BuiltParts = latents
      ? {
          names: runModalities(shapes),
          codec: latents.codec,
          parts: runModalities(shapes).map(
            (name) =>
              new LatentPart({
                name,
                latentDim: latents.latentDim,
                hidden: latents.hidden,
                sharedDim: options.sharedDim,
                privateDim: options.privateDim,
                weight: latents.weight,
              }),
          ),
        }
      : buildParts(options.parts, shapes, options.sharedDim, options.privateDim);
    this.names = built.names;
    this.codec = built.codec;
    this.sharedDim = options.sharedDim;
    this.privateDim = options.privateDim;
    this.parts = built.parts.map((part) => this.registerModule(part.name, part));
    const outputs = 2 * (options.sharedDim + options.privateDim);
    this.heads = built.parts.map((part) =>
      this.registerModule(`${part.name}Head`, new Linear(part.featureDim, outputs)),
    );
    this.auxiliaryLogStd = this.registerParameter('auxiliaryLogStd', zeros([Math.max(1, options.privateDim)]));
  }

  /** Index of a modality in the run's order (its bit in subset masks). */
  indexOf(name: ModalityName): number {
    return modalityIndex(this.names, name);
  }

  part(name: ModalityName): ModalityPart {
    return this.parts[this.indexOf(name)] as ModalityPart;
  }

  /** The posterior of modality m from its data: expert means and log-variances (clamped to a sane range). */
  posterior(index: number, data: ModalityData): ModalityPosterior {
    const part = this.parts[index] as ModalityPart;
    const head = this.heads[index] as Linear;
    const { sharedDim, privateDim } = this;
    const output = head.forward(part.encode(data));
    const piece = (start: number, width: number): Tensor => output.narrow(1, start, width);
    const shared = { mean: piece(0, sharedDim), logVar: piece(sharedDim, sharedDim).clamp(-8, 8) };
    if (privateDim === 0) return { shared, private: undefined };
    const base = 2 * sharedDim;
    return {
      shared,
      private: { mean: piece(base, privateDim), logVar: piece(base + privateDim, privateDim).clamp(-8, 8) },
    };
  }

  /** Standard deviation of a private latent drawn for a modality the latent did not come from. */
  crossPrivateStd(useAuxiliary: boolean): Tensor | number {
    return useAuxiliary ? this.auxiliaryLogStd.narrow(0, 0, this.privateDim).exp() : 1;
  }
}
