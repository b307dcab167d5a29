// The typed progress stream of training: the CLI renders it as a bar, the server streams it as SSE.
export type TrainEvent =
  | { type: 'start'; runDir: string; step: number; total: number; resumed: boolean }
  /** stepsPerSecond and etaSeconds over a recent window of steps; etaSeconds is absent until that rate has settled. */
  | {
      type: 'step';
      step: number;
      total: number;
      losses: Record<string, number>;
      smoothed: Record<string, number>;
      stepsPerSecond: number;
      etaSeconds?: number;
    }
  | { type: 'sample'; step: number; files: string[] }
  /** Texts a text-writing recipe produced for its fixed sample inputs, beside what they should say. */
  | { type: 'texts'; step: number; samples: { reference: string; text: string; right: boolean }[] }
  | { type: 'checkpoint'; step: number; path: string }
  | { type: 'eval'; step: number; metrics: Record<string, number> }
  /** Something a session measured or decided that the user should read (e.g. the output level of a run). */
  | { type: 'notice'; step: number; message: string }
  | { type: 'interrupted'; step: number; path: string }
  | { type: 'done'; step: number; runDir: string; seconds: number; timeLimited?: boolean };

export type EventSink = (event: TrainEvent) => void;
