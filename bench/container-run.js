#!/usr/bin/env node
// `tsrun container` costs, side by side in one run (figures only, never asserted):
//   - `container create` of a small (~5 MB, 2 layers) and a large (≥ 500 MB,
//     50 layers) image: the overlay rootfs is set up by the init inside its own
//     mount namespace and no layer is copied, so both must cost the same within noise;
//   - `container run --rm IMAGE /bin/true` against `podman run --rm` and
//     `ctr run --rm` (runc, through a private containerd started here), when
//     podman / containerd are installed.
// Wall: the whole command, by bench/measure.c. CPU: everything that worked for
// the container. tsrun: the command and every descendant it reaped (measure.c;
// `run` reaps the container's init). podman (cgroupfs, --cgroup-parent) and
// ctr: the CPU counter of a cgroup of the bench's that holds the command, and
// podman's conmon and container / containerd, its shims, runc and the
// container (ctr --cgroup), which are not the command's descendants.
// Median and p10–p90 in ms.
//
//   node bench/container-run.js [--runs N] [--dir DIR]
'use strict';
const { execFileSync, spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { makeCgroup, startContainerd } = require('./peers');

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

async function main() {
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
  /** the same, with the CPU of everything in the cgroup (the command is started inside it) */
  const runInCgroup = (cgroup, cmd) => {
    const c0 = cgroup.cpuUs();
    const m = cgroup.inside(() => run(cmd));
    return { wall: m.wall, cpu: cgroup.cpuUs() - c0 };
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
    const m = run([...T, 'container', 'create', '--network', 'none', '--name', name, img, '/bin/true']);
    spawnSync(T[0], [...T.slice(1), 'container', 'rm', '-f', name], { stdio: 'ignore' });
    return m;
  };
  row('tsrun container create, small image (2 layers, ~5 MB)', createRow('bench-small:1'));
  row('tsrun container create, large image (50 layers, ~520 MB)', createRow('bench-large:1'));
  // --network none everywhere: the default bridge network would put a bridge and iptables rules
  // into this machine's namespace (bench/network-attach.js measures networks, in a namespace of its own)
  row('tsrun container run --rm small /bin/true', () => run([...T, 'container', 'run', '--rm', '--network', 'none', 'bench-small:1', '/bin/true']));
  row('tsrun container run --rm large /bin/true', () => run([...T, 'container', 'run', '--rm', '--network', 'none', 'bench-large:1', '/bin/true']));
  const notes = [];
  const tag = `tsrun-bench-ctr-${process.pid.toString(36)}`;
  if (spawnSync('podman', ['--version']).status === 0) {
    const cgroup = makeCgroup(`${tag}-podman`);
    const version = spawnSync('podman', ['--version'], { encoding: 'utf8' }).stdout.trim().split(' ').pop();
    try {
      // a store of the bench's own, not the machine's /var/lib/containers
      const store = ['--root', path.join(DIR, 'podman', 'root'), '--runroot', path.join(DIR, 'podman', 'run')];
      execFileSync('podman', [...store, 'load', '-q', '-i', smallTar], { stdio: 'ignore' });
      // runc: crun refuses a hybrid cgroup host. The limits: podman's default RLIMIT_NOFILE
      // (1048576) can be above the machine's hard limit, which the runtime then refuses
      const podman = ['podman', ...store, '--runtime', 'runc', '--cgroup-manager', 'cgroupfs', 'run', '--rm', '--ulimit', 'nofile=20000', '--ulimit', 'nproc=32768', '--network', 'none'];
      row(`podman ${version} (runc) run --rm small /bin/true`, () => runInCgroup(cgroup, [...podman, '--cgroup-parent', cgroup.cgroupsPath, 'bench-small:1', '/bin/true']));
    } finally {
      cgroup.remove();
    }
  } else notes.push('podman: not installed (apt-get install podman), row skipped');
  if (spawnSync('sh', ['-c', 'command -v containerd && command -v ctr && command -v runc'], { stdio: 'ignore' }).status === 0) {
    const cgroup = makeCgroup(tag);
    const work = fs.mkdtempSync(path.join(os.tmpdir(), `${tag}-`));
    const { daemon, socket } = await startContainerd(work, cgroup);
    try {
      const ctr = ['ctr', '-a', socket, '-n', 'bench'];
      execFileSync(ctr[0], [...ctr.slice(1), 'image', 'import', '--all-platforms', smallTar], { stdio: 'ignore' });
      let n = 0;
      row('ctr run --rm (containerd-shim-runc-v2, runc) small /bin/true', () => {
        const name = `b${n++}`;
        return runInCgroup(cgroup, [...ctr, 'run', '--rm', '--cgroup', `${cgroup.cgroupsPath}/${name}`, 'bench-small:1', name, '/bin/true']);
      });
    } finally {
      daemon.kill('SIGTERM');
      await new Promise((r) => daemon.on('exit', r));
      cgroup.remove();
      fs.rmSync(work, { recursive: true, force: true });
    }
  } else notes.push('ctr: containerd, ctr or runc is not installed (apt-get install containerd runc), row skipped');
  const width = Math.max(...rows.map((r) => r.label.length));
  process.stdout.write(`\n${'median (p10–p90) ms'.padEnd(width)}   ${'wall'.padEnd(22)} cpu\n`);
  for (const r of rows) process.stdout.write(`${r.label.padEnd(width)}   ${r.wall.padEnd(22)} ${r.cpu}\n`);
  for (const n of notes) process.stdout.write(`note: ${n}\n`);
}

main().catch((e) => {
  process.stderr.write(`container-run: ${e.stack ?? e}\n`);
  process.exit(1);
});
