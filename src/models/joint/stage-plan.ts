// Which autoencoders a joint-diffusion run's first stage trains, for how many steps each, and where the second
// stage (the score network) begins. One plan per run, read by the model's steps and by the training session.
import { type JointDiffusionConfig, autoencoderSource } from './diffusion-config.js';
import type { ModalityName } from './parts.js';

export type TrainingStage = 'autoencoder' | 'score';

export class StagePlan {
  constructor(
    private readonly training: JointDiffusionConfig['training'],
    private readonly names: readonly ModalityName[],
  ) {}

  /** The run whose autoencoder a modality reuses, or undefined when it trains afresh here. */
  autoencoderSource(name: ModalityName): string | undefined {
    return autoencoderSource(this.training.autoencoder, name);
  }
  /** The modalities whose autoencoders the first stage trains (all of them unless they come from another run). */
  get trainedAutoencoders(): ModalityName[] | undefined {
    const stage = this.training.autoencoder;
    return stage.from
      ? this.names.filter((name) => this.autoencoderSource(name) === undefined || stage.tune.includes(name))
      : undefined;
  }
  /** Whether the first stage trains a modality's autoencoder for at least one step. */
  trainsHere(name: ModalityName): boolean {
    return this.trained.includes(name) && this.autoencoderStepsOf(name) > 0;
  }
  /** Steps the first stage gives a modality's autoencoder (`modalitySteps`, else `steps`). */
  autoencoderStepsOf(name: ModalityName): number {
    const stage = this.training.autoencoder;
    return stage.modalitySteps[name] ?? stage.steps;
  }
  /** The autoencoders that train at a step of the first stage: those whose own steps are not yet spent. */
  autoencodersAt(step: number): ModalityName[] {
    return this.trained.filter((name) => step <= this.autoencoderStepsOf(name));
  }
  /** Steps of the first stage: the longest of its autoencoders' (0 when every autoencoder comes from another run). */
  get autoencoderSteps(): number {
    return Math.max(0, ...this.trained.map((name) => this.autoencoderStepsOf(name)));
  }
  get totalSteps(): number {
    return this.autoencoderSteps + this.training.score.steps;
  }
  stageAt(step: number): TrainingStage {
    return step <= this.autoencoderSteps ? 'autoencoder' : 'score';
  }

  private get trained(): readonly ModalityName[] {
    return this.trainedAutoencoders ?? this.names;
  }
}
