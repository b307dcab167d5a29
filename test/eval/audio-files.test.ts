// Reading user WAVs for the audio judge: stereo folded, other rates resampled, quiet edges trimmed;
// corrupt, empty, silent and too-long files refused with the file named; one bad file loses nothing else.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { encodeWav } from '../../src/modalities/audio/index.js';
import { readClips } from '../../src/eval/audio-files.js';
import { inScratchFolder, peakFrequency, sine } from '../modalities/helpers.js';

const format = { sampleRate: 16000, samples: 16384 };

test('bad WAVs are refused by name while the good ones are read', async () => {
  await inScratchFolder(async (folder) => {
    const path = (name: string): string => join(folder, name);
    const word = sine(440, 16000, 8000);
    await writeFile(path('good.wav'), encodeWav(word, 16000));
    await writeFile(path('stereo-44k.wav'), encodeWav([sine(440, 44100, 22050), sine(440, 44100, 22050)], 44100));
    await writeFile(path('empty.wav'), new Uint8Array(0));
    await writeFile(path('corrupt.wav'), encodeWav(word, 16000).subarray(0, 30));
    await writeFile(path('not-a-wav.wav'), new TextEncoder().encode('hello, this is text'));
    await writeFile(path('silent.wav'), encodeWav(new Float32Array(16000), 16000));
    await writeFile(path('too-long.wav'), encodeWav(sine(440, 16000, 48000), 16000));
    const names = [
      'good.wav',
      'empty.wav',
      'stereo-44k.wav',
      'corrupt.wav',
      'not-a-wav.wav',
      'silent.wav',
      'too-long.wav',
      'missing.wav',
    ];
    const { clips, failures } = await readClips(names.map(path), format);
    assert.deepEqual(
      clips.map((clip) => clip.file),
      [path('good.wav'), path('stereo-44k.wav')],
    );
    for (const clip of clips) {
      assert.equal(clip.samples.length, format.samples);
      assert.ok(Math.abs(peakFrequency(clip.samples, 16000) - 440) < 3, `${clip.file} keeps its pitch`);
    }
    assert.deepEqual(clips[1]?.notes, ['2 channels folded to mono', 'resampled from 44100 Hz']);
    const reasons = Object.fromEntries(
      failures.map((failure) => [failure.file.slice(folder.length + 1), failure.reason]),
    );
    assert.deepEqual(Object.keys(reasons), [
      'empty.wav',
      'corrupt.wav',
      'not-a-wav.wav',
      'silent.wav',
      'too-long.wav',
      'missing.wav',
    ]);
    for (const [name, reason] of Object.entries(reasons)) assert.ok(reason.includes(name), `"${reason}" names ${name}`);
    assert.match(reasons['empty.wav'] ?? '', /empty/);
    assert.match(reasons['not-a-wav.wav'] ?? '', /not a WAV/);
    assert.match(reasons['silent.wav'] ?? '', /silent/);
    assert.match(reasons['too-long.wav'] ?? '', /3\.00 s of sound.*at most 1\.02 s/);
    assert.match(reasons['missing.wav'] ?? '', /no such file/);
  });
});
