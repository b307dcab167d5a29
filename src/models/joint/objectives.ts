// The training objectives of the joint VAE, one per way of forming the joint posterior. Each is a named
// sub-step returning named losses: `loss` (to minimise, a scalar tensor), `reconstruction` and `kl`.
//   poe   — MVAE: ELBO of the product of experts on the full set, each single modality and random subsets
//   mopoe — MoPoE: a mixture over every non-empty subset's product; each row draws z from one subset
//   moe   — MMVAE: a mixture of the unimodal experts; z from each modality reconstructs every modality,
//           with the ELBO, IWAE or DReG estimator over K importance samples (stratified per modality)
//   mmvae+ — moe with private latents; a modality decoded from another's z draws its private latent
//           from a learned auxiliary prior (Palumbo et al. 2023)
// A modality absent from a row (presence 0) is neither encoded into its posterior nor reconstructed.
import { type Generator, Tensor, multinomial, noGrad, rand, randn, scalar, stack, tidy } from '../../tensor/index.js';
import {
  type Gaussian,
  detachGaussian,
  doublyReparameterisedBound,
  drawFrom,
  gaussianLogDensity,
  importanceWeightedBound,
  klToStandardNormal,
  mixtureLogDensity,
  nonEmptySubsets,
  normalLogDensity,
  productOfExperts,
  selectRows,
  subsetAvailable,
  subsetMasks,
} from './experts.js';
import type { JointNetwork, ModalityPosterior } from './network.js';
import type { ModalityData } from './parts.js';

export type Mixing = 'poe' | 'mopoe' | 'moe' | 'mmvae+';
export type Estimator = 'elbo' | 'iwae' | 'dreg';

export interface JointBatch {
  /** Per modality of the run, in its order. */
  data: ModalityData[];
  /** Float [B] per modality: 1 where the row has it. */
  presence: Tensor[];
}

export interface ObjectiveSettings {
  mixing: Mixing;
  estimator: Estimator;
  /** Importance samples K (moe, mmvae+). */
  samples: number;
  /** Extra random subsets per step (poe). */
  poeSubsets: number;
  beta: number;
}

export interface JointLosses {
  loss: Tensor;
  reconstruction: number;
  kl: number;
}

interface Context {
  network: JointNetwork;
  batch: JointBatch;
  posteriors: ModalityPosterior[];
  random: Generator;
  settings: ObjectiveSettings;
}

const bit = (subset: number, index: number): boolean => (subset & (1 << index)) !== 0;

/** Rows that have at least one modality: float [B]. */
function anyPresent(presence: readonly Tensor[]): Tensor {
  return tidy(() => presence.reduce<Tensor>((sum, mask) => sum.add(mask), scalar(0)).clamp(0, 1));
}

/** Σ_n weight_n · log p(x_n | shared, private_n) per row [B]. */
function reconstruct(
  context: Context,
  shared: Tensor,
  privates: readonly Tensor[],
  weights: readonly Tensor[],
  data: readonly ModalityData[],
  include?: (index: number) => boolean,
): Tensor {
  const { parts } = context.network;
  return tidy(() =>
    parts.reduce<Tensor>((sum, part, index) => {
      if (include && !include(index)) return sum;
      const logLikelihood = part.logLikelihood(shared, privates[index] as Tensor, data[index] as ModalityData);
      return sum.add(logLikelihood.mul(weights[index] as Tensor));
    }, scalar(0)),
  );
}

/** A private latent per modality: its own posterior draw where `own` is 1 for the row, else a cross draw. */
function privateLatents(context: Context, rows: number, own: readonly Tensor[]): Tensor[] {
  const { network, random, settings } = context;
  const width = network.privateDim;
  const crossStd = network.crossPrivateStd(settings.mixing === 'mmvae+');
  return context.posteriors.map((posterior, index) =>
    tidy(() => {
      const cross = randn([rows, width], { generator: random }).mul(crossStd);
      if (!posterior.private || width === 0) return cross;
      const mine = (own[index] as Tensor).unsqueeze(1);
      return drawFrom(posterior.private, random)
        .mul(mine)
        .add(cross.mul(mine.rsub(1)));
    }),
  );
}

/** Σ_n presence_n · KL(q(w_n | x_n) ‖ N(0, I)) per row (0 without private latents). */
function privateKl(context: Context): Tensor {
  return tidy(() =>
    context.posteriors.reduce<Tensor>(
      (sum, posterior, index) =>
        posterior.private
          ? sum.add(klToStandardNormal(posterior.private).mul(context.batch.presence[index] as Tensor))
          : sum,
      scalar(0),
    ),
  );
}

