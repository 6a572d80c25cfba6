#!/usr/bin/env node
// The cost of attaching a container to a bridge network, side by side in one
// run (as root, after `npm run build`):
//
//   tsrun   `tsrun container run --rm IMAGE true` on a user-defined bridge
//           network (CNI: loopback, bridge + host-local, portmap, firewall;
//           attach before create, DEL at rm) minus the same with --network none
//   podman  `podman run --rm --network NET` on a CNI or netavark network
//           (whichever podman is set up with) minus --network none; skipped with
//           a note when podman is not installed
//
//   node bench/network-attach.js [--runs N] [--dir DIR]
//
// Everything runs inside a network namespace made for the run (nsenter --net):
// the bridges, rules and addresses never reach the machine's own network.
// Figures: median (p10–p90) wall ms of the whole command; never a timed assertion.
'use strict';
const { execFileSync, spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const repo = path.resolve(__dirname, '..');
const tsrunBin = path.join(repo, 'bin', 'tsrun');

function parseArgs(argv) {
  const o = { runs: 15, dir: path.join(os.tmpdir(), 'tsrun-bench-network') };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--runs') o.runs = Number(argv[++i]);
    else if (a === '--dir') o.dir = path.resolve(argv[++i]);
    else throw new Error(`unknown argument ${a}`);
  }
  return o;
}

const sha = (b) => crypto.createHash('sha256').update(b).digest('hex');

/** An OCI layout tar with one busybox layer, for tsrun image load and podman load. */
function busyboxLayout(dir) {
  const rootfs = path.join(dir, 'rootfs');
  fs.mkdirSync(path.join(rootfs, 'bin'), { recursive: true });
  fs.copyFileSync('/bin/busybox', path.join(rootfs, 'bin', 'busybox'));
  for (const a of ['sh', 'true', 'ip']) if (!fs.existsSync(path.join(rootfs, 'bin', a))) fs.symlinkSync('busybox', path.join(rootfs, 'bin', a));
  for (const d of ['etc', 'proc', 'sys', 'dev', 'tmp']) fs.mkdirSync(path.join(rootfs, d), { recursive: true });
  const layout = path.join(dir, 'layout');
  fs.rmSync(layout, { recursive: true, force: true });
  fs.mkdirSync(path.join(layout, 'blobs', 'sha256'), { recursive: true });
  const blob = (buf) => {
    const d = sha(buf);
    fs.writeFileSync(path.join(layout, 'blobs', 'sha256', d), buf);
    return { digest: `sha256:${d}`, size: buf.length };
  };
  const layer = execFileSync('tar', ['-C', rootfs, '--numeric-owner', '-cf', '-', '.'], { maxBuffer: 64 << 20 });
  const l = blob(layer);
  const config = blob(Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Env: ['PATH=/bin'], Cmd: ['sh'] }, rootfs: { type: 'layers', diff_ids: [l.digest] } })));
  const manifest = blob(Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...l }],
  })));
  fs.writeFileSync(path.join(layout, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  fs.writeFileSync(path.join(layout, 'index.json'), JSON.stringify({
    schemaVersion: 2,
    manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifest, annotations: { 'org.opencontainers.image.ref.name': 'bench:latest' } }],
  }));
  const tar = `${layout}.tar`;
  execFileSync('tar', ['-C', layout, '-cf', tar, '.']);
  return { layout, tar };
}

function quantile(s, q) {
  return s[Math.min(s.length - 1, Math.floor(q * (s.length - 1) + 0.5))];
}
function summary(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return { median: quantile(s, 0.5), p10: quantile(s, 0.1), p90: quantile(s, 0.9) };
}
const fmt = (s) => `${s.median.toFixed(0).padStart(6)} (${s.p10.toFixed(0)}–${s.p90.toFixed(0)})`;

