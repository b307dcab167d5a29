/// <reference lib="dom" />
// The studio in a real browser (playwright-core driving Debian's chromium) against a real `mmgen serve`
// process: generate from a prompt and see the images, play a generated clip, drop an image and read its
// caption, drop a WAV and read its transcript, start a tiny training and watch the loss chart gain points,
// cancel it, browse a dataset, errors shown in the page, phone width. Screenshots go to test-artifacts/studio/.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Browser, type Page, chromium } from 'playwright-core';
import { type ServeFixture, tinyGanConfig, trainServeRuns } from './helpers.js';

const SHOTS = 'test-artifacts/studio';
let fixture: ServeFixture;
let server: ChildProcess;
let base = '';
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

before(async () => {
  fixture = await trainServeRuns({ audio: true, joint: true });
  await writeFile(
    join(fixture.configsDir, 'tiny-gan.json'),
    JSON.stringify(tinyGanConfig('chosen-in-the-page', 100000, 20)),
  );
  await mkdir(SHOTS, { recursive: true });
  server = spawn(
    process.execPath,
    [
      'bin/mmgen.js',
      'serve',
      '--runs',
      fixture.runsDir,
      '--outputs',
      join(fixture.root, 'outputs'),
      '--data',
      fixture.dataDir,
      '--configs',
      fixture.configsDir,
      '--port',
      '0',
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  base = await new Promise<string>((resolve, reject) => {
    let out = '';
    server.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /mmgen serve: (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (match) resolve(match[1]!);
    });
    server.on('exit', (code) => reject(new Error(`mmgen serve exited (${code}): ${out}`)));
  });
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--autoplay-policy=no-user-gesture-required', '--no-sandbox'],
  });
  page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.goto(`${base}/#generate`);
  await page.waitForSelector('body[data-ready="true"]');
});

after(async () => {
  await browser?.close();
  if (server && server.exitCode === null) {
    const exited = new Promise((resolve) => server.once('exit', resolve));
    server.kill('SIGTERM');
    await exited;
  }
  await fixture?.cleanup();
});

/** Drops a file on an element as a user would drag it from the desktop. */
async function dropFile(selector: string, path: string, name: string, type: string): Promise<void> {
  const bytes = [...(await readFile(path))];
  await page.evaluate(
    ({ selector, bytes, name, type }) => {
      const transfer = new DataTransfer();
      transfer.items.add(new File([new Uint8Array(bytes)], name, { type }));
      const target = document.querySelector(selector)!;
      target.dispatchEvent(new DragEvent('dragover', { dataTransfer: transfer, bubbles: true, cancelable: true }));
      target.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
    },
    { selector, bytes, name, type },
  );
}

test('generate: a prompt gives a grid of images; the gallery re-runs an earlier output; a bad prompt shows its error in the page', async () => {
  await page.selectOption('#generate-form select[name=run]', 'gan');
  await page.fill('#generate-form input[name=text]', 'heart');
  await page.fill('#generate-form input[name=n]', '4');
  await page.click('#generate-form button[type=submit]');
  await page.waitForFunction(
    () =>
      [...document.querySelectorAll('#generate-results img')].filter(
        (img) => (img as HTMLImageElement).naturalWidth > 0,
      ).length === 4,
  );
  assert.equal(await page.locator('#gallery li').count(), 1);
  await page.screenshot({ path: `${SHOTS}/generate.png`, fullPage: true });
  await page.click('#gallery li button');
  await page.waitForFunction(() => document.querySelectorAll('#gallery li').length === 2);
  await page.fill('#generate-form input[name=text]', 'purple dragon');
  await page.click('#generate-form button[type=submit]');
  const error = page.locator('#generate .error');
  await error.waitFor({ state: 'visible' });
  assert.match(await error.innerText(), /outside the vocabulary: purple, dragon/);
  await page.screenshot({ path: `${SHOTS}/generate-error.png` });
});

test('generate sound: clips come with spectrograms and play', async () => {
  await page.selectOption('#generate-form select[name=run]', 'tones-gan');
  await page.fill('#generate-form input[name=text]', 'low');
  await page.fill('#generate-form input[name=n]', '2');
  await page.click('#generate-form button[type=submit]');
  await page.waitForFunction(() => document.querySelectorAll('#generate-results audio').length === 2);
  assert.equal(await page.locator('#generate .error').isVisible(), false);
  const played = await page.evaluate(async () => {
    const audio = document.querySelector('#generate-results audio') as HTMLAudioElement;
    await audio.play();
    await new Promise((resolve) => audio.addEventListener('ended', resolve, { once: true }));
    return { duration: audio.duration, ended: audio.ended };
  });
  assert.ok(
    played.ended && played.duration > 0.2 && played.duration < 0.3,
    `a 4096-sample clip at 16 kHz plays to its end: ${JSON.stringify(played)}`,
  );
  await page.screenshot({ path: `${SHOTS}/generate-sound.png`, fullPage: true });
});

