// Recipe text2image-gan: a caption encoder (embedding + bidirectional GRU) feeding a generator with
// conditional batch norm at every resolution, against a spectral-norm projection discriminator with its
// own caption encoder. Hinge loss, a matching-aware term (a real image under another sample's caption
// counts as fake), DiffAugment, an EMA generator used for generation. A word classifier of its own, trained on
// real images (after a short warm-up alone), tells the generator which caption words its images fail to show
// (AC-GAN); without it the generator got size and colour right but drew one blob for every shape. A twin
// classifier trained on generated images (TAC-GAN) cancels AC-GAN's pull toward over-typical pictures.
import { Module } from '../nn/index.js';
import { Adam, EMA, type Schedule, linearDecay } from '../optim/index.js';
import { Tokenizer, bagOfWords } from '../modalities/text/index.js';
import { groupSizeFor } from '../modalities/image/projection-discriminator.js';
import { LabelClassifier } from '../modalities/image/label-classifier.js';
import { type AugmentPolicy, diffAugment, parseAugmentPolicy } from '../modalities/image/diff-augment.js';
import { Generator, type Tensor, cat, dispose, noGrad, randn, tidy } from '../tensor/index.js';
import type { TextBatch } from './prompts.js';
import { type ImageShape, type TextToImageModel, generateFromPrompts } from './text-to-image.js';
import { loadTrainedAndAveraged, withPrefix } from './run-files.js';
import {
  type RealnessCritic,
  type RejectionThreshold,
  calibrateRejection,
  describeRejection,
  discriminatorCritic,
  generateWithRejection,
} from './rejection-sampling.js';
import type { TextToImageGanConfig } from './text-to-image-gan/config.js';
import { DiscriminatorNetwork, GeneratorNetwork, wordClassifier } from './text-to-image-gan/networks.js';
import { mismatchMask, modeSeekingLoss, pairedCaptions, wordLossOf } from './text-to-image-gan/losses.js';

export { textToImageGanConfig, type TextToImageGanConfig } from './text-to-image-gan/config.js';

export class TextToImageGan implements TextToImageModel {
  readonly generator: GeneratorNetwork;
  readonly discriminator: DiscriminatorNetwork;
  readonly ema: EMA;
  readonly emaGenerator: GeneratorNetwork;
  readonly generatorOptimizer: Adam;
  readonly discriminatorOptimizer: Adam;
  /** The word classifier and its optimiser (when model.classifierChannels > 0 and training.wordWeight > 0). */
  readonly classifier: LabelClassifier | undefined;
  readonly classifierOptimizer: Adam | undefined;
  /** The twin classifier, trained on generated images (training.twinClassifier). */
  readonly twin: LabelClassifier | undefined;
  readonly twinOptimizer: Adam | undefined;
  /** Noise and augmentation draws during training (saved with checkpoints). */
  readonly trainingRandom: Generator;
  private readonly policies: AugmentPolicy[];
  /** Factor of both learning rates by optimizer step (training.lrDecaySteps). */
  private readonly rateSchedule: Schedule;
  /** Set by calibrateGeneration() on a loaded run: generate() then redraws what the discriminator rejects. */
  private threshold: RejectionThreshold | undefined;
  /** Whether loadForGeneration() found discriminator weights (an untrained one would reject at random). */
  private hasTrainedDiscriminator = false;

  constructor(
    readonly config: TextToImageGanConfig,
    readonly tokenizer: Tokenizer,
    readonly shape: ImageShape,
  ) {
    if (config.training.twinClassifier && !(config.model.classifierChannels > 0 && config.training.wordWeight > 0)) {
      throw new Error(
        'training.twinClassifier needs the word classifier: set model.classifierChannels > 0 and training.wordWeight > 0',
      );
    }
    this.policies = parseAugmentPolicy(config.training.diffAugment);
    this.generator = new GeneratorNetwork(config, tokenizer.vocabularySize, shape);
    this.discriminator = new DiscriminatorNetwork(config, tokenizer.vocabularySize, shape);
    // the EMA generator is a second network whose weights track the trained one
    this.emaGenerator = new GeneratorNetwork(config, tokenizer.vocabularySize, shape);
    this.emaGenerator.loadStateDict(this.generator.stateDict());
    this.emaGenerator.eval();
    this.ema = new EMA(this.generator, { decay: config.training.emaDecay, warmup: true });
    const t = config.training;
    this.generatorOptimizer = new Adam(this.generator, { lr: t.generatorLr, betas: [t.beta1, t.beta2] });
    this.discriminatorOptimizer = new Adam(this.discriminator, { lr: t.discriminatorLr, betas: [t.beta1, t.beta2] });
    this.trainingRandom = new Generator(config.seed + 1);
    this.rateSchedule = linearDecay({ totalSteps: t.steps, decaySteps: t.lrDecaySteps });
    if (config.model.classifierChannels > 0 && t.wordWeight > 0) {
      this.classifier = wordClassifier(config, tokenizer.vocabularySize, shape);
      this.classifierOptimizer = new Adam(this.classifier, { lr: t.classifierLr });
      if (t.twinClassifier) {
        this.twin = wordClassifier(config, tokenizer.vocabularySize, shape);
        this.twinOptimizer = new Adam(this.twin, { lr: t.classifierLr });
      }
    }
  }

