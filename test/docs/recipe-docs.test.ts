// docs/recipes.md is generated from the recipes' schemas (scripts/recipe-docs.ts): it must be current, and every
// key of every recipe must say what it does (a doc comment on the key in src/, or a note in
// scripts/recipe-key-notes.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { RECIPE_DOCS_PATH, noteFor, recipeDocs, recipeTables } from '../../scripts/recipe-docs.js';
import { KEY_NOTES } from '../../scripts/recipe-key-notes.js';
import { RECIPES } from '../../src/models/recipes.js';

test('docs/recipes.md is what scripts/recipe-docs.ts writes from the schemas today', () => {
  const written = readFileSync(RECIPE_DOCS_PATH, 'utf8');
  assert.ok(written === recipeDocs(), 'docs/recipes.md is out of date: run node --import tsx scripts/recipe-docs.ts');
});

test('every recipe has a table, and every key in it says what it does', () => {
  const tables = recipeTables();
  assert.deepEqual(
    tables.map((table) => table.recipe),
    RECIPES.map((recipe) => recipe.name),
  );
  for (const { recipe, rows } of tables) {
    assert.ok(rows.length >= 10, `${recipe}: ${rows.length} keys`);
    const keys = rows.map(([key]) => key);
    for (const key of ['recipe', 'dataset', 'seed']) assert.ok(keys.includes(key), `${recipe} documents ${key}`);
    const silent = rows.filter(([, , , meaning]) => meaning.trim() === '').map(([key]) => key);
    assert.deepEqual(silent, [], `${recipe}: keys without a doc comment or a note`);
  }
});

test('every note in scripts/recipe-key-notes.ts still names a key of some recipe', () => {
  const keys = recipeTables().flatMap(({ rows }) => rows.map(([key]) => key.split('.')));
  const used = new Set(keys.map((key) => noteFor(key)).filter((note) => note !== undefined));
  assert.deepEqual(
    Object.keys(KEY_NOTES).filter((note) => !used.has(note)),
    [],
  );
});
