#!/usr/bin/env node
// `tsrun container` costs, side by side in one run (figures only, never asserted):
//   - `container create` of a small (~5 MB, 2 layers) and a large (≥ 500 MB,
//     50 layers) image: the overlay rootfs is set up by the init inside its own
//     mount namespace and no layer is copied, so both must cost the same within noise;
//   - `container run --rm IMAGE /bin/true` against `podman run --rm` and
//     `ctr run --rm` (runc), when those are installed and usable here.
// Each figure is one whole process measured by bench/measure.c (wall, and the
// CPU of it and every descendant it reaped); median and p10–p90 in ms.
//
//   node bench/container-run.js [--runs N] [--dir DIR]
'use strict';
const { execFileSync, spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');
const TSRUN = path.join(ROOT, 'bin', 'tsrun');
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const RUNS = Number(opt('runs', '15'));
const DIR = opt('dir', '/tmp/tsrun-bench-container');
const STATE = path.join(DIR, 'state');
const IMAGES = path.join(DIR, 'image-root');
const T = [TSRUN, '--root', STATE, '--image-root', IMAGES, '--registries-config', path.join(DIR, 'registries.json')];

function buildMeasure() {
  const src = path.join(__dirname, 'measure.c');
  const bin = path.join(DIR, 'measure');
  if (!fs.existsSync(bin) || fs.statSync(bin).mtimeMs < fs.statSync(src).mtimeMs) execFileSync(process.env.CC || 'cc', ['-O2', '-Wall', '-o', bin, src]);
  return bin;
}

function sha256(buf) {
  return `sha256:${crypto.createHash('sha256').update(buf).digest('hex')}`;
}

/** An OCI layout tar of uncompressed layers made from directories; loaded with `tsrun image load`. */
function makeImage(name, layerDirs) {
  const layout = path.join(DIR, `layout-${name.replace(/\W/g, '-')}`);
  fs.rmSync(layout, { recursive: true, force: true });
  fs.mkdirSync(path.join(layout, 'blobs', 'sha256'), { recursive: true });
  const put = (buf) => {
    const d = sha256(buf);
    fs.writeFileSync(path.join(layout, 'blobs', 'sha256', d.slice(7)), buf);
    return { digest: d, size: buf.length };
  };
  const layers = layerDirs.map((d) => {
    const tar = execFileSync('tar', ['-C', d, '--numeric-owner', '--sort=name', '-cf', '-', '.'], { maxBuffer: 1 << 30 });
    return { mediaType: 'application/vnd.oci.image.layer.v1.tar', ...put(tar) };
  });
  const config = put(Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Env: ['PATH=/bin'], Cmd: ['/bin/true'] }, rootfs: { type: 'layers', diff_ids: layers.map((l) => l.digest) } })));
  const manifest = put(Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config }, layers })));
  fs.writeFileSync(path.join(layout, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  fs.writeFileSync(path.join(layout, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifest, annotations: { 'org.opencontainers.image.ref.name': name } }] }));
  execFileSync('tar', ['-C', layout, '-cf', `${layout}.tar`, '.']);
  execFileSync(T[0], [...T.slice(1), 'image', 'load', '-q', '-i', `${layout}.tar`], { stdio: 'ignore' });
  return `${layout}.tar`;
}

function busyboxDir() {
  const d = path.join(DIR, 'l-busybox');
  fs.rmSync(d, { recursive: true, force: true });
  fs.mkdirSync(path.join(d, 'bin'), { recursive: true });
  fs.copyFileSync('/bin/busybox', path.join(d, 'bin', 'busybox'));
  for (const a of ['sh', 'true', 'echo']) fs.symlinkSync('busybox', path.join(d, 'bin', a));
  return d;
}

function randomLayer(name, mb) {
  const d = path.join(DIR, name);
  fs.rmSync(d, { recursive: true, force: true });
  fs.mkdirSync(d, { recursive: true });
  fs.writeFileSync(path.join(d, `${name}.bin`), crypto.randomBytes(mb * 1024 * 1024));
  return d;
}

