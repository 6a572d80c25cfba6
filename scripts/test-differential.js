#!/usr/bin/env node
// The differential suite (test/differential) with more configs than `npm
// test` runs:
//   npm run test:differential -- [--seed S] [--count N] [--no-corpus]
//                                [--concurrency C] [--report FILE] [--keep]
//                                [--only I,J,...]
// --seed/--count: generated configs (default: npm test's seed, 500);
// --no-corpus: only generated ones; --report: a JSON report of every case;
// --keep: keep each run directory; --only: just these generated cases (by
// index, of the --seed/--count sequence). Prints the summary line(s) and exits
// non-zero on any unexplained divergence.
'use strict';
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const env = { ...process.env };
const args = process.argv.slice(2);
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  const value = () => {
    const v = args[++i];
    if (v === undefined) fail(`${a} needs a value`);
    return v;
  };
  if (a === '--seed') env.TSRUN_DIFF_SEED = String(integer(a, value()));
  else if (a === '--count') env.TSRUN_DIFF_COUNT = String(integer(a, value()));
  else if (a === '--concurrency') env.TSRUN_DIFF_CONCURRENCY = String(integer(a, value()));
  else if (a === '--report') env.TSRUN_DIFF_REPORT = path.resolve(value());
  else if (a === '--no-corpus') env.TSRUN_DIFF_CORPUS = '0';
  else if (a === '--keep') env.TSRUN_DIFF_KEEP = '1';
  else if (a === '--only') env.TSRUN_DIFF_ONLY = value();
  else fail(`unknown option ${a}`);
}

function integer(flag, v) {
  if (!/^\d+$/.test(v)) fail(`${flag}: expected a non-negative integer, got ${JSON.stringify(v)}`);
  return Number(v);
}

function fail(msg) {
  console.error(`test:differential: ${msg}`);
  process.exit(2);
}

delete env.NODE_OPTIONS;
const r = spawnSync(
  process.execPath,
  [path.join(root, 'node_modules', 'vitest', 'vitest.mjs'), 'run', '--project', 'differential', 'test/differential/differential.test.ts'],
  { cwd: root, stdio: 'inherit', env },
);
process.exit(r.status ?? 1);
