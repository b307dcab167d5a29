// mmgen as a library a plain Node project installs: `npm pack`, install the tarball into an empty project, and
// run an ESM script there with plain `node` (no TypeScript loader): import loadRun, load a tiny run trained here,
// generate, save a PNG. The bin answers --help from dist/ too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { trainTinyGanRun } from '../models/tiny-gan-run.js';

const repository = resolve(import.meta.dirname, '..', '..');

function run(command: string, args: string[], cwd: string): string {
  const result = spawnSync(command, args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, NODE_OPTIONS: '' },
    maxBuffer: 64 * 1024 * 1024,
  });
  assert.equal(result.status, 0, `${command} ${args.join(' ')} failed in ${cwd}:\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

test(
  'npm pack → install into an empty project → plain node imports loadRun, generates and saves a PNG',
  { timeout: 600_000 },
  async () => {
    const root = await mkdtemp(join(tmpdir(), 'mmgen-pack-'));
    try {
      const { runDir } = await trainTinyGanRun(root, { seed: 1, images: 40, training: { classifierWarmup: 0 } });
      run('npm', ['pack', '--pack-destination', root, '--silent'], repository);
      const tarball = (await readdir(root)).find((name) => name.endsWith('.tgz'));
      assert.ok(tarball, 'npm pack wrote a tarball');
      const project = join(root, 'project');
      await run('mkdir', ['-p', project], root);
      await writeFile(
        join(project, 'package.json'),
        JSON.stringify({ name: 'uses-mmgen', version: '1.0.0', type: 'module', private: true }),
      );
      run('npm', ['install', join(root, tarball), '--prefer-offline', '--no-audit', '--no-fund', '--silent'], project);
      const installed = join(project, 'node_modules', 'mmgen');
      assert.ok(
        existsSync(join(installed, 'dist', 'index.js')) && existsSync(join(installed, 'dist', 'index.d.ts')),
        'dist/ with declarations',
      );
      assert.ok(!existsSync(join(installed, 'src')), 'no TypeScript sources in the package');
      await writeFile(
        join(project, 'use.mjs'),
        [
          "import { loadRun } from 'mmgen';",
          'const run = await loadRun(process.argv[2]);',
          "const [image] = await run.generate('heart', { n: 1, seed: 3 });",
          "await image.save('heart.png');",
          'console.log(JSON.stringify({ recipe: run.recipe, capabilities: run.capabilities, width: image.image.width }));',
          'run.dispose();',
        ].join('\n'),
      );
      const printed = JSON.parse(
        run(process.execPath, ['use.mjs', runDir], project).trim().split('\n').at(-1) ?? '{}',
      ) as { recipe: string; capabilities: string[]; width: number };
      assert.equal(printed.recipe, 'text2image-gan');
      assert.ok(printed.capabilities.includes('generate'));
      assert.equal(printed.width, 64);
      const png = readFileSync(join(project, 'heart.png'));
      assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'a PNG was saved');
      const help = run(join(project, 'node_modules', '.bin', 'mmgen'), ['--help'], project);
      assert.match(help, /Usage: mmgen/);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  },
);
