// joint-diffusion's first stage with `training.autoencoder.processes`: each group of autoencoders trains at
// once in a child process of its own (a core each), as a run in RUN/autoencoders/GROUP that resumes exactly like
// any run. This process shows them as one progress bar, then joins them as `training.autoencoder.from` joins
// runs and trains the score network itself. A stop reaches every child, which writes its checkpoint.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { JointDiffusionConfig } from '../../models/joint-diffusion.js';
import type { ModalityName } from '../../models/joint/parts.js';
import type { FromTrainer, TrainOrder } from '../child-protocol.js';
import type { EventSink, TrainEvent } from '../events.js';
import { forkTrainer } from '../fork.js';

export interface AutoencoderGroup {
  /** Its modalities joined by '-', e.g. `audio-text`: the name of its run folder. */
  name: string;
  modalities: ModalityName[];
  runDir: string;
}

/** The groups of `training.autoencoder.processes`, each modality of the dataset in exactly one. */
export function autoencoderGroups(
  config: JointDiffusionConfig,
  names: readonly ModalityName[],
  runDir: string,
): AutoencoderGroup[] {
  const groups = config.training.autoencoder.processes;
  const absent = groups.flat().filter((name) => !names.includes(name));
  if (absent.length > 0)
    throw new Error(
      `training.autoencoder.processes names ${absent.join(', ')}, which ${config.dataset} does not have (it has ${names.join(', ')}); drop it from the groups`,
    );
  const missing = names.filter((name) => !groups.flat().includes(name));
  if (missing.length > 0)
    throw new Error(
      `training.autoencoder.processes leaves ${missing.join(', ')} in no group; add it to one (every autoencoder trains in some process)`,
    );
  return groups.map((modalities) => {
    const name = modalities.join('-');
    return { name, modalities, runDir: join(runDir, 'autoencoders', name) };
  });
}

/** What a group's run trains: the other modalities' autoencoders get no steps, and no score network follows. */
export function groupConfig(config: JointDiffusionConfig, group: AutoencoderGroup): JointDiffusionConfig {
  const stage = config.training.autoencoder;
  const others = config.training.autoencoder.processes.flat().filter((name) => !group.modalities.includes(name));
  return {
    ...config,
    training: {
      ...config.training,
      autoencoder: {
        ...stage,
        processes: [],
        modalitySteps: { ...stage.modalitySteps, ...Object.fromEntries(others.map((name) => [name, 0])) },
      },
      score: { ...config.training.score, steps: 0 },
    },
  };
}

/** The config this run goes on with once its groups have trained: their runs as `from`, one per modality. */
export function joinedConfig(config: JointDiffusionConfig, groups: AutoencoderGroup[]): JointDiffusionConfig {
  const from = Object.fromEntries(groups.flatMap((group) => group.modalities.map((name) => [name, group.runDir])));
  return {
    ...config,
    training: {
      ...config.training,
      autoencoder: { ...config.training.autoencoder, processes: [], from, modalitySteps: {} },
    },
  };
}

/** Steps a group's run lasts: its longest autoencoder's. */
function groupSteps(config: JointDiffusionConfig, group: AutoencoderGroup): number {
  const stage = config.training.autoencoder;
  return Math.max(0, ...group.modalities.map((name) => stage.modalitySteps[name] ?? stage.steps));
}

/** The step a group's run has reached by its last checkpoint (0 before its first). */
async function reachedStep(group: AutoencoderGroup): Promise<number | undefined> {
  const text = await readFile(join(group.runDir, 'state.json'), 'utf8').catch(() => undefined);
  return text === undefined ? undefined : (JSON.parse(text) as { step: number }).step;
}

interface GroupOutcome {
  interrupted: boolean;
}

/** Runs one group's training in a child process; `onEvent` gets its events. */
function trainGroup(
  order: TrainOrder,
  onEvent: (event: TrainEvent) => void,
  signal: AbortSignal | undefined,
): Promise<GroupOutcome> {
  const child = forkTrainer();
  const stop = (): void => {
    if (child.connected) child.send({ type: 'stop' });
  };
  signal?.addEventListener('abort', stop, { once: true });
  if (signal?.aborted) queueMicrotask(stop);
  let failure: string | undefined;
  let interrupted = false;
  return new Promise<GroupOutcome>((resolve, reject) => {
    child.on('message', (message: FromTrainer) => {
      if (message.type === 'error') failure = message.message;
      else if (message.type === 'finished') interrupted = message.interrupted;
      else if (message.type === 'event') onEvent(message.event);
    });
    child.on('exit', (code, exitSignal) => {
      signal?.removeEventListener('abort', stop);
      if (failure !== undefined) reject(new Error(failure));
      else if (code !== 0) reject(new Error(`its process stopped (${exitSignal ?? `exit code ${code}`})`));
      else resolve({ interrupted });
    });
    child.send({ type: 'train', order });
  });
}

