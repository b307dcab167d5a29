// Drives one worker process (mmgen or PyTorch) over the JSON-lines protocol: one request at a time,
// so only one side computes at any moment and the two never compete for the CPU.
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { AnswerMap, Failure, Request } from './protocol.js';

type Pending = {
  resolve: (value: Record<string, unknown>) => void;
  reject: (error: Error) => void;
  what: string;
  timer: NodeJS.Timeout;
};

/** No single request (at most a 500-step drift run) should take this long even on a busy machine. */
const requestTimeoutMs = 30 * 60 * 1000;

export class WorkerClient {
  private readonly child: ChildProcessWithoutNullStreams;
  private pending: Pending | undefined;
  private stderrTail = '';
  private exited: string | undefined;

  constructor(
    readonly label: string,
    command: string,
    args: string[],
    options: { env: NodeJS.ProcessEnv; cwd: string },
  ) {
    this.child = spawn(command, args, { env: options.env, cwd: options.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stderr.setEncoding('utf8');
    this.child.stderr.on('data', (chunk: string) => {
      this.stderrTail = (this.stderrTail + chunk).slice(-4000);
    });
    createInterface({ input: this.child.stdout }).on('line', (line) => this.onLine(line));
    this.child.on('error', (error) => this.fail(`${label} worker could not start (${command}): ${error.message}`));
    this.child.on('exit', (code, signal) => this.fail(`${label} worker exited (code ${code}, signal ${signal})`));
  }

  get pid(): number {
    if (this.child.pid === undefined) throw new Error(`${this.label} worker has no pid (it did not start)`);
    return this.child.pid;
  }

  request<K extends Request['cmd']>(request: Extract<Request, { cmd: K }>): Promise<AnswerMap[K]> {
    if (this.exited) return Promise.reject(new Error(this.exited));
    if (this.pending) return Promise.reject(new Error(`${this.label} worker is busy with ${this.pending.what}`));
    return new Promise<Record<string, unknown>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.fail(`${this.label} worker did not answer ${request.cmd} within ${requestTimeoutMs / 60000} minutes`);
        this.child.kill('SIGKILL');
      }, requestTimeoutMs);
      this.pending = { resolve, reject, what: request.cmd, timer };
      this.child.stdin.write(`${JSON.stringify(request)}\n`);
    }).then((answer) => answer as unknown as AnswerMap[K]);
  }

  /** Asks the worker to exit and waits for it (kills it after a grace period). */
  async close(): Promise<void> {
    if (this.exited) return;
    const done = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.stdin.end(`${JSON.stringify({ cmd: 'exit' })}\n`);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await done;
    clearTimeout(timer);
  }

  private onLine(line: string): void {
    const pending = this.pending;
    if (!pending) return;
    this.pending = undefined;
    clearTimeout(pending.timer);
    let answer: Record<string, unknown>;
    try {
      answer = JSON.parse(line) as Record<string, unknown>;
    } catch {
      pending.reject(new Error(`${this.label} worker printed a line that is not JSON: ${line.slice(0, 200)}`));
      return;
    }
    if (answer.ok === true) pending.resolve(answer);
    else {
      const failure = answer as unknown as Failure;
      pending.reject(
        new Error(
          `${this.label} worker failed on ${pending.what}: ${failure.error}${failure.trace ? `\n${failure.trace}` : ''}`,
        ),
      );
    }
  }

  private fail(message: string): void {
    const full = this.stderrTail ? `${message}\n--- its stderr ---\n${this.stderrTail}` : message;
    this.exited ??= full;
    const pending = this.pending;
    this.pending = undefined;
    if (pending) clearTimeout(pending.timer);
    pending?.reject(new Error(full));
  }
}