test('caption and transcribe: a dropped image gets a caption, a dropped WAV a transcript', async () => {
  await page.goto(`${base}/#understand`);
  await page.waitForSelector('body[data-ready="true"]');
  const vocabulary = ['ellipse', 'heart', 'square'];
  await dropFile('#drop', join(fixture.dataDir, 'shapes', 'images', '00000.png'), 'shape.png', 'image/png');
  await page.waitForSelector('#understand-result:not([hidden]) .preview img');
  const caption = await page.locator('#understand-result .answer').innerText();
  assert.ok(
    caption.split(' ').every((word) => vocabulary.includes(word) || word === ''),
    `caption in the run's words: "${caption}"`,
  );
  await page.screenshot({ path: `${SHOTS}/caption.png`, fullPage: true });
  await dropFile('#drop', join(fixture.dataDir, 'tones', 'audio', '0000.wav'), 'tone.wav', 'audio/wav');
  await page.waitForFunction(() => document.querySelector('#understand-result audio') !== null);
  assert.equal(await page.locator('#understand-form select[name=run]').inputValue(), 'transcriber');
  const transcript = await page.locator('#understand-result .answer').innerText();
  assert.ok(
    transcript.split(' ').every((word) => ['low', 'mid', 'high', ''].includes(word)),
    `transcript in the run's words: "${transcript}"`,
  );
  await dropFile('#drop', join(fixture.configsDir, 'tiny-gan.json'), 'notes.png', 'image/png');
  const error = page.locator('#understand .error');
  await error.waitFor({ state: 'visible' });
  assert.match(await error.innerText(), /notes\.png" is not a readable image/);
});

test('translate: text into a joint run gives pictures and playable sounds', async () => {
  await page.goto(`${base}/#translate`);
  await page.waitForSelector('body[data-ready="true"]');
  await page.selectOption('#translate-form select[name=run]', 'joint');
  await page.fill('#translate-form input[name=text]', 'heart');
  await page.uncheck('#translate-form input[value=text]');
  await page.fill('#translate-form input[name=n]', '2');
  await page.click('#translate-form button[type=submit]');
  await page.waitForFunction(
    () =>
      document.querySelectorAll('#translate-results audio').length === 2 &&
      [...document.querySelectorAll('#translate-results img')].filter(
        (img) => (img as HTMLImageElement).naturalWidth > 0,
      ).length === 2,
  );
  assert.equal(await page.locator('#translate .error').isVisible(), false);
  await page.screenshot({ path: `${SHOTS}/translate.png`, fullPage: true });
});

test('train: start a tiny training, the loss chart gains points and a sample grid appears, cancel writes a checkpoint', async () => {
  await page.goto(`${base}/#train`);
  await page.waitForSelector('body[data-ready="true"]');
  await page.selectOption('#train-form select[name=dataset]', 'shapes');
  await page.selectOption('#train-form select[name=config]', 'tiny-gan.json');
  await page.fill('#train-form input[name=name]', 'from-the-studio');
  await page.click('#train-form button[type=submit]');
  const points = () =>
    page.evaluate(() => Number((document.getElementById('loss-chart') as HTMLElement).dataset.points ?? 0));
  await page.waitForFunction(
    () => Number((document.getElementById('loss-chart') as HTMLElement).dataset.points ?? 0) >= 5,
  );
  const early = await points();
  await page.waitForSelector('#train-sample:not([hidden]) img');
  await page.waitForFunction(
    (before) => Number((document.getElementById('loss-chart') as HTMLElement).dataset.points ?? 0) > before + 10,
    early,
  );
  assert.ok((await points()) > early + 10);
  assert.equal((await page.locator('#loss-chart canvas').count()) > 0, true, 'uPlot drew a canvas');
  await page.screenshot({ path: `${SHOTS}/train.png`, fullPage: true });
  await page.click('#train-cancel');
  await page.waitForFunction(() =>
    /cancelled \(checkpoint written\)/.test(document.getElementById('train-status')!.textContent ?? ''),
  );
  await page.waitForFunction(() =>
    [...document.querySelectorAll('#runs-table td')].some((cell) => cell.textContent === 'from-the-studio'),
  );
  const state = JSON.parse(await readFile(join(fixture.runsDir, 'from-the-studio', 'state.json'), 'utf8')) as {
    step: number;
  };
  assert.ok(state.step >= 20, `checkpoint at step ${state.step}`);
});

test('data: a dataset shows its counts and contact sheet; the pages fit a phone and the keyboard reaches the navigation', async () => {
  await page.goto(`${base}/#data`);
  await page.waitForSelector('body[data-ready="true"]');
  await page.selectOption('#data-form select[name=dataset]', 'shapes');
  await page.click('#data-form button[type=submit]');
  await page.waitForFunction(() => (document.getElementById('data-sheet') as HTMLImageElement).naturalWidth > 0);
  assert.match(await page.locator('#data-counts').innerText(), /all samples\s+\d+\s+\d+\s+\d+\s+40/);
  await page.screenshot({ path: `${SHOTS}/data.png`, fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  for (const name of ['generate', 'understand', 'translate', 'train', 'data']) {
    await page.goto(`${base}/#${name}`);
    await page.waitForSelector('body[data-ready="true"]');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `#${name} fits 390 px (overflow ${overflow})`);
    await page.screenshot({ path: `${SHOTS}/phone-${name}.png`, fullPage: true });
  }
  await page.goto(`${base}/#generate`);
  await page.reload();
  await page.waitForSelector('body[data-ready="true"]');
  // a click on the title sets where keyboard navigation starts, as a reader's first Tab would from the top
  await page.click('h1');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Generate');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => location.hash === '#understand' && !document.getElementById('understand')!.hidden);
  assert.deepEqual(pageErrors, [], 'no script errors in the page');
});