/** One progress stream from several runs' step events: steps and rates add up, the ETA is the longest. */
class CombinedProgress {
  private readonly latest = new Map<string, Extract<TrainEvent, { type: 'step' }>>();
  constructor(
    private readonly totals: Map<string, { step: number; total: number }>,
    private readonly emit: EventSink,
  ) {}
  get step(): number {
    return [...this.totals.values()].reduce((sum, entry) => sum + entry.step, 0);
  }
  get total(): number {
    return [...this.totals.values()].reduce((sum, entry) => sum + entry.total, 0);
  }
  /** Every group's latest losses (or smoothed losses) in one record: their names say the modality. */
  merged(key: 'losses' | 'smoothed'): Record<string, number> {
    return Object.fromEntries([...this.latest.values()].flatMap((event) => Object.entries(event[key])));
  }
  update(group: string, event: Extract<TrainEvent, { type: 'step' }>): void {
    this.latest.set(group, event);
    this.totals.set(group, { step: event.step, total: event.total });
    const running = [...this.latest.entries()].filter(([name]) => {
      const entry = this.totals.get(name);
      return entry !== undefined && entry.step < entry.total;
    });
    const etas = running.map(([, latest]) => latest.etaSeconds);
    this.emit({
      type: 'step',
      step: this.step,
      total: this.total,
      losses: this.merged('losses'),
      smoothed: this.merged('smoothed'),
      stepsPerSecond: running.reduce((sum, [, latest]) => sum + latest.stepsPerSecond, 0),
      ...(etas.every((eta) => eta !== undefined) ? { etaSeconds: Math.max(0, ...etas) } : {}),
    });
  }
}

export interface GroupsResult {
  interrupted: boolean;
  /** The groups' steps added up, and their last losses. */
  step: number;
  lastLosses: Record<string, number>;
}

/**
 * Trains every group not yet finished, all at once, each from its last checkpoint if it has one. Throws naming
 * the group whose process failed (the others are stopped with a checkpoint, so a resume goes on).
 */
export async function trainGroups(
  config: JointDiffusionConfig,
  groups: AutoencoderGroup[],
  runDir: string,
  onEvent: EventSink,
  signal?: AbortSignal,
): Promise<GroupsResult> {
  const totals = new Map<string, { step: number; total: number }>();
  const orders: { group: AutoencoderGroup; order: TrainOrder }[] = [];
  for (const group of groups) {
    const total = groupSteps(config, group);
    const reached = await reachedStep(group);
    totals.set(group.name, { step: Math.min(reached ?? 0, total), total });
    if (reached !== undefined && reached >= total) continue;
    const order: TrainOrder = {
      config: groupConfig(config, group),
      runDir: group.runDir,
      resume: reached !== undefined,
    };
    orders.push({ group, order });
  }
  const progress = new CombinedProgress(totals, onEvent);
  const resumed = orders.length < groups.length || orders.some(({ order }) => order.resume);
  onEvent({ type: 'start', runDir, step: progress.step, total: progress.total, resumed });
  const failed = new AbortController();
  const stopAll = AbortSignal.any([failed.signal, ...(signal ? [signal] : [])]);
  const outcomes = await Promise.allSettled(
    orders.map(({ group, order }) => {
      onEvent({
        type: 'notice',
        step: progress.step,
        message: `training the ${group.modalities.join(' and ')} autoencoder${group.modalities.length > 1 ? 's' : ''} in a process of its own: ${group.runDir}`,
      });
      return trainGroup(
        order,
        (event) => {
          if (event.type === 'step') progress.update(group.name, event);
          else if (event.type === 'checkpoint' || event.type === 'notice') onEvent(event);
          else if (event.type === 'done')
            onEvent({ type: 'notice', step: progress.step, message: `${group.name}: done, ${event.step} steps` });
        },
        stopAll,
      ).catch((error: Error) => {
        failed.abort();
        throw new Error(
          `the ${group.name} autoencoders' process failed: ${error.message} (its run folder: ${group.runDir})`,
        );
      });
    }),
  );
  const errors = outcomes.flatMap((outcome) => (outcome.status === 'rejected' ? [outcome.reason as Error] : []));
  if (errors.length > 0) throw new Error(errors.map((error) => error.message).join('; '));
  const interrupted = outcomes.some((outcome) => outcome.status === 'fulfilled' && outcome.value.interrupted);
  return { interrupted, step: progress.step, lastLosses: progress.merged('losses') };
}
