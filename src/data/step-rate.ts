// The rate of a long job over a recent window of its steps, and the ETA from it. An average from the
// start misleads: the first steps warm up, and a shared machine's speed changes while a run goes on.
// The ETA stays unknown until the rate has settled: the window spans enough time, and its older and
// newer halves agree (or it has filled); after that it is always given.

export interface StepRateOptions {
  /** Seconds of recent steps the rate is taken over (default 60). */
  windowSeconds?: number;
  /** Seconds the window must span before an ETA is given (default 10). */
  settleSeconds?: number;
  /** Steps the window must hold before an ETA is given (default 5). */
  settleSteps?: number;
  /** How far the window's halves may disagree, as a fraction of the faster one (default 0.25). */
  tolerance?: number;
}

interface Sample {
  seconds: number;
  done: number;
}

export class StepRate {
  private readonly samples: Sample[] = [];
  private readonly windowSeconds: number;
  private readonly settleSeconds: number;
  private readonly settleSteps: number;
  private readonly tolerance: number;
  private settledOnce = false;

  constructor(options: StepRateOptions = {}) {
    this.windowSeconds = options.windowSeconds ?? 60;
    this.settleSeconds = options.settleSeconds ?? 10;
    this.settleSteps = options.settleSteps ?? 5;
    this.tolerance = options.tolerance ?? 0.25;
  }

  /**
   * Records that `done` steps are complete at `seconds` (default now). The first record is the origin:
   * record after the first step, so its warm-up is left out.
   */
  record(done: number, seconds = performance.now() / 1000): void {
    this.samples.push({ seconds, done });
    // keep one sample older than the window, so the window always spans it whole
    while (this.samples.length > 2 && seconds - (this.samples[1] as Sample).seconds >= this.windowSeconds)
      this.samples.shift();
    if (!this.settledOnce && this.settledNow()) this.settledOnce = true;
  }

  /** Steps per second over the window; NaN before two records. */
  get perSecond(): number {
    return this.rateBetween(0, this.samples.length - 1);
  }

  /** Whether the rate has settled (once settled, it stays so). */
  get settled(): boolean {
    return this.settledOnce;
  }

  /** Seconds left to reach `total` at the window's rate; undefined until settled (0 once done). */
  eta(total: number): number | undefined {
    const last = this.samples[this.samples.length - 1];
    if (last !== undefined && last.done >= total) return 0;
    if (!this.settledOnce || last === undefined) return undefined;
    const rate = this.perSecond;
    return rate > 0 ? (total - last.done) / rate : undefined;
  }

  private rateBetween(from: number, to: number): number {
    const first = this.samples[from];
    const last = this.samples[to];
    if (first === undefined || last === undefined || to <= from || last.seconds <= first.seconds) return Number.NaN;
    return (last.done - first.done) / (last.seconds - first.seconds);
  }

  private settledNow(): boolean {
    const first = this.samples[0];
    const last = this.samples[this.samples.length - 1];
    if (first === undefined || last === undefined) return false;
    const span = last.seconds - first.seconds;
    if (span < this.settleSeconds || last.done - first.done < this.settleSteps) return false;
    if (span >= this.windowSeconds) return true;
    // the halves of the window (by time) must agree: a rate still changing gives no ETA yet
    const middleTime = first.seconds + span / 2;
    const middle = this.samples.findIndex((sample) => sample.seconds >= middleTime);
    const older = this.rateBetween(0, middle);
    const newer = this.rateBetween(middle, this.samples.length - 1);
    if (!(older > 0 && newer > 0)) return false;
    return Math.abs(older - newer) <= this.tolerance * Math.max(older, newer);
  }
}

/** A training step's progress: its loss, the loss smoothed over recent steps, the rate and, once known, the ETA. */
export interface StepEvent {
  type: 'step';
  step: number;
  total: number;
  loss: number;
  smoothedLoss: number;
  stepsPerSecond: number;
  etaSeconds?: number;
}

/** Turns each step's loss into a StepEvent every `every` steps and at the last one. */
export class StepLog {
  private smoothed: number | undefined;
  private readonly rate = new StepRate();
  private readonly started = performance.now();

  constructor(
    private readonly total: number,
    private readonly every: number,
    private readonly emit: (event: StepEvent) => void,
  ) {}

  record(step: number, loss: number): void {
    this.smoothed = this.smoothed === undefined ? loss : 0.95 * this.smoothed + 0.05 * loss;
    this.rate.record(step);
    if (step % this.every !== 0 && step !== this.total) return;
    const eta = this.rate.eta(this.total);
    // before the window holds two records, the average since the loop started
    const perSecond = Number.isFinite(this.rate.perSecond)
      ? this.rate.perSecond
      : step / Math.max(1e-9, (performance.now() - this.started) / 1000);
    this.emit({
      type: 'step',
      step,
      total: this.total,
      loss,
      smoothedLoss: this.smoothed,
      stepsPerSecond: perSecond,
      ...(eta !== undefined ? { etaSeconds: eta } : {}),
    });
  }
}
