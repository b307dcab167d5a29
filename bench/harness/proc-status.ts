// RSS from /proc: VmRSS (now) and VmHWM (peak) in kB. The mmgen process holds libtorch too, so
// both sides are measured the same way.
import { readFileSync } from 'node:fs';

export interface ProcessMemory {
  rssKb: number;
  peakKb: number;
}

export function processMemory(pid: number | 'self' = 'self'): ProcessMemory {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string): number => {
    const match = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status);
    if (!match?.[1]) throw new Error(`/proc/${pid}/status has no ${name} line (is this Linux?)`);
    return Number(match[1]);
  };
  return { rssKb: field('VmRSS'), peakKb: field('VmHWM') };
}

/**
 * CPU time and run-queue wait of this process's main thread, in ms (kernel schedstat, ns resolution).
 * CPU time is what a step costs even when the shared machine is busy; the wait says how busy it was.
 */
export function mainThreadTimes(): { cpuMs: number; waitMs: number } {
  const [cpu = '0', wait = '0'] = readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ');
  return { cpuMs: Number(cpu) / 1e6, waitMs: Number(wait) / 1e6 };
}
