// Speech from Debian's espeak-ng: one process per utterance, WAV on stdout. espeak-ng streams a WAV
// header with placeholder sizes (0x7ffff…), which WAV libraries reject, so the 44-byte header is read
// here by hand and the rest taken as 16-bit PCM.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Random } from '../random.js';

/** Where Debian puts the data when `espeak-ng --version` does not say. */
const ESPEAK_DATA = '/usr/lib/x86_64-linux-gnu/espeak-ng-data';
const INSTALL_HINT = 'install it with `apt-get install -y espeak-ng`';

/** espeak-ng's own English voices (the mbrola ones need extra packages). */
export const ENGLISH_VOICES = [
  'en',
  'en-us',
  'en-gb-scotland',
  'en-gb-x-gbclan',
  'en-gb-x-rp',
  'en-gb-x-gbcwmd',
  'en-029',
  'en-us-nyc',
] as const;
/** Voice variants (timbre): '' is the voice's own. Whispers and robot voices are left out. */
export const VARIANTS = [
  '',
  'm1',
  'm2',
  'm3',
  'm4',
  'm5',
  'm6',
  'm7',
  'f1',
  'f2',
  'f3',
  'f4',
  'f5',
  'klatt',
  'klatt2',
  'klatt3',
  'croak',
  'adam',
  'anika',
  'linda',
  'steph',
] as const;

export interface VoiceSettings {
  voice: string;
  variant: string;
  /** Words per minute. */
  speed: number;
  /** 0–99, espeak's default 50. */
  pitch: number;
}

export interface Speech {
  samples: Float32Array;
  sampleRate: number;
}

let checked: Promise<EspeakInstall> | undefined;

export interface EspeakInstall {
  /** espeak-ng's data folder (voices, variants), from `espeak-ng --version`. */
  dataDir: string;
}

/** Finds espeak-ng; throws a clear error naming the package when it is missing. */
export function checkEspeak(): Promise<EspeakInstall> {
  checked ??= new Promise<EspeakInstall>((resolve, reject) => {
    const child = spawn('espeak-ng', ['--version'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', (error: NodeJS.ErrnoException) => {
      reject(
        new Error(
          error.code === 'ENOENT'
            ? `espeak-ng is not installed; ${INSTALL_HINT}`
            : `cannot run espeak-ng: ${error.message}`,
        ),
      );
    });
    child.on('close', (code) => {
      if (code !== 0) {
        reject(
          new Error(
            `espeak-ng --version exited with code ${code}; reinstall it with \`apt-get install --reinstall -y espeak-ng\``,
          ),
        );
        return;
      }
      resolve({ dataDir: /Data at:\s*(\S+)/.exec(output)?.[1] ?? ESPEAK_DATA });
    });
  });
  checked.catch(() => {
    checked = undefined;
  });
  return checked;
}

/** The variants whose files this espeak-ng install has (espeak-ng silently ignores a missing variant). */
export function availableVariants(install: EspeakInstall): string[] {
  return VARIANTS.filter((variant) => variant === '' || existsSync(join(install.dataDir, 'voices', '!v', variant)));
}

/** A seeded voice: voice, variant, speed and pitch drawn from the given ranges. */
export function drawVoice(
  random: Random,
  variants: readonly string[],
  speed: [number, number],
  pitch: [number, number],
): VoiceSettings {
  return {
    voice: random.pick(ENGLISH_VOICES),
    variant: random.pick(variants),
    speed: Math.round(random.uniform(speed[0], speed[1])),
    pitch: Math.round(random.uniform(pitch[0], pitch[1])),
  };
}

export function parseEspeakWav(bytes: Buffer): Speech {
  if (bytes.length < 44 || bytes.toString('latin1', 0, 4) !== 'RIFF' || bytes.toString('latin1', 8, 12) !== 'WAVE') {
    throw new Error(`espeak-ng did not produce a WAV stream (${bytes.length} bytes)`);
  }
  const channels = bytes.readUInt16LE(22);
  const sampleRate = bytes.readUInt32LE(24);
  const bits = bytes.readUInt16LE(34);
  if (channels !== 1 || bits !== 16 || bytes.toString('latin1', 36, 40) !== 'data') {
    throw new Error(`unexpected espeak-ng output: ${channels} channel(s), ${bits}-bit; expected mono 16-bit PCM`);
  }
  const count = Math.floor((bytes.length - 44) / 2);
  const samples = new Float32Array(count);
  for (let i = 0; i < count; i++) samples[i] = bytes.readInt16LE(44 + 2 * i) / 32768;
  return { samples, sampleRate };
}

/** Speaks `text` and returns espeak-ng's samples (22.05 kHz mono). */
export function speak(text: string, settings: VoiceSettings): Promise<Speech> {
  const voice = settings.variant === '' ? settings.voice : `${settings.voice}+${settings.variant}`;
  const args = ['--stdout', '-v', voice, '-s', String(settings.speed), '-p', String(settings.pitch), '--', text];
  return new Promise<Speech>((resolve, reject) => {
    const child = spawn('espeak-ng', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    const errors: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => errors.push(chunk));
    child.on('error', (error: NodeJS.ErrnoException) => {
      reject(
        new Error(
          error.code === 'ENOENT'
            ? `espeak-ng is not installed; ${INSTALL_HINT}`
            : `cannot run espeak-ng: ${error.message}`,
        ),
      );
    });
    child.on('close', (code) => {
      if (code !== 0) {
        reject(
          new Error(
            `espeak-ng ${args.slice(0, -1).join(' ')} "${text}" failed (exit ${code}): ${Buffer.concat(errors).toString().trim()}`,
          ),
        );
        return;
      }
      try {
        resolve(parseEspeakWav(Buffer.concat(chunks)));
      } catch (error) {
        reject(error);
      }
    });
  });
}