/** Masked mean over rows of a per-row value. */
const rowMean = (values: Tensor, rows: Tensor): Tensor => values.mul(rows).sum().div(rows.sum().clamp(1));

/** MVAE: ELBOs of the full set, each single modality and `poeSubsets` random subsets; each reconstructs its own modalities. */
function productOfExpertsLoss(context: Context): JointLosses {
  const { network, batch, posteriors, random, settings } = context;
  const count = network.parts.length;
  const all = (1 << count) - 1;
  const singles = network.parts.map((_, index) => 1 << index);
  const others = nonEmptySubsets(count).filter((subset) => subset !== all && !singles.includes(subset));
  const extra = noGrad(() =>
    Array.from(
      { length: others.length > 0 ? settings.poeSubsets : 0 },
      () =>
        others[
          Math.min(others.length - 1, Math.floor(rand([1], { generator: random }).item() * others.length))
        ] as number,
    ),
  );
  const terms = [...new Set([all, ...(count > 1 ? singles : []), ...extra])];
  let reconstruction = 0;
  let kl = 0;
  const loss = tidy(() =>
    terms
      .reduce<Tensor>((total, subset) => {
        const masks = subsetMasks(batch.presence, subset);
        const rows = anyPresent(masks);
        const posterior = productOfExperts(
          posteriors.map((p) => p.shared),
          masks,
        );
        const shared = drawFrom(posterior, random);
        const privates = privateLatents(context, shared.shape[0] ?? 0, masks);
        const logLikelihood = reconstruct(context, shared, privates, masks, batch.data, (index) => bit(subset, index));
        const divergence = klToStandardNormal(posterior).add(privateKl(context));
        reconstruction += rowMean(logLikelihood, rows).item() / terms.length;
        kl += rowMean(divergence, rows).item() / terms.length;
        return total.add(rowMean(logLikelihood.neg().add(divergence.mul(settings.beta)), rows));
      }, scalar(0))
      .div(terms.length),
  );
  return { loss, reconstruction: -reconstruction, kl };
}

/** MoPoE: each row draws its latent from one of its available subsets' products; KL averaged over them. */
function mixtureOfProductsLoss(context: Context): JointLosses {
  const { network, batch, posteriors, random, settings } = context;
  const subsets = nonEmptySubsets(network.parts.length);
  return tidy(() => {
    const available = subsets.map((subset) => subsetAvailable(batch.presence, subset));
    const count = available.reduce<Tensor>((sum, value) => sum.add(value), scalar(0));
    const rows = count.clamp(0, 1);
    const products = subsets.map((subset) =>
      productOfExperts(
        posteriors.map((p) => p.shared),
        subsetMasks(batch.presence, subset),
      ),
    );
    const divergence = products
      .reduce<Tensor>(
        (sum, product, index) => sum.add(klToStandardNormal(product).mul(available[index] as Tensor)),
        scalar(0),
      )
      .div(count.clamp(1));
    const probabilities = noGrad(() => stack(available, 1).add(1e-9));
    const choice = multinomial(probabilities, 1, false, random).reshape(-1);
    const shared = selectRows(
      products.map((product) => drawFrom(product, random)),
      choice,
    );
    // a modality of the chosen subset decodes with its own private latent, the others with a cross draw
    const chosen = choice.oneHot(subsets.length).float();
    const own = network.parts.map((_, index) =>
      tidy(() =>
        subsets.reduce<Tensor>(
          (sum, subset, column) => (bit(subset, index) ? sum.add(chosen.select(1, column)) : sum),
          scalar(0),
        ),
      ),
    );
    const privates = privateLatents(context, shared.shape[0] ?? 0, own);
    const logLikelihood = reconstruct(context, shared, privates, batch.presence, batch.data);
    const totalKl = divergence.add(privateKl(context));
    const loss = rowMean(logLikelihood.neg().add(totalKl.mul(settings.beta)), rows);
    return { loss, reconstruction: -rowMean(logLikelihood, rows).item(), kl: rowMean(totalKl, rows).item() };
  });
}

/**
 * MMVAE / MMVAE+: for each observed modality m, K draws z ~ q_m (and w_m ~ q(w_m|x_m)) reconstruct every
 * observed modality; log w = Σ_n log p(x_n | z, w_n) + β (log p(z) + log p(w_m) − log q_mix(z|X) − log q(w_m|x_m)).
 */
