// Cost of validating config.json on every `tsrun create`: loading zod, loading
// oci-spec (building its schemas), and reading + validating a typical config
// (runc's default spec). Run after `npm run build:ts`:
//   node bench/oci-spec-parse.js [config.json]
// Module loading is a once-per-process cost, so every run is a fresh node; the
// figures are medians over RUNS processes (default 21). CPU time (user+system)
// is the stable figure on a busy machine; wall time is shown too.
'use strict';
const { execFileSync } = require('node:child_process');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const configFile = path.resolve(process.argv[2] || path.join(root, 'test/fixtures/oci/runc-default.json'));
const runs = Number(process.env.RUNS || 21);

const child = `
const fs = require('node:fs');
const mark = () => [process.hrtime.bigint(), process.cpuUsage()];
const m0 = mark();
require('zod');
const m1 = mark();
const v = require(${JSON.stringify(path.join(root, 'dist/oci-spec/validate.js'))});
const m2 = mark();
const text = fs.readFileSync(${JSON.stringify(configFile)}, 'utf8');
const cfg = v.parseConfig(v.parseJsonText(text, 'config.json'));
const m3 = mark();
for (let i = 0; i < 200; i++) v.parseConfig(v.parseJsonText(text, 'config.json'));
const m4 = mark();
if (!cfg.ociVersion) throw new Error('parse failed');
const d = (a, b) => [Number(b[0] - a[0]) / 1e6, (b[1].user + b[1].system - a[1].user - a[1].system) / 1e3];
process.stdout.write(JSON.stringify([d(m0, m1), d(m1, m2), d(m2, m3), d(m3, m4).map((x) => x / 200)]));
`;

const samples = [];
for (let i = 0; i < runs; i++) {
  const out = execFileSync(process.execPath, ['-e', child], { cwd: root, env: { ...process.env, NODE_EXTRA_CA_CERTS: '' } });
  samples.push(JSON.parse(out));
}
const median = (phase, k) => {
  const xs = samples.map((s) => s[phase][k]).sort((a, b) => a - b);
  return xs[Math.floor(xs.length / 2)];
};
const row = (label, phase) => `${label.padEnd(38)} cpu ${median(phase, 1).toFixed(2).padStart(6)} ms   wall ${median(phase, 0).toFixed(2).padStart(6)} ms`;
const total = (k) => {
  const xs = samples.map((s) => s[1][k] + s[2][k]).sort((a, b) => a - b);
  return xs[Math.floor(xs.length / 2)];
};
console.log(`runs: ${runs}, config: ${path.relative(root, configFile)}`);
console.log(row("require('zod')", 0));
console.log(row('require oci-spec (build schemas)', 1));
console.log(row('first read + parse + validate', 2));
console.log(`${'oci-spec total (load + first parse)'.padEnd(38)} cpu ${total(1).toFixed(2).padStart(6)} ms   wall ${total(0).toFixed(2).padStart(6)} ms`);
console.log(`${'warm read + parse + validate'.padEnd(38)} cpu ${median(3, 1).toFixed(3).padStart(6)} ms   wall ${median(3, 0).toFixed(3).padStart(6)} ms`);
