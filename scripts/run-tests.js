#!/usr/bin/env node
// The whole test suite, as CI runs it: `npm run lint` first (types, import
// layers, unused code, C format and layout: a failure there fails the run),
// then unit and integration tests on this host (as root, real kernel), the
// differential suite (runc vs tsrun on the same configs), then the VM stage:
// the project's own Vagrant VM (Debian 12, systemd, pure cgroup v2;
// scripts/vagrant/test-vagrant.sh) runs the vm and cgroup2 projects (crash
// fault injection included), the differential suite's cgroup v2 part and
// chosen integration tests as root and as an unprivileged user. Prints one
// closing line "tests: N passed, N failed, N skipped" and exits non-zero on
// any failure.
//   run-tests.js            lint, host, differential, then VM
//   run-tests.js --vm-only  the VM stage alone (npm run test:vagrant)
//   run-tests.js --list     what each stage runs, without running it (--help: this text)
// TSRUN_TEST_VM=0 skips the VM stage (it is then reported, loudly, as skipped).
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const guestRun = path.join(root, 'scripts', 'vagrant', 'guest-run.sh');

// the vitest runs on this host, one after the other, after lint
const HOST_RUNS = [
  { label: 'unit + integration (this host)', report: 'host', projects: ['unit', 'integration'] },
  // on its own: it keeps both cores busy with runc and tsrun runs
  { label: 'differential: runc vs tsrun (this host)', report: 'differential', projects: ['differential'] },
];
const projectArgs = (projects) => projects.flatMap((p) => ['--project', p]);

if (process.argv.includes('--help') || process.argv.includes('-h')) {
  console.log(`usage: run-tests.js [--vm-only | --list | --help]
  (none)     lint, unit + integration and the differential suite on this host, then the VM stage
  --vm-only  the VM stage alone (npm run test:vagrant: scripts/vagrant/test-vagrant.sh)
  --list     print what each stage runs, run nothing
TSRUN_TEST_VM=0 skips the VM stage (reported as skipped).`);
  process.exit(0);
}
if (process.argv.includes('--list')) {
  console.log('host\tlint\tnode scripts/lint.js');
  for (const h of HOST_RUNS) console.log(`host\t${h.label}\tvitest run ${projectArgs(h.projects).join(' ')}`);
  // the VM's runs, as scripts/vagrant/guest-run.sh defines them
  const r = spawnSync('bash', [guestRun, '--list'], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) {
    console.error(`run-tests: guest-run.sh --list failed: ${r.stderr}`);
    process.exit(1);
  }
  for (const line of r.stdout.trim().split('\n')) console.log(`VM ${line}`);
  process.exit(0);
}

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

function run(label, cmd, args, env = {}) {
  console.log(`\n=== ${label} ===`);
  const started = Date.now();
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  if (r.status !== 0) ok = false;
  return { status: r.status, seconds: Math.round((Date.now() - started) / 1000) };
}

function lint() {
  console.log('\n=== lint ===');
  const r = spawnSync(process.execPath, [path.join(root, 'scripts', 'lint.js')], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    // counted as a failure, so the closing line does not read as a clean run
    ok = false;
    totals.failed += 1;
    console.error('run-tests: npm run lint failed (counted as 1 failed)');
  }
}

function hostStage() {
  for (const h of HOST_RUNS) {
    const json = path.join(work, `${h.report}.json`);
    run(h.label, process.execPath, [
      vitest, 'run', ...projectArgs(h.projects),
      '--reporter=default', '--reporter=json', `--outputFile=${json}`,
    ]);
    count(json, h.label);
  }
}

function vmStage() {
  const results = path.join(work, 'vm');
  if (process.env.TSRUN_VM_ONLY) {
    // a development knob (scripts/vagrant/guest-run.sh): the VM stage is partial
    console.log(`\n*** TSRUN_VM_ONLY=${process.env.TSRUN_VM_ONLY}: the VM stage runs only that ***`);
  }
  const { status, seconds } = run('VM: Debian 12, systemd, pure cgroup v2 (Vagrant)', 'bash', [
    path.join(root, 'scripts', 'vagrant', 'test-vagrant.sh'), results,
  ]);
  // each side of the guest lists its runs before it starts them, so a run
  // that died without a report still counts as a failure
  for (const who of ['root', 'user']) {
    let labels = [];
    try {
      labels = fs.readFileSync(path.join(results, `${who}.runs`), 'utf8').split('\n').filter(Boolean);
    } catch {
      console.error(`run-tests: the VM stage ran no tests as ${who} (status ${status})`);
      ok = false;
      totals.failed += 1;
    }
    for (const label of labels) count(path.join(results, `${label}.json`), `VM ${label}`);
  }
  let timings = '';
  try {
    timings = fs.readFileSync(path.join(results, 'timings.txt'), 'utf8').trim().split('\n').join(', ');
  } catch {
    // no timings: the stage failed early, which status reports
  }
  console.log(`\nVM stage: ${seconds} s (${timings || 'no timings'})`);
  for (const log of ['vagrant.log', 'vm-console.log']) {
    const file = path.join(results, log);
    if (fs.existsSync(file)) {
      const kept = path.join(root, '.vagrant-results', log);
      fs.mkdirSync(path.dirname(kept), { recursive: true });
      fs.copyFileSync(file, kept);
      console.log(`VM stage: ${log} kept as ${kept}`);
    }
  }
}

const vmOnly = process.argv.includes('--vm-only');
if (!vmOnly) {
  lint();
  hostStage();
}
if (process.env.TSRUN_TEST_VM === '0' && !vmOnly) {
  console.log('\n=== VM stage === SKIPPED: TSRUN_TEST_VM=0');
} else {
  vmStage();
}

fs.rmSync(work, { recursive: true, force: true });
if (totals.failed > 0) ok = false;
console.log(`\ntests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(ok ? 0 : 1);