function main() {
  const o = parseArgs(process.argv.slice(2));
  fs.mkdirSync(o.dir, { recursive: true });
  const ns = `tsrun-bench-net-${process.pid}`;
  execFileSync('ip', ['netns', 'add', ns]);
  execFileSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
  const inNs = (argv) => ['nsenter', `--net=/run/netns/${ns}`, ...argv];
  const time = (argv) => {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8' });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (r.status !== 0) throw new Error(`${argv.join(' ')}: exit ${r.status}: ${r.stderr}`);
    return ms;
  };
  const rows = [];
  const measure = (label, argvOf) => {
    for (let i = 0; i < 2; i++) time(argvOf()); // warm-up
    const xs = [];
    for (let i = 0; i < o.runs; i++) xs.push(time(argvOf()));
    return summary(xs);
  };
  const stateRoot = path.join(o.dir, 'state');
  const imageRoot = path.join(o.dir, 'images');
  // every run starts from empty stores
  fs.rmSync(stateRoot, { recursive: true, force: true });
  fs.rmSync(imageRoot, { recursive: true, force: true });
  try {
    const { tar } = busyboxLayout(o.dir);
    const t = (args) => inNs([tsrunBin, '--root', stateRoot, '--image-root', imageRoot, ...args]);
    execFileSync(t(['image', 'load', '-q', '-i', tar])[0], t(['image', 'load', '-q', '-i', tar]).slice(1));
    execFileSync(t(['network', 'create', '--subnet', '10.250.0.0/24', 'benchnet'])[0], t(['network', 'create', '--subnet', '10.250.0.0/24', 'benchnet']).slice(1));
    const none = measure('tsrun none', () => t(['container', 'run', '--rm', '--network', 'none', 'bench', 'true']));
    const net = measure('tsrun net', () => t(['container', 'run', '--rm', '--network', 'benchnet', 'bench', 'true']));
    rows.push(['tsrun', none, net]);

    const podman = spawnSync('podman', ['--version'], { encoding: 'utf8' });
    if (podman.status === 0) {
      const proot = path.join(o.dir, 'podman');
      // its own stores and network configs (not /etc/cni/net.d); runc, as crun refuses a hybrid cgroup host
      const p = (args) => inNs(['podman', '--root', path.join(proot, 'root'), '--runroot', path.join(proot, 'run'), '--network-config-dir', path.join(proot, 'net.d'), '--runtime', 'runc', ...args]);
      execFileSync(p(['load', '-q', '-i', tar])[0], p(['load', '-q', '-i', tar]).slice(1));
      spawnSync(p(['network', 'create', '--subnet', '10.248.0.0/24', 'benchnet'])[0], p(['network', 'create', '--subnet', '10.248.0.0/24', 'benchnet']).slice(1));
      const limits = ['--ulimit', 'nofile=20000', '--ulimit', 'nproc=32768'];
      const pn = measure('podman none', () => p(['run', '--rm', ...limits, '--network', 'none', 'bench', 'true']));
      const pnet = measure('podman net', () => p(['run', '--rm', ...limits, '--network', 'benchnet', 'bench', 'true']));
      const backend = spawnSync(p(['info', '--format', '{{.Host.NetworkBackend}}'])[0], p(['info', '--format', '{{.Host.NetworkBackend}}']).slice(1), { encoding: 'utf8' }).stdout.trim() || '?';
      rows.push([`podman ${podman.stdout.trim().split(' ').pop()} (${backend})`, pn, pnet]);
      spawnSync(p(['network', 'rm', '-f', 'benchnet'])[0], p(['network', 'rm', '-f', 'benchnet']).slice(1));
    } else {
      rows.push(['podman', undefined, undefined]);
    }
  } finally {
    spawnSync('sh', ['-c', `for f in ${imageRoot}/networks/netns/*; do [ -e "$f" ] && umount -l "$f"; done; true`]);
    spawnSync('ip', ['netns', 'del', ns]);
  }
  const p = (s) => process.stdout.write(`${s}\n`);
  p(`container run --rm IMAGE true, ${o.runs} runs each, inside network namespace ${ns} (wall ms, median (p10–p90))`);
  p(`${'engine'.padEnd(22)}${'--network none'.padEnd(22)}${'bridge network'.padEnd(22)}attach+detach (median difference)`);
  for (const [name, none, net] of rows) {
    if (!none) {
      p(`${name.padEnd(22)}not installed (apt-get install podman) — no figures`);
      continue;
    }
    p(`${name.padEnd(22)}${fmt(none).padEnd(22)}${fmt(net).padEnd(22)}${(net.median - none.median).toFixed(0)}`);
  }
}

main();
