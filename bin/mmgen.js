#!/usr/bin/env node
// The mmgen command. An installed package runs the compiled JavaScript in dist/ (no TypeScript loader);
// a checkout of the repository (src/ present) runs the TypeScript sources through tsx, so it never runs a
// stale build.
import { existsSync } from 'node:fs';

const sources = new URL('../src/cli/main.ts', import.meta.url);
let main;
if (existsSync(sources)) {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import(sources.href));
} else {
  ({ main } = await import('../dist/cli/main.js'));
}
await main(process.argv);
