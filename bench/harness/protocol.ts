// The JSON-lines protocol the coordinator (bench/run.ts) speaks to both workers: the mmgen worker
// (node-worker.ts) and the PyTorch worker (reference.py). One request per line, one answer per line.

export const modelNames = ['dcgan', 'gru', 'transformer', 'vae', 'score', 'ddim'] as const;
export type ModelName = (typeof modelNames)[number];

export const tinyOps = ['addScalar', 'mulTensor'] as const;
export type TinyOp = (typeof tinyOps)[number];

export type Request =
  | { cmd: 'hello' }
  | { cmd: 'build'; model: ModelName; seed: number }
  | { cmd: 'run'; steps: number }
  | { cmd: 'rss' }
  | { cmd: 'tinyop'; op: TinyOp; calls: number; rounds: number }
  | { cmd: 'profile'; steps: number }
  | { cmd: 'drift'; steps: number; sampleEvery: number }
  | { cmd: 'exit' };

export interface HelloAnswer {
  pid: number;
  runtime: string;
  threads: number;
}
export interface BuildAnswer {
  parameters: number;
  buildMs: number;
}
/** Per step: wall ms, main-thread CPU ms and ms spent waiting for a CPU (both from /proc/self/task/<pid>/schedstat). */
export interface RunAnswer {
  ms: number[];
  cpuMs: number[];
  waitMs: number[];
  losses: number[];
}
export interface RssAnswer {
  rssKb: number;
  peakKb: number;
}
/** µs per call per round: wall clock and main-thread CPU time. */
export interface TinyOpAnswer {
  us: number[];
  cpuUs: number[];
}
/** Where a step's time goes; `native` calls are N-API calls (mmgen) or ATen ops called from Python (PyTorch). */
export interface ProfileAnswer {
  stepMs: number;
  /** main-thread CPU ms per step. */
  stepCpuMs: number;
  callsPerStep: number;
  /** PyTorch only: every ATen op run per step, including the ones inside backward and composite ops. */
  atenOpsPerStep?: number;
  topCalls: Record<string, number>;
  /** main-thread CPU ms per step: forward (everything not below), backward, optimizer; mmgen also js (wall ms outside native calls). */
  phases: { forward: number; backward: number; optimizer: number; js?: number };
  /** mmgen only: ms per step inside each native function. */
  nativeMs?: Record<string, number>;
}
export interface DriftAnswer {
  steps: number;
  rssBeforeKb: number;
  rssAfterKb: number;
  /** RSS every sampleEvery steps, for the trend. */
  samplesKb: number[];
  tensorsBefore: number;
  tensorsAfter: number;
  /** median ms per step during the drift run (steps not interleaved with PyTorch). */
  medianMs: number;
}

export interface AnswerMap {
  hello: HelloAnswer;
  build: BuildAnswer;
  run: RunAnswer;
  rss: RssAnswer;
  tinyop: TinyOpAnswer;
  profile: ProfileAnswer;
  drift: DriftAnswer;
  exit: Record<string, never>;
}

export type Failure = { ok: false; error: string; trace?: string };