  get modules(): Record<string, Module> {
    return {
      generator: this.generator,
      discriminator: this.discriminator,
      ...(this.classifier ? { classifier: this.classifier } : {}),
      ...(this.twin ? { twin: this.twin } : {}),
    };
  }
  get optimizers(): Record<string, Adam> {
    return {
      generator: this.generatorOptimizer,
      discriminator: this.discriminatorOptimizer,
      ...(this.classifierOptimizer ? { classifier: this.classifierOptimizer } : {}),
      ...(this.twinOptimizer ? { twin: this.twinOptimizer } : {}),
    };
  }
  get emas(): Record<string, EMA> {
    return { generator: this.ema };
  }
  get generators(): Record<string, Generator> {
    return { training: this.trainingRandom };
  }

  /**
   * One training step, as named sub-steps: during the classifier's warm-up only `classifierStep`; after it
   * `discriminatorStep` (with the classifier and twin updates) then `generatorStep`. Returns named losses:
   * discriminator, generator, real_score, fake_score, and where trained words (the word loss on real
   * images, by the classifier or the critic's head), generator_words, mode_seeking, twin_words, generator_twin.
   */
  trainStep(images: Tensor, text: TextBatch, step = Number.POSITIVE_INFINITY): Record<string, number> {
    if (this.classifier && step <= this.config.training.classifierWarmup) return this.classifierStep(images, text);
    // the rates are a function of the step alone, so a resumed run continues the schedule exactly
    if (Number.isFinite(step)) {
      const factor = this.rateSchedule(step - 1);
      this.generatorOptimizer.lr = this.config.training.generatorLr * factor;
      this.discriminatorOptimizer.lr = this.config.training.discriminatorLr * factor;
    }
    const wordWeight = this.config.training.wordWeight;
    const words =
      wordWeight > 0 ? bagOfWords(text.tokens, this.tokenizer.vocabularySize, this.tokenizer.padId) : undefined;
    const modeSeekingWeight = this.config.training.modeSeekingWeight;
    let pairs: { text: TextBatch; words: Tensor | undefined } | undefined;
    try {
      const critic = this.discriminatorStep(images, text, words);
      pairs = modeSeekingWeight > 0 ? pairedCaptions(text, words) : undefined;
      const generator = this.generatorStep(pairs?.text ?? text, pairs?.words ?? words, pairs !== undefined);
      this.discriminator.zeroGrad();
      this.classifier?.zeroGrad();
      this.twin?.zeroGrad();
      this.ema.update();
      this.hasTrainedDiscriminator = true;
      const losses: Record<string, number> = {
        discriminator: critic.discriminator,
        generator: generator.generator,
        real_score: critic.realScore,
        fake_score: critic.fakeScore,
      };
      if (wordWeight > 0) Object.assign(losses, { words: critic.words, generator_words: generator.words });
      // mode_seeking: 1 / (image distance per noise distance); it falls as the generator's pictures follow the noise
      if (modeSeekingWeight > 0) losses.mode_seeking = generator.modeSeeking;
      // twin_words: the twin's loss on fakes as it trains; generator_twin: the same for the generator's fakes (G wants it high)
      if (this.twin) Object.assign(losses, { twin_words: critic.twinWords, generator_twin: generator.twin });
      return losses;
    } finally {
      if (pairs) dispose([pairs.text, pairs.words]);
      words?.dispose();
    }
  }

  /** The classifier's warm-up step: it learns to name the words of real pictures. */
  private classifierStep(images: Tensor, text: TextBatch): Record<string, number> {
    const words = bagOfWords(text.tokens, this.tokenizer.vocabularySize, this.tokenizer.padId);
    try {
      return { words: this.trainClassifier(this.classifier, this.classifierOptimizer, images, words) ?? 0 };
    } finally {
      words.dispose();
    }
  }

