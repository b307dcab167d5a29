// Loading another joint-diffusion run's autoencoders into this one (training.autoencoder.from): which weights
// come, which keep their new values, and the error that names a modality whose weights do not fit.
import type { Tensor } from '../../tensor/index.js';
import { isCaptionWordsKey } from './caption-words.js';
import type { ModalityName } from './parts.js';

/** What loading needs of the autoencoders (models/joint/autoencoders.ts). */
export interface ReusingAutoencoders {
  readonly names: readonly ModalityName[];
  stateDict(): Map<string, Tensor>;
  loadStateDict(state: Map<string, Tensor>, options: { strict: boolean }): void;
}

/**
 * Loads another run's autoencoders (its `autoencoders.*` state) except those of `fresh`, which keep their
 * new weights. The latent statistics come too only when `keepStatistics` (no autoencoder trains further;
 * otherwise the second stage sets them from the new latents). A loaded modality whose weights do not fit
 * this config is an error naming it.
 */
export function loadReusedState(
  autoencoders: ReusingAutoencoders,
  state: Map<string, Tensor>,
  options: { fresh: readonly ModalityName[]; keepStatistics: boolean },
  source: string,
): void {
  const { fresh, keepStatistics } = options;
  const { names } = autoencoders;
  const ownedBy = (key: string): ModalityName | undefined =>
    names.find((name) => ['.', 'Head.', 'Words.', 'Moments.'].some((suffix) => key.startsWith(`${name}${suffix}`)));
  const statistics = new Set(['latentMean', 'latentStd', 'statisticsReady']);
  const wanted = (key: string): boolean => {
    const owner = ownedBy(key);
    return owner ? !fresh.includes(owner) : keepStatistics || !statistics.has(key);
  };
  const own = autoencoders.stateDict();
  // caption-words and moments heads are optional (they train the encoder and rank draws): a source's are
  // dropped where this run has none, and a head this run has that the source lacks starts afresh
  const optional = (key: string): boolean => isCaptionWordsKey(key) || key.includes('Moments.');
  const kept = new Map([...state].filter(([key]) => wanted(key) && (own.has(key) || !optional(key))));
  const misfits = new Set<string>();
  for (const [key, target] of own) {
    if (!wanted(key) || (optional(key) && !kept.has(key))) continue;
    if (kept.get(key)?.shape.join(',') !== target.shape.join(',')) misfits.add(ownedBy(key) ?? key);
  }
  for (const key of kept.keys()) if (!own.has(key)) misfits.add(ownedBy(key) ?? key);
  if (misfits.size > 0) {
    const modalities = [...misfits].filter((name) => (names as readonly string[]).includes(name));
    throw new Error(
      `training.autoencoder.from: the ${[...misfits].join(', ')} weights of ${source} do not fit this config` +
        (modalities.length > 0
          ? `; train ${modalities.length === 1 ? 'that modality' : 'those modalities'} afresh with training.autoencoder.retrain: [${modalities.join(', ')}]`
          : '; give a trained joint-diffusion run'),
    );
  }
  autoencoders.loadStateDict(kept, { strict: false });
}
