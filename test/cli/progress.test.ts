// Progress off a terminal: plain lines every 5 % or 10 s, an ETA from a recent window of steps that reads
// "?" until that rate has settled, and each data stage closed (its last line printed) as soon as it is done.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { type StepEvent, StepLog, StepRate } from '../../src/data/step-rate.js';
import { LineThrottle, formatSeconds } from '../../src/cli/line-throttle.js';
import { trainingProgress } from '../../src/cli/progress.js';
import { dataProgress } from '../../src/cli/data-progress.js';

/** A non-terminal stream that keeps what was written. */
function capture(): { stream: Writable; lines: () => string[] } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  return { stream, lines: () => text.split('\n').filter((line) => line !== '') };
}

test('StepRate: no ETA until the rate settles; then the rate of the recent window, not of the whole run', () => {
  const rate = new StepRate();
  // a slow warm-up (10 s for 2 steps), then 2 steps a second
  let seconds = 0;
  rate.record(0, seconds);
  seconds += 10;
  rate.record(2, seconds);
  for (let step = 3; step <= 20; step++) rate.record(step, (seconds += 0.5));
  assert.equal(rate.eta(1000), undefined, 'the halves of the window disagree: no ETA yet');
  for (let step = 21; step <= 200; step++) rate.record(step, (seconds += 0.5));
  // the whole run's average (200 steps in 99 s) would say ~396 s; the window says 800 steps at 2/s
  assert.ok(Math.abs(rate.perSecond - 2) < 0.01, `window rate ${rate.perSecond}`);
  assert.ok(Math.abs((rate.eta(1000) ?? 0) - 400) < 2, `ETA ${rate.eta(1000)}`);
  // the machine slows to 1 step a second: after a window the ETA follows
  for (let step = 201; step <= 300; step++) rate.record(step, (seconds += 1));
  assert.ok(Math.abs((rate.eta(1000) ?? 0) - 700) < 10, `ETA after slowing ${rate.eta(1000)}`);
  rate.record(1000, seconds + 1);
  assert.equal(rate.eta(1000), 0);
});

test('StepRate: a steady rate settles after the settle time; a short job never gives an ETA', () => {
  const steady = new StepRate();
  for (let step = 0; step <= 8; step++) steady.record(step, step);
  assert.equal(steady.eta(100), undefined, '8 s is not yet 10 s');
  for (let step = 9; step <= 12; step++) steady.record(step, step);
  assert.ok(Math.abs((steady.eta(100) ?? 0) - 88) < 1e-6);
  const short = new StepRate();
  for (let step = 0; step < 50; step++) short.record(step, step * 0.05);
  assert.equal(short.eta(60), undefined);
  assert.ok(Math.abs(short.perSecond - 20) < 1e-6);
});

test('StepLog: an event every N steps and at the last, with the loss smoothed over recent steps', () => {
  const events: StepEvent[] = [];
  const log = new StepLog(7, 3, (event) => events.push(event));
  for (let step = 1; step <= 7; step++) log.record(step, step === 1 ? 10 : 0);
  assert.deepEqual(
    events.map((event) => event.step),
    [3, 6, 7],
  );
  assert.ok(events.every((event) => event.total === 7 && event.loss === 0 && event.stepsPerSecond > 0));
  // 10 then zeros: the smoothed loss decays by 0.95 a step and never reaches the raw loss
  assert.ok(Math.abs((events[0] as StepEvent).smoothedLoss - 10 * 0.95 ** 2) < 1e-9);
  assert.ok(Math.abs((events[2] as StepEvent).smoothedLoss - 10 * 0.95 ** 6) < 1e-9);
});