  /** The critic's update (real → +, fake → −, real under a mismatched caption → −), then the classifier's and the twin's. */
  private discriminatorStep(
    images: Tensor,
    text: TextBatch,
    words: Tensor | undefined,
  ): { discriminator: number; realScore: number; fakeScore: number; words: number; twinWords: number } {
    const batch = images.shape[0] ?? 0;
    const wordWeight = this.config.training.wordWeight;
    return tidy(() => {
      const fake = noGrad(() =>
        this.generator.forward(
          text.tokens,
          text.lengths,
          randn([batch, this.config.model.noiseDim], { generator: this.trainingRandom }),
        ),
      );
      const condition = this.discriminator.text.forward(text.tokens, text.lengths);
      const mismatched = condition.roll([1], [0]);
      // a real image's features are scored twice, under its caption and under another one (matching-aware term)
      const pooled = this.discriminator.image.features(
        this.augment(cat([images, fake], 0)),
        groupSizeFor(batch, this.config.model.minibatchStd),
      );
      const realFeatures = pooled.narrow(0, 0, batch);
      const [real, generated] = this.discriminator.image
        .scoreFeatures(pooled, cat([condition, condition], 0))
        .split(batch, 0) as [Tensor, Tensor];
      const wrong = this.discriminator.image.scoreFeatures(realFeatures, mismatched);
      const mask = mismatchMask(text.tokens);
      const realLoss = real.neg().add(1).relu().mean();
      const fakeLoss = generated.add(1).relu().mean();
      const wrongLoss = wrong.add(1).relu().mul(mask).sum().div(mask.sum().clamp(1));
      const weight = this.config.training.mismatchWeight;
      let loss = realLoss.add(fakeLoss.mul(1 / (1 + weight))).add(wrongLoss.mul(weight / (1 + weight)));
      // the word head (or classifier) learns from real images only, so it cannot be taught to accept fakes
      const headLoss =
        words && !this.classifier
          ? wordLossOf(this.discriminator.image.auxiliaryLogits(realFeatures), words)
          : undefined;
      if (headLoss) loss = loss.add(headLoss.mul(wordWeight));
      this.discriminatorOptimizer.zeroGrad();
      loss.backward();
      this.discriminatorOptimizer.step();
      // the classifier reads un-augmented images: DiffAugment's shifted-in borders slow its learning of shapes
      const classifierLoss = words
        ? this.trainClassifier(this.classifier, this.classifierOptimizer, images, words)
        : undefined;
      const twinLoss = words ? this.trainClassifier(this.twin, this.twinOptimizer, fake, words) : undefined;
      return {
        discriminator: loss.item(),
        realScore: real.mean().item(),
        fakeScore: generated.mean().item(),
        words: headLoss?.item() ?? classifierLoss ?? 0,
        twinWords: twinLoss ?? 0,
      };
    });
  }

  /** The generator's update: fakes scored high under their own captions, showing their words (and following the noise when `modeSeeking`). */
  private generatorStep(
    captions: TextBatch,
    captionWords: Tensor | undefined,
    modeSeeking: boolean,
  ): { generator: number; words: number; modeSeeking: number; twin: number } {
    const wordWeight = this.config.training.wordWeight;
    return tidy(() => {
      const noise = randn([captions.tokens.shape[0] ?? 0, this.config.model.noiseDim], {
        generator: this.trainingRandom,
      });
      const fake = this.generator.forward(captions.tokens, captions.lengths, noise);
      const condition = noGrad(() => this.discriminator.text.forward(captions.tokens, captions.lengths));
      const { logits, auxiliary } = this.discriminator.image.forwardWithAuxiliary(this.augment(fake), condition);
      const adversarial = logits.mean().neg();
      const wordLogits = this.classifier ? this.classifyForGenerator(this.classifier, fake) : auxiliary;
      const wordLoss = wordLogits && captionWords ? wordLossOf(wordLogits, captionWords) : undefined;
      let loss = wordLoss ? adversarial.add(wordLoss.mul(wordWeight)) : adversarial;
      // TAC-GAN: the better the twin names a fake's words, the more the fakes differ from the real pictures of them
      const twinLoss =
        this.twin && captionWords ? wordLossOf(this.classifyForGenerator(this.twin, fake), captionWords) : undefined;
      if (twinLoss) loss = loss.sub(twinLoss.mul(wordWeight));
      const seeking = modeSeeking ? modeSeekingLoss(fake, noise) : undefined;
      if (seeking) loss = loss.add(seeking.mul(this.config.training.modeSeekingWeight));
      this.generatorOptimizer.zeroGrad();
      this.discriminatorOptimizer.zeroGrad();
      this.classifierOptimizer?.zeroGrad();
      this.twinOptimizer?.zeroGrad();
      loss.backward();
      this.generatorOptimizer.step();
      return {
        generator: adversarial.item(),
        words: wordLoss?.item() ?? 0,
        modeSeeking: seeking?.item() ?? 0,
        twin: twinLoss?.item() ?? 0,
      };
    });
  }

