#!/usr/bin/env node
// The whole test suite, as CI runs it: `npm run lint` first (types, import
// layers, unused code, C format and layout: a failure there fails the run),
// then unit and integration tests on this host (as root, real kernel), the
// differential suite (runc vs tsrun on the same configs), then the cgroup v2
// tests and the differential suite's cgroup part inside a VM with a pure v2
// hierarchy (../shared/vm/run-in-vm.sh). Prints one closing line
// "tests: N passed, N failed, N skipped" and exits non-zero on any failure.
// TSRUN_TEST_VM=0 skips the VM part (it is then counted as skipped, loudly).
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const vitest = path.join(root, 'node_modules', 'vitest', 'vitest.mjs');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-tests-'));
const totals = { passed: 0, failed: 0, skipped: 0 };
let ok = true;

function count(jsonFile, label) {
  let report;
  try {
    report = JSON.parse(fs.readFileSync(jsonFile, 'utf8'));
  } catch (err) {
    console.error(`run-tests: no report from ${label}: ${err.message}`);
    ok = false;
    return;
  }
  totals.passed += report.numPassedTests ?? 0;
  totals.failed += report.numFailedTests ?? 0;
  totals.skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  if ((report.numFailedTestSuites ?? 0) > 0 && (report.numFailedTests ?? 0) === 0) {
    // a file that failed to load counts as a failure even with no failed test
    totals.failed += report.numFailedTestSuites;
  }
}

function run(label, cmd, args, jsonFile, env = {}) {
  console.log(`\n=== ${label} ===`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  if (r.status !== 0) ok = false;
  count(jsonFile, label);
}

console.log('\n=== lint ===');
const lint = spawnSync(process.execPath, [path.join(root, 'scripts', 'lint.js')], { cwd: root, stdio: 'inherit' });
if (lint.status !== 0) {
  // counted as a failure, so the closing line does not read as a clean run
  totals.failed += 1;
  console.error('run-tests: npm run lint failed (counted as 1 failed)');
}

const hostJson = path.join(work, 'host.json');
run('unit + integration (this host)', process.execPath, [
  vitest, 'run', '--project', 'unit', '--project', 'integration',
  '--reporter=default', '--reporter=json', `--outputFile=${hostJson}`,
], hostJson);

// on its own: it keeps both cores busy with runc and tsrun runs
const diffJson = path.join(work, 'differential.json');
run('differential: runc vs tsrun (this host)', process.execPath, [
  vitest, 'run', '--project', 'differential',
  '--reporter=default', '--reporter=json', `--outputFile=${diffJson}`,
], diffJson);

if (process.env.TSRUN_TEST_VM === '0') {
  console.log('\n=== cgroup v2 (VM) === SKIPPED: TSRUN_TEST_VM=0');
} else {
  // the VM shares the project directory read-write, not /tmp
  const vmJson = path.join(root, '.vitest-cgroup2.json');
  fs.rmSync(vmJson, { force: true });
  run('cgroup v2 (VM)', 'bash', [
    path.join(root, 'scripts', 'test-cgroup2.sh'),
    '--reporter=default', '--reporter=json', `--outputFile=${vmJson}`,
  ], vmJson);
  fs.rmSync(vmJson, { force: true });
}

fs.rmSync(work, { recursive: true, force: true });
if (totals.failed > 0) ok = false;
console.log(`\ntests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(ok ? 0 : 1);
