// RESULTS.md stays one table (task, dataset, recipe, metric, value, minutes, command): every row has its seven
// cells and a command that reproduces it, and the joint rows stand together.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

const text = readFileSync(resolve(import.meta.dirname, '..', '..', 'RESULTS.md'), 'utf8');
const cells = (line: string): string[] =>
  line
    .split(/(?<!\\)\|/)
    .slice(1, -1)
    .map((cell) => cell.trim());

test('RESULTS.md is one table of seven columns, each row with a command', () => {
  const tableLines = text.split('\n').filter((line) => line.startsWith('|'));
  const headers = tableLines.filter((line) => /^\| task \|/.test(line));
  assert.equal(headers.length, 1, 'one table header');
  assert.deepEqual(cells(headers[0] ?? ''), ['task', 'dataset', 'recipe', 'metric', 'value', 'minutes', 'command']);
  const rows = tableLines.filter((line) => !/^\| task \|/.test(line) && !/^\| ---/.test(line));
  assert.ok(rows.length >= 40, `${rows.length} rows`);
  for (const row of rows) {
    assert.equal(cells(row).length, 7, `seven cells: ${row.slice(0, 100)}`);
    assert.ok((cells(row)[6] ?? '').length > 0, `a command: ${row.slice(0, 100)}`);
  }
  const tasks = rows.map((row) => cells(row)[0]);
  const joint = tasks.flatMap((task, index) => (task === 'joint' ? [index] : []));
  assert.equal((joint.at(-1) ?? 0) - (joint[0] ?? 0) + 1, joint.length, 'the joint rows stand together');
});