function mixtureOfExpertsLoss(context: Context): JointLosses {
  const { network, batch, posteriors, random, settings } = context;
  const samples = settings.estimator === 'elbo' ? 1 : settings.samples;
  const rows = batch.presence[0]?.shape[0] ?? 0;
  // one draw reads the batch as it is; K draws read it K times over
  const repeats = samples > 1;
  const repeated = repeats
    ? network.parts.map((part, index) => part.repeat(batch.data[index] as ModalityData, samples))
    : batch.data;
  const repeatedPresence = repeats ? batch.presence.map((mask) => mask.repeat(samples)) : batch.presence;
  const crossStd = network.crossPrivateStd(settings.mixing === 'mmvae+');
  const width = network.privateDim;
  let reconstruction = 0;
  let kl = 0;
  try {
    return tidy(() => {
      const observed = batch.presence.reduce<Tensor>((sum, mask) => sum.add(mask), scalar(0));
      let total = scalar(0);
      let reported = scalar(0);
      posteriors.forEach((posterior, m) => {
        const presence = batch.presence[m] as Tensor;
        const sharedNoise = randn([samples, rows, network.sharedDim], { generator: random });
        const privateNoise = network.parts.map(() => randn([samples, rows, width], { generator: random }));
        const dreg = settings.estimator === 'dreg';
        const densityExperts = posteriors.map((p) => (dreg ? detachGaussian(p.shared) : p.shared));
        const ownPrivate = posterior.private && dreg ? detachGaussian(posterior.private) : posterior.private;
        /** log-weights [K, B] of the draws, with z and w_m passed through `route` (identity, or DReG's gradient scaling). */
        const logWeights = (
          route: (value: Tensor) => Tensor,
        ): { value: Tensor; likelihood: Tensor; divergence: Tensor } =>
          tidy(() => {
            const z = route(posterior.shared.mean.add(posterior.shared.logVar.mul(0.5).exp().mul(sharedNoise)));
            const privates = network.parts.map((_, n) => {
              const noise = privateNoise[n] as Tensor;
              if (n === m && posterior.private)
                return route(posterior.private.mean.add(posterior.private.logVar.mul(0.5).exp().mul(noise)));
              return noise.mul(crossStd);
            });
            const flat = (value: Tensor): Tensor => value.reshape(samples * rows, value.shape[2] ?? 0);
            const likelihood = reconstruct(context, flat(z), privates.map(flat), repeatedPresence, repeated).reshape(
              samples,
              rows,
            );
            let divergence = mixtureLogDensity(z, densityExperts, batch.presence).sub(normalLogDensity(z));
            if (ownPrivate)
              divergence = divergence
                .add(gaussianLogDensity(privates[m] as Tensor, ownPrivate))
                .sub(normalLogDensity(privates[m] as Tensor));
            return { value: likelihood.sub(divergence.mul(settings.beta)), likelihood, divergence };
          });
        const identity = (value: Tensor): Tensor => value;
        const weights = dreg ? noGrad(() => logWeights(identity)) : logWeights(identity);
        const objective =
          settings.estimator === 'dreg'
            ? doublyReparameterisedBound((route) => logWeights(route).value)
            : importanceWeightedBound(weights.value);
        total = total.add(objective.mul(presence));
        reported = reported.add(weights.likelihood.mean(0).mul(presence));
        kl += rowMean(weights.divergence.mean(0), presence).item() / posteriors.length;
      });
      const per = observed.clamp(1);
      const any = observed.clamp(0, 1);
      reconstruction = -rowMean(reported.div(per), any).item();
      return { loss: rowMean(total.div(per), any).neg(), reconstruction, kl };
    });
  } finally {
    if (repeats) {
      for (const value of repeated) disposeData(value);
      for (const value of repeatedPresence) value.dispose();
    }
  }
}

function disposeData(data: ModalityData): void {
  if (data instanceof Tensor) data.dispose();
  else {
    data.tokens.dispose();
    data.lengths.dispose();
  }
}

/** The joint loss of a batch under the configured mixing (call inside tidy; the posteriors are the batch's). */
export function jointLoss(
  network: JointNetwork,
  batch: JointBatch,
  posteriors: ModalityPosterior[],
  random: Generator,
  settings: ObjectiveSettings,
): JointLosses {
  const context: Context = { network, batch, posteriors, random, settings };
  if (settings.mixing === 'poe') return productOfExpertsLoss(context);
  if (settings.mixing === 'mopoe') return mixtureOfProductsLoss(context);
  return mixtureOfExpertsLoss(context);
}

export type { Gaussian };