test('LineThrottle: a line every 5 % of a fast job, every 10 s of a slow one, and always the last', () => {
  let now = 0;
  const clock = (): number => now;
  const fast = new LineThrottle({ now: clock, graceSeconds: 0 });
  const fastLines: number[] = [];
  for (let done = 1; done <= 1000; done++) {
    now = done * 0.01;
    if (fast.due(done, 1000)) fastLines.push(done);
  }
  assert.deepEqual(
    fastLines,
    Array.from({ length: 21 }, (_, index) => Math.max(1, index * 50)),
  );
  now = 0;
  const slow = new LineThrottle({ now: clock, graceSeconds: 0 });
  const times: number[] = [];
  for (let done = 1; done <= 1000; done++) {
    now = done * 1.5; // 5 % takes 75 s
    if (slow.due(done, 1000)) times.push(now);
  }
  const gaps = times.slice(1).map((time, index) => time - (times[index] as number));
  assert.ok(Math.max(...gaps) <= 10.5, `largest gap ${Math.max(...gaps)} s`);
  assert.equal(times[times.length - 1], 1500);
  // a stage's first second prints only its end: a quick stage is one line
  now = 0;
  const quick = new LineThrottle({ now: clock });
  const quickLines: number[] = [];
  for (let done = 1; done <= 16; done++) {
    now = done * 0.01;
    if (quick.due(done, 16)) quickLines.push(done);
  }
  assert.deepEqual(quickLines, [16]);
  assert.equal(formatSeconds(undefined), '?');
  assert.equal(formatSeconds(65), '1m05s');
});

test('training lines off a terminal: "ETA ?" until the event carries an estimate, then the estimate', () => {
  const { stream, lines } = capture();
  const progress = trainingProgress(stream, { graceSeconds: 0 });
  progress.onEvent({ type: 'start', runDir: 'runs/x', step: 0, total: 100, resumed: false });
  for (let step = 1; step <= 100; step++) {
    progress.onEvent({
      type: 'step',
      step,
      total: 100,
      losses: { d: 1 },
      smoothed: { d: 1 },
      stepsPerSecond: 2,
      ...(step >= 50 ? { etaSeconds: (100 - step) / 2 } : {}),
    });
  }
  progress.onEvent({ type: 'done', step: 100, runDir: 'runs/x', seconds: 50 });
  progress.stop();
  const steps = lines().filter((line) => line.startsWith('step '));
  assert.equal(steps.length, 21, steps.join('\n'));
  assert.match(steps[0] ?? '', /^step 1\/100 {2}2\.00 it\/s {2}ETA \? {2}d 1\.000$/);
  assert.match(steps[10] ?? '', /^step 50\/100 .* ETA 25s /);
  assert.match(lines().at(-1) ?? '', /^done: 100 steps in 50s; run folder runs\/x$/);
});

test('data lines off a terminal: a stage prints its finished line when it finishes, before anything after it', () => {
  const { stream, lines } = capture();
  const data = dataProgress(stream, { graceSeconds: 0 });
  for (let done = 0; done <= 400; done += 4)
    data.onEvent({ type: 'progress', done, total: 400, message: 'reading train images' });
  stream.write('training runs/x at step 0/10\n');
  data.onEvent({ type: 'notice', message: 'skipped a.png: not an image' });
  for (let done = 0; done <= 10; done++)
    data.onEvent({ type: 'progress', done, total: 10, message: 'reading train images' });
  data.stop();
  const all = lines();
  const start = all.indexOf('training runs/x at step 0/10');
  assert.equal(all[start - 1], 'reading train images 400/400 100 %');
  assert.equal(all.slice(0, start).length, 21);
  assert.equal(all[start + 1], 'skipped a.png: not an image');
  assert.equal(all.at(-1), 'reading train images 10/10 100 %', 'the same message again is a new stage');
  // with the default grace, a stage done within a second is its last line alone
  const quick = capture();
  const quickData = dataProgress(quick.stream);
  for (let done = 1; done <= 16; done++)
    quickData.onEvent({ type: 'progress', done, total: 16, message: 'writing images' });
  assert.deepEqual(quick.lines(), ['writing images 16/16 100 %']);
});