function stats(v) {
  const s = [...v].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))];
  return `${(q(0.5) / 1000).toFixed(1).padStart(7)} (${(q(0.1) / 1000).toFixed(1)}–${(q(0.9) / 1000).toFixed(1)})`;
}

function main() {
  fs.mkdirSync(DIR, { recursive: true });
  fs.writeFileSync(path.join(DIR, 'registries.json'), '{}');
  const measure = buildMeasure();
  const bb = busyboxDir();
  process.stdout.write(`machine: ${os.cpus().length} CPUs, kernel ${os.release()}, node ${process.version}, load ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}\n`);
  const smallTar = makeImage('bench-small:1', [bb, randomLayer('l-small', 3)]);
  const big = [bb];
  for (let i = 0; i < 49; i++) big.push(randomLayer(`l-big-${i}`, 10.5));
  makeImage('bench-large:1', big);
  const sizes = (img) => JSON.parse(execFileSync(T[0], [...T.slice(1), 'image', 'inspect', img], { encoding: 'utf8' }))[0];
  void sizes;
  const run = (cmd) => {
    const r = spawnSync(measure, ['--', ...cmd], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`measure ${cmd.join(' ')}: ${r.stderr}`);
    const [wall, user, sys, , status] = r.stdout.trim().split(/\s+/).map(Number);
    if (status !== 0) throw new Error(`${cmd.join(' ')} exited ${status}`);
    return { wall, cpu: user + sys };
  };
  const rows = [];
  const row = (label, fn) => {
    const w = [];
    const c = [];
    fn(); // warm-up
    for (let i = 0; i < RUNS; i++) {
      const m = fn();
      w.push(m.wall);
      c.push(m.cpu);
    }
    rows.push({ label, wall: stats(w), cpu: stats(c) });
  };
  const createRow = (img) => () => {
    const name = `bench-${crypto.randomBytes(4).toString('hex')}`;
    const m = run([...T, 'container', 'create', '--name', name, img, '/bin/true']);
    spawnSync(T[0], [...T.slice(1), 'container', 'rm', '-f', name], { stdio: 'ignore' });
    return m;
  };
  row('tsrun container create, small image (2 layers, ~5 MB)', createRow('bench-small:1'));
  row('tsrun container create, large image (50 layers, ~520 MB)', createRow('bench-large:1'));
  row('tsrun container run --rm small /bin/true', () => run([...T, 'container', 'run', '--rm', 'bench-small:1', '/bin/true']));
  row('tsrun container run --rm large /bin/true', () => run([...T, 'container', 'run', '--rm', 'bench-large:1', '/bin/true']));
  const notes = [];
  if (spawnSync('podman', ['--version']).status === 0) {
    execFileSync('podman', ['load', '-i', smallTar], { stdio: 'ignore' });
    row('podman run --rm small /bin/true', () => run(['podman', 'run', '--rm', '--network', 'none', 'bench-small:1', '/bin/true']));
  } else notes.push('podman: not installed on this machine, row skipped');
  if (spawnSync('ctr', ['version'], { stdio: 'ignore' }).status === 0) {
    execFileSync('ctr', ['image', 'import', '--all-platforms', smallTar], { stdio: 'ignore' });
    let n = 0;
    row('ctr run --rm (runc) small /bin/true', () => run(['ctr', 'run', '--rm', '--runtime', 'io.containerd.runc.v2', 'docker.io/library/bench-small:1', `bench-${process.pid}-${n++}`, '/bin/true']));
  } else notes.push('ctr: no containerd answering on its default socket, row skipped');
  const width = Math.max(...rows.map((r) => r.label.length));
  process.stdout.write(`\n${'median (p10–p90) ms'.padEnd(width)}   ${'wall'.padEnd(22)} cpu\n`);
  for (const r of rows) process.stdout.write(`${r.label.padEnd(width)}   ${r.wall.padEnd(22)} ${r.cpu}\n`);
  for (const n of notes) process.stdout.write(`note: ${n}\n`);
}

main();
