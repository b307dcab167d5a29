// Audio levels: RMS in dBFS over clips taken together; a gain that never lifts a clip's peak past full scale,
// and the run gain that brings a set of clips to a target level (or as close as their peaks allow).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PEAK_CEILING, applyGain, gainBetween, gainForLevel, rmsDbfs } from '../../src/modalities/audio/index.js';

const sine = (amplitude: number, length = 16000): Float32Array =>
  Float32Array.from({ length }, (_, index) => amplitude * Math.sin((2 * Math.PI * 440 * index) / 16000));
const peak = (clip: Float32Array): number => clip.reduce((most, value) => Math.max(most, Math.abs(value)), 0);

test('rmsDbfs: a sine of amplitude 0.5 is -9.03 dBFS; two clips are pooled sample by sample', () => {
  assert.ok(Math.abs(rmsDbfs(sine(0.5)) - 20 * Math.log10(0.5 / Math.SQRT2)) < 1e-3);
  // a clip of silence as long as the sine halves the power: 3.01 dB lower
  assert.ok(Math.abs(rmsDbfs([sine(0.5), new Float32Array(16000)]) - (rmsDbfs(sine(0.5)) - 10 * Math.log10(2))) < 1e-3);
  assert.ok(Math.abs(gainBetween(-24, -18) - 2) < 0.01);
});

test('applyGain scales a whole clip, by less when its peak would pass the ceiling', () => {
  const quiet = applyGain(sine(0.3), 2);
  assert.ok(
    Math.abs(rmsDbfs(quiet) - (rmsDbfs(sine(0.3)) + 20 * Math.log10(2))) < 1e-3,
    'a peak of 0.6 rises by the whole gain',
  );
  const loud = applyGain(sine(0.8), 2);
  assert.ok(Math.abs(peak(loud) - PEAK_CEILING) < 1e-3, `held at the ceiling: ${peak(loud)}`);
  assert.ok(Math.abs(rmsDbfs(loud) - rmsDbfs(sine(PEAK_CEILING))) < 1e-3, 'scaled, not bent: still a sine');
});

test('gainForLevel: reaches a reachable target; an unreachable one as closely as the peaks allow, with a finite gain', () => {
  const clips = [sine(0.1), sine(0.2), sine(0.05)];
  const reachable = gainForLevel(clips, rmsDbfs(clips) + 6);
  assert.ok(Math.abs(reachable.reachedDbfs - (rmsDbfs(clips) + 6)) < 0.01);
  assert.ok(Math.abs(20 * Math.log10(reachable.gain) - 6) < 0.01, 'no peak reaches the ceiling at +6 dB');
  // every clip at the ceiling is a sine of 0.99: -3.1 dBFS, the highest this set can reach
  const far = gainForLevel(clips, 0);
  assert.ok(far.reachedDbfs < -3.09 && far.reachedDbfs > -3.3, `reached ${far.reachedDbfs}`);
  assert.ok(Number.isFinite(far.gain) && far.gain < 10 ** (40 / 20));
});