  /** DiffAugment with the run's policies, drawing from the training stream. */
  private augment(images: Tensor): Tensor {
    return diffAugment(images, this.policies, this.trainingRandom);
  }

  /** One update of a word classifier (real images for the classifier, generated ones for the twin); returns its loss. */
  private trainClassifier(
    classifier: LabelClassifier | undefined,
    optimizer: Adam | undefined,
    images: Tensor,
    words: Tensor,
  ): number | undefined {
    if (!classifier || !optimizer) return undefined;
    return tidy(() => {
      classifier.train();
      const loss = wordLossOf(classifier.forward(images), words);
      optimizer.zeroGrad();
      loss.backward();
      optimizer.step();
      return loss.item();
    });
  }

  /** Word logits of generated images, with the classifier's batch norm on its running statistics. */
  private classifyForGenerator(classifier: LabelClassifier, images: Tensor): Tensor {
    // eval mode: a generator must not pass by shifting the fake batch's own statistics
    classifier.eval();
    try {
      return classifier.forward(images);
    } finally {
      classifier.train();
    }
  }

  /**
   * Images [N, C, S, S] in [-1, 1] from the EMA generator; the same seed gives the same images. After
   * calibrateGeneration(), draws the discriminator rejects are drawn again.
   */
  generate(texts: string[], seed: number, options: { useEma?: boolean } = {}): Tensor {
    const network = options.useEma === false ? this.generator : this.emaGenerator;
    if (this.threshold) return generateWithRejection(this.critic(network), texts, seed, this.threshold);
    return generateFromPrompts(network, this.tokenizer, texts, seed, this.config.model.noiseDim);
  }

  /** The configured share of draws to reject (generation.rejection). */
  get rejection(): number {
    return this.config.generation.rejection;
  }

  /**
   * Measures the rejection threshold on training captions (generation.rejection, or `fraction` when given; 0
   * turns rejection off). Returns the line reports print, or undefined when every draw is used.
   */
  calibrateGeneration(captions: readonly string[], fraction = this.config.generation.rejection): string | undefined {
    this.threshold = undefined;
    if (fraction === 0) return undefined;
    if (!this.hasTrainedDiscriminator)
      throw new Error("the run's model.safetensors has no discriminator weights to score the draws");
    this.threshold = calibrateRejection(this.critic(this.emaGenerator), captions, {
      ...this.config.generation,
      fraction,
    });
    return describeRejection(this.threshold);
  }

  /** The generator drawing, the discriminator scoring in the minibatch-std groups it was trained with. */
  private critic(network: GeneratorNetwork): RealnessCritic {
    return discriminatorCritic({
      tokenizer: this.tokenizer,
      latentDim: this.config.model.noiseDim,
      group: Math.max(1, this.config.model.minibatchStd),
      generator: network,
      discriminator: this.discriminator,
    });
  }

  /** Copies the EMA weights into the EMA generator (after update()s or a checkpoint load). */
  prepareForGeneration(): void {
    this.ema.copyTo(this.emaGenerator);
  }

  /**
   * Training weights under generator.*, EMA weights under ema.generator.* (used when present), and the
   * discriminator under discriminator.* when present (rejection sampling needs it).
   */
  loadForGeneration(weights: Map<string, Tensor>): void {
    loadTrainedAndAveraged(weights, 'generator', this.generator, this.emaGenerator);
    const discriminator = withPrefix(weights, 'discriminator');
    if (discriminator.size > 0) this.discriminator.loadStateDict(discriminator);
    this.hasTrainedDiscriminator = discriminator.size > 0;
  }

  dispose(): void {
    for (const module of [this.generator, this.discriminator, this.emaGenerator]) module.dispose();
    this.classifier?.dispose();
    this.classifierOptimizer?.dispose();
    this.twin?.dispose();
    this.twinOptimizer?.dispose();
    this.ema.dispose();
    this.generatorOptimizer.dispose();
    this.discriminatorOptimizer.dispose();
    this.trainingRandom.dispose();
  }
}
