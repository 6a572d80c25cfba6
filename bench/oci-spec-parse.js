#!/usr/bin/env node
// Cost of validating config.json on every `tsrun create`, two ways side by
// side: the checks compiled from the zod schemas (oci-spec/runtime-checks.ts,
// what parseConfig runs) and zod's own safeParse of the same schema (loading
// zod, building the schemas on first use). Run after `npm run build:ts`:
//   node bench/oci-spec-parse.js [config.json]
// Module loading is a once-per-process cost, so every run is a fresh node (the
// two ways take turns); the figures are medians over RUNS processes (default
// 21). CPU time (user+system) is the stable figure on a busy machine; wall
// time is shown too. This is the per-module build (dist/) without a code
// cache: the bundle shrinks the loading part further.
'use strict';
const { execFileSync } = require('node:child_process');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const configFile = path.resolve(process.argv[2] || path.join(root, 'test/fixtures/oci/runc-default.json'));
const runs = Number(process.env.RUNS || 21);

/** A child that loads one way, validates once, then 200 more times; prints [wall, cpu] per phase. */
function child(way) {
  const load =
    way === 'compiled'
      ? `const v = require(${JSON.stringify(path.join(root, 'dist/oci-spec/validate.js'))});
         const parse = (doc) => v.parseConfig(doc);`
      : `require('zod');
         const v = require(${JSON.stringify(path.join(root, 'dist/oci-spec/validate.js'))});
         const { ConfigSchema } = require(${JSON.stringify(path.join(root, 'dist/oci-spec/runtime.js'))});
         const parse = (doc) => v.parseWithSchema(ConfigSchema, doc, 'config.json');`;
  return `
const fs = require('node:fs');
const mark = () => [process.hrtime.bigint(), process.cpuUsage()];
const m0 = mark();
${load}
const m1 = mark();
const text = fs.readFileSync(${JSON.stringify(configFile)}, 'utf8');
const cfg = parse(v.parseJsonText(text, 'config.json'));
const m2 = mark();
for (let i = 0; i < 200; i++) parse(v.parseJsonText(text, 'config.json'));
const m3 = mark();
if (!cfg.ociVersion) throw new Error('parse failed');
const d = (a, b) => [Number(b[0] - a[0]) / 1e6, (b[1].user + b[1].system - a[1].user - a[1].system) / 1e3];
process.stdout.write(JSON.stringify([d(m0, m1), d(m1, m2), d(m2, m3).map((x) => x / 200)]));
`;
}

const WAYS = ['compiled', 'zod'];
const samples = { compiled: [], zod: [] };
for (let i = 0; i < runs; i++) {
  for (const way of WAYS) {
    const out = execFileSync(process.execPath, ['-e', child(way)], { cwd: root, env: { ...process.env, NODE_EXTRA_CA_CERTS: '' } });
    samples[way].push(JSON.parse(out));
  }
}
const median = (way, f) => {
  const xs = samples[way].map(f).sort((a, b) => a - b);
  return xs[Math.floor(xs.length / 2)];
};
const cell = (way, f, digits = 2) => `${median(way, (s) => f(s)[1]).toFixed(digits).padStart(7)} (${median(way, (s) => f(s)[0]).toFixed(digits)})`;
console.log(`runs: ${runs}, config: ${path.relative(root, configFile)}; CPU ms median (wall)`);
console.log(`${''.padEnd(34)} ${'compiled checks'.padStart(18)} ${'zod safeParse'.padStart(18)}`);
const row = (label, f, digits) => console.log(`${label.padEnd(34)} ${WAYS.map((w) => cell(w, f, digits).padStart(18)).join(' ')}`);
row('load (zod, schemas / checks)', (s) => s[0]);
row('first read + parse + validate', (s) => s[1]);
row('total', (s) => [s[0][0] + s[1][0], s[0][1] + s[1][1]]);
row('warm read + parse + validate', (s) => s[2], 3);
