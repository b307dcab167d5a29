// Every config shipped in configs/ validates against its recipe's schema, so `mmgen train configs/X.yaml`
// fails only for a missing dataset, never for a stale key.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { readConfigFile } from '../../src/train/config.js';
import { RECIPES, resolveConfig } from '../../src/train/recipes.js';

test('every shipped config names a known recipe and validates', async () => {
  const files = (await readdir('configs')).filter((name) => /\.(ya?ml|json)$/.test(name));
  assert.ok(files.length >= 4, `configs/ has ${files.length} configs`);
  const used = new Set<string>();
  for (const file of files) {
    const path = join('configs', file);
    const { recipe } = resolveConfig(await readConfigFile(path), path);
    used.add(recipe.name);
  }
  const unused = RECIPES.map((recipe) => recipe.name).filter((name) => !used.has(name));
  assert.deepEqual(unused, [], 'every recipe has an example config');
});
