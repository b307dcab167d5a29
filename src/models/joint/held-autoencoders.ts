// joint-vae over another run's autoencoders (`model.autoencoders`): a trained joint-diffusion run's
// per-modality autoencoders and latent statistics, held (no gradient, evaluation mode). They turn pictures,
// captions and sounds into standardised latents the VAE reads, and draw the latents the VAE gives back.
import type { GenerateTextOptions } from '../../modalities/text/generate.js';
import { type Generator, type Tensor, dispose, noGrad, randn, tidy } from '../../tensor/index.js';
import { JointAutoencoders } from './autoencoders.js';
import type { JointDiffusionConfig } from './diffusion-config.js';
import { type JointOutput, checkTargets, decodeTargets } from './outputs.js';
import type { JointShapes } from './part-config.js';
import type { JointInputs } from './model.js';
import type { JointNetwork } from './network.js';
import { LatentPart } from './latent-part.js';
import type { ModalityData, ModalityName } from './parts.js';

/** Builds a joint-diffusion run's autoencoders as its config has them, with every weight held. */
export function heldAutoencoders(source: JointDiffusionConfig, shapes: JointShapes): JointAutoencoders {
  const autoencoders = JointAutoencoders.of(source, shapes);
  for (const parameter of autoencoders.parameters()) parameter.requiresGrad_(false);
  return autoencoders.eval();
}

/** Modality m's slice [D] of the latent statistics. */
function statisticsOf(autoencoders: JointAutoencoders, index: number): { mean: Tensor; std: Tensor } {
  const { latentDim } = autoencoders;
  return {
    mean: autoencoders.latentMean.narrow(0, index * latentDim, latentDim),
    std: autoencoders.latentStd.narrow(0, index * latentDim, latentDim),
  };
}

/** Standardised latent [B, D] of modality `name`'s data. */
export function standardisedLatent(autoencoders: JointAutoencoders, name: ModalityName, data: ModalityData): Tensor {
  const index = autoencoders.indexOf(name);
  autoencoders.eval();
  return noGrad(() =>
    tidy(() => {
      const { mean, std } = statisticsOf(autoencoders, index);
      return autoencoders.encode(index, data).sub(mean).div(std);
    }),
  );
}

/** Draws the `to` modalities from standardised latents [N, D] per modality (owned by the caller). */
function drawLatents(
  autoencoders: JointAutoencoders,
  latents: (name: ModalityName) => Tensor,
  to: readonly ModalityName[],
  generator: Generator,
  decoding: GenerateTextOptions,
  seed: number,
): JointOutput {
  const raw = new Map<ModalityName, Tensor>();
  try {
    for (const name of to)
      raw.set(
        name,
        tidy(() => {
          const { mean, std } = statisticsOf(autoencoders, autoencoders.indexOf(name));
          return latents(name).mul(std).add(mean);
        }),
      );
    return decodeTargets(autoencoders, (name) => raw.get(name) as Tensor, to, generator, decoding, seed);
  } finally {
    dispose([...raw.values()]);
  }
}

/** Translation inputs as the VAE reads them: each given modality's standardised latent (owned by the caller). */
export function latentInputs(autoencoders: JointAutoencoders, inputs: JointInputs): JointInputs {
  const read: JointInputs = {};
  try {
    for (const name of autoencoders.names) {
      const data = inputs[name];
      if (data !== undefined) read[name] = standardisedLatent(autoencoders, name, data);
    }
    return read;
  } catch (error) {
    dispose(Object.values(read));
    throw error;
  }
}

/**
 * The `to` modalities from shared latents [N, Z]: each part's decoder gives its mean latent (a private latent,
 * where the run has them, drawn from its prior), which the held autoencoders draw.
 */
export function drawFromShared(
  network: JointNetwork,
  autoencoders: JointAutoencoders,
  shared: Tensor,
  to: readonly ModalityName[],
  generator: Generator,
  decoding: GenerateTextOptions,
  seed: number,
): JointOutput {
  checkTargets(network.names, to);
  network.eval();
  const rows = shared.shape[0] ?? 0;
  const means = new Map<ModalityName, Tensor>();
  try {
    for (const name of to) {
      const part = network.part(name);
      if (!(part instanceof LatentPart)) throw new Error(`the ${name} part does not read an autoencoder's latent`);
      means.set(
        name,
        noGrad(() => tidy(() => part.mean(shared, randn([rows, network.privateDim], { generator })))),
      );
    }
    return drawLatents(autoencoders, (name) => means.get(name) as Tensor, to, generator, decoding, seed);
  } finally {
    dispose([...means.values()]);
  }
}
