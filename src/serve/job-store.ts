// Job records, their events (for SSE with resume) and listeners, and a bounded history. The in-process queue
// keeps its jobs here; the BullMQ queue fills it from the events its workers send.
import type { JobListener } from './queue.js';
import {
  type JobEvent,
  type JobEventBody,
  type JobProgress,
  type JobRecord,
  type JobResult,
  type JobState,
  isFinished,
} from './types.js';

interface Entry {
  record: JobRecord;
  events: JobEvent[];
  listeners: Set<JobListener>;
}

export class JobStore {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly history: number,
    private readonly onForget?: (record: JobRecord) => void,
  ) {}

  add(record: JobRecord): void {
    this.entries.set(record.id, { record, events: [], listeners: new Set() });
    this.forgetOld();
  }

  /** Takes back a job that never reached the queue. */
  remove(id: string): void {
    this.entries.delete(id);
  }

  get(id: string): JobRecord | undefined {
    return this.entries.get(id)?.record;
  }

  list(offset: number, limit: number): { jobs: JobRecord[]; total: number } {
    const all = [...this.entries.values()].map((entry) => entry.record).reverse();
    return { jobs: all.slice(offset, offset + limit), total: all.length };
  }

  subscribe(id: string, afterId: number, listener: JobListener): () => void {
    const entry = this.entries.get(id);
    if (!entry) return () => {};
    for (const event of entry.events) if (event.id > afterId) listener(event);
    if (isFinished(entry.record.state)) return () => {};
    entry.listeners.add(listener);
    return () => entry.listeners.delete(listener);
  }

  /** An event of a running or queued job; a finished job takes no more. */
  emit(id: string, body: JobEventBody): void {
    const entry = this.entries.get(id);
    if (entry && !isFinished(entry.record.state)) this.append(id, entry, body);
  }

  setProgress(id: string, progress: JobProgress): void {
    const entry = this.entries.get(id);
    if (entry) entry.record.progress = progress;
  }

  /** Marks a queued job running. */
  start(id: string): JobRecord | undefined {
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    entry.record.state = 'running';
    entry.record.startedAt = new Date().toISOString();
    this.append(id, entry, { type: 'started' });
    return entry.record;
  }

  finish(
    id: string,
    state: 'done' | 'failed' | 'cancelled',
    detail: { result?: JobResult | undefined; error?: string | undefined; checkpointed?: boolean | undefined },
  ): void {
    const entry = this.entries.get(id);
    if (!entry || isFinished(entry.record.state)) return;
    // the record is final before its last event goes out, so a listener reading it sees the end
    entry.record.state = state;
    entry.record.finishedAt = new Date().toISOString();
    if (detail.result) entry.record.result = detail.result;
    if (detail.error) entry.record.error = detail.error;
    if (state === 'done') this.append(id, entry, { type: 'done', result: detail.result ?? { files: [] } });
    else if (state === 'failed') this.append(id, entry, { type: 'error', message: detail.error ?? 'failed' });
    else this.append(id, entry, { type: 'cancelled', checkpointed: detail.checkpointed ?? false });
    entry.listeners.clear();
  }

  private append(id: string, entry: Entry, body: JobEventBody): void {
    const event: JobEvent = { ...body, id: entry.events.length + 1, job: id, time: new Date().toISOString() };
    entry.events.push(event);
    for (const listener of entry.listeners) listener(event);
  }

  counts(): Record<JobState, number> {
    const counts: Record<JobState, number> = { queued: 0, running: 0, done: 0, failed: 0, cancelled: 0 };
    for (const entry of this.entries.values()) counts[entry.record.state]++;
    return counts;
  }

  /** Keeps memory bounded: the oldest finished jobs beyond the history size are dropped. */
  private forgetOld(): void {
    let finished = 0;
    for (const entry of this.entries.values()) if (isFinished(entry.record.state)) finished++;
    for (const [id, entry] of this.entries) {
      if (finished <= this.history) break;
      if (isFinished(entry.record.state)) {
        this.entries.delete(id);
        this.onForget?.(entry.record);
        finished--;
      }
    }
  }
}
