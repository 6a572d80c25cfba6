#!/usr/bin/env node
// `npm run lint`: every static rule of docs/architecture.md, each step run
// even when an earlier one failed, then one verdict. The steps are npm
// scripts of their own:
//   typecheck     tsc over src/, oci-spec/ and test/
//   lint:layers   dependency-cruiser (.dependency-cruiser.cjs): imports go down, lazy modules stay lazy
//   lint:unused   knip (knip.json): unused files, exports, dependencies
//   lint:c        clang-format --dry-run --Werror (.clang-format), scripts/check-c-layout.js
'use strict';
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const npm = process.env.npm_execpath; // set when run through npm; else npm from PATH
const steps = ['typecheck', 'lint:layers', 'lint:unused', 'lint:c'];

const failed = [];
for (const step of steps) {
  console.log(`\n--- lint: ${step}`);
  const r = npm
    ? spawnSync(process.execPath, [npm, 'run', '--silent', step], { cwd: root, stdio: 'inherit' })
    : spawnSync('npm', ['run', '--silent', step], { cwd: root, stdio: 'inherit' });
  if (r.error) console.error(`lint: ${step}: ${r.error.message}`);
  if (r.status !== 0) failed.push(step);
}
if (failed.length) {
  console.error(`\nlint: FAILED (${failed.join(', ')})`);
  process.exit(1);
}
console.log('\nlint: ok');
