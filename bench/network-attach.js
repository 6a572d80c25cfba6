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
// The variants take turns, round after round (so a change in the machine's
// load meets all of them), and attach+detach is the difference of the two
// runs of one engine within each round.
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
  const stateRoot = path.join(o.dir, 'state');
  const imageRoot = path.join(o.dir, 'images');
  // every run starts from empty stores
  fs.rmSync(stateRoot, { recursive: true, force: true });
  fs.rmSync(imageRoot, { recursive: true, force: true });
  const hadCniDir = fs.existsSync('/var/lib/cni');
  const engines = [];
  try {
    const { tar } = busyboxLayout(o.dir);
    const t = (args) => inNs([tsrunBin, '--root', stateRoot, '--image-root', imageRoot, ...args]);
    execFileSync(t(['image', 'load', '-q', '-i', tar])[0], t(['image', 'load', '-q', '-i', tar]).slice(1));
    execFileSync(t(['network', 'create', '--subnet', '10.250.0.0/24', 'benchnet'])[0], t(['network', 'create', '--subnet', '10.250.0.0/24', 'benchnet']).slice(1));
    engines.push({
      name: 'tsrun',
      none: () => t(['container', 'run', '--rm', '--network', 'none', 'bench', 'true']),
      net: () => t(['container', 'run', '--rm', '--network', 'benchnet', 'bench', 'true']),
    });

    const podman = spawnSync('podman', ['--version'], { encoding: 'utf8' });
    let p;
    if (podman.status === 0) {
      const proot = path.join(o.dir, 'podman');
      // its own stores and network configs (not /etc/cni/net.d); runc, as crun refuses a hybrid cgroup host
      p = (args) => inNs(['podman', '--root', path.join(proot, 'root'), '--runroot', path.join(proot, 'run'), '--network-config-dir', path.join(proot, 'net.d'), '--runtime', 'runc', ...args]);
      execFileSync(p(['load', '-q', '-i', tar])[0], p(['load', '-q', '-i', tar]).slice(1));
      spawnSync(p(['network', 'create', '--subnet', '10.248.0.0/24', 'benchnet'])[0], p(['network', 'create', '--subnet', '10.248.0.0/24', 'benchnet']).slice(1));
      // host-local's leases go to /var/lib/cni unless the conflist names a dataDir: the bench's own
      const netd = path.join(proot, 'net.d');
      for (const f of fs.existsSync(netd) ? fs.readdirSync(netd).filter((x) => x.endsWith('.conflist')) : []) {
        const conf = JSON.parse(fs.readFileSync(path.join(netd, f), 'utf8'));
        for (const plugin of conf.plugins ?? []) if (plugin.ipam && plugin.ipam.type === 'host-local') plugin.ipam.dataDir = path.join(proot, 'ipam');
        fs.writeFileSync(path.join(netd, f), JSON.stringify(conf, null, 2));
      }
      const limits = ['--ulimit', 'nofile=20000', '--ulimit', 'nproc=32768'];
      const backend = spawnSync(p(['info', '--format', '{{.Host.NetworkBackend}}'])[0], p(['info', '--format', '{{.Host.NetworkBackend}}']).slice(1), { encoding: 'utf8' }).stdout.trim() || '?';
      engines.push({
        name: `podman ${podman.stdout.trim().split(' ').pop()} (${backend})`,
        none: () => p(['run', '--rm', ...limits, '--network', 'none', 'bench', 'true']),
        net: () => p(['run', '--rm', ...limits, '--network', 'benchnet', 'bench', 'true']),
      });
    }
    // rounds: every variant once per round, so all of them meet the same load; 2 warm-up rounds
    for (const e of engines) e.times = { none: [], net: [], diff: [] };
    for (let round = -2; round < o.runs; round++) {
      for (const e of engines) {
        const none = time(e.none());
        const net = time(e.net());
        if (round < 0) continue;
        e.times.none.push(none);
        e.times.net.push(net);
        e.times.diff.push(net - none);
      }
    }
    if (p) spawnSync(p(['network', 'rm', '-f', 'benchnet'])[0], p(['network', 'rm', '-f', 'benchnet']).slice(1));
  } finally {
    spawnSync('sh', ['-c', `for f in ${imageRoot}/networks/netns/*; do [ -e "$f" ] && umount -l "$f"; done; true`]);
    spawnSync('ip', ['netns', 'del', ns]);
    // libcni's result cache (podman's CNI backend has no option for it), empty once the containers are gone
    if (!hadCniDir) spawnSync('sh', ['-c', 'rmdir /var/lib/cni/results /var/lib/cni 2>/dev/null; true']);
  }
  const out = (s) => process.stdout.write(`${s}\n`);
  out(`container run --rm IMAGE true, ${o.runs} rounds (each runs every variant once), inside network namespace ${ns} (wall ms, median (p10–p90))`);
  out(`${'engine'.padEnd(22)}${'--network none'.padEnd(22)}${'bridge network'.padEnd(22)}attach+detach (per round: bridge - none)`);
  for (const e of engines) out(`${e.name.padEnd(22)}${fmt(summary(e.times.none)).padEnd(22)}${fmt(summary(e.times.net)).padEnd(22)}${fmt(summary(e.times.diff))}`);
  if (!engines.some((e) => e.name.startsWith('podman'))) out(`${'podman'.padEnd(22)}not installed (apt-get install podman) — no figures`);
}

main();
