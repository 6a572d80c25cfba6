#!/usr/bin/env node
// `ctr run --rm busybox /bin/true` through a private containerd, side by side:
//   runc-shim + runc    containerd-shim-runc-v2 driving Debian's runc
//   runc-shim + tsrun   containerd-shim-runc-v2 driving bin/tsrun (--runc-binary)
//   tsrun-shim          containerd-shim-tsrun-v2 (io.containerd.tsrun.v2), its
//                       group's shim already running (as it is while a
//                       namespace or pod has containers, and for its idle time)
//   tsrun-shim (cold)   the same with no shim running: each run starts one
// once one after the other, and 20 at once.
//
//   node bench/containerd-shim.js [--runs N] [--warmup W] [--parallel P] [--rounds R]
//                                 [--only single,parallel] [--json FILE]
//
// Wall: the ctr command (for the parallel case: until the last of the P is
// done). CPU: containerd, the shims, the runtimes and the containers together:
// containerd runs in a cgroup of its own and every container's cgroup is
// placed below it (ctr --cgroup), so that cgroup's CPU counter (cpuacct.usage,
// or cpu.stat usage_usec on cgroup v2) grows by exactly their work. ctr itself
// is not counted. Variants take turns within each round; the first W rounds
// are warm-up. Needs root, containerd, ctr, runc (apt-get install containerd runc).
'use strict';
const { spawn, execFileSync, spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { cgroupLayout, makeCgroup, startContainerd } = require('./peers');

const repo = path.resolve(__dirname, '..');
const IMAGE = 'docker.io/library/tsrun-bench-busybox:latest';

function parseArgs(argv) {
  const o = { runs: 20, warmup: 3, parallel: 20, rounds: 5, only: ['single', 'parallel'], json: undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--runs') o.runs = Number(val());
    else if (a === '--warmup') o.warmup = Number(val());
    else if (a === '--parallel') o.parallel = Number(val());
    else if (a === '--rounds') o.rounds = Number(val());
    else if (a === '--only') o.only = val().split(',');
    else if (a === '--json') o.json = path.resolve(val());
    else if (a === '-h' || a === '--help') {
      process.stdout.write(fs.readFileSync(__filename, 'utf8').split('\n').slice(1, 21).join('\n') + '\n');
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  return o;
}

function run(cmd, args, opts = {}) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out, wallUs: Number(process.hrtime.bigint() - t0) / 1000 }));
  });
}

/** An OCI image archive of the busybox bundle's rootfs, for ctr images import. */
function buildImage(work) {
  const bundle = path.join(work, 'bundle');
  if (!fs.existsSync(bundle)) execFileSync(path.join(repo, 'scripts/make-busybox-bundle.sh'), [bundle], { stdio: 'ignore' });
  const oci = path.join(work, 'oci');
  const blobs = path.join(oci, 'blobs', 'sha256');
  fs.rmSync(oci, { recursive: true, force: true });
  fs.mkdirSync(blobs, { recursive: true });
  const put = (data) => {
    const h = crypto.createHash('sha256').update(data).digest('hex');
    fs.writeFileSync(path.join(blobs, h), data);
    return { digest: `sha256:${h}`, size: data.length };
  };
  const layerTar = path.join(work, 'layer.tar');
  execFileSync('tar', ['--numeric-owner', '--owner=0', '--group=0', '--sort=name', '-C', path.join(bundle, 'rootfs'), '-cf', layerTar, '.']);
  const layer = put(fs.readFileSync(layerTar));
  const config = put(Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'] }, rootfs: { type: 'layers', diff_ids: [layer.digest] } })));
  const manifest = put(
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
        layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...layer }],
      }),
    ),
  );
  fs.writeFileSync(
    path.join(oci, 'index.json'),
    JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifest, annotations: { 'io.containerd.image.name': IMAGE } }] }),
  );
  fs.writeFileSync(path.join(oci, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  const archive = path.join(work, 'image.tar');
  execFileSync('tar', ['-C', oci, '-cf', archive, '.']);
  return archive;
}

// ---- statistics ----

function quantile(sorted, q) {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i];
}
function cell(values) {
  const s = [...values].sort((a, b) => a - b);
  const f = (us) => (us / 1000).toFixed(1);
  return `${f(quantile(s, 0.5)).padStart(7)} (${f(quantile(s, 0.1))}–${f(quantile(s, 0.9))})`;
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  if (process.getuid() !== 0) throw new Error('run as root');
  for (const b of ['containerd', 'ctr', 'containerd-shim-runc-v2', 'runc']) {
    if (spawnSync('sh', ['-c', `command -v ${b}`]).status !== 0) throw new Error(`${b} is missing (apt-get install -y containerd runc)`);
  }
  const tag = `tsrun-bench-${process.pid.toString(36)}`;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), `${tag}-`));
  const cgroup = makeCgroup(tag);
  const { daemon, socket } = await startContainerd(work, cgroup);
  const ns = tag;
  const ctr = (args) => run('ctr', ['-a', socket, '-n', ns, ...args]);
  const config = path.join(work, 'tsrun-shim.json');
  fs.writeFileSync(config, JSON.stringify({ root: path.join(work, 'tsrun-shim-root') }));
  let id = 0;
  const runArgs = (flags) => {
    const name = `b${++id}`;
    return ['run', '--rm', '--cgroup', `${cgroup.cgroupsPath}/${name}`, ...flags, IMAGE, name, '/bin/true'];
  };
  const shimDaemons = () =>
    fs
      .readdirSync('/proc')
      .filter((p) => /^\d+$/.test(p))
      .filter((p) => {
        try {
          const argv = fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0');
          return argv.some((a) => a.endsWith('/dist/src/shim/entry.js')) && argv.includes(socket);
        } catch {
          return false;
        }
      })
      .map(Number);
  /** Stop the group's shim (and wait): the next run starts a new one. */
  const stopShims = async () => {
    for (const pid of shimDaemons()) process.kill(pid, 'SIGTERM');
    for (let i = 0; i < 200 && shimDaemons().length > 0; i++) await new Promise((r) => setTimeout(r, 25));
  };
  const variants = [
    { name: 'runc-shim + runc', flags: [] },
    { name: 'runc-shim + tsrun', flags: ['--runc-binary', path.join(repo, 'bin/tsrun'), '--runc-root', path.join(work, 'tsrun-root')] },
    { name: 'tsrun-shim', flags: ['--runtime', 'io.containerd.tsrun.v2', '--runtime-config-path', config] },
    { name: 'tsrun-shim (cold)', flags: ['--runtime', 'io.containerd.tsrun.v2', '--runtime-config-path', config], before: stopShims },
  ];
  const results = { machine: {}, single: {}, parallel: {} };
  try {
    const imp = await ctr(['images', 'import', buildImage(work)]);
    if (imp.code !== 0) throw new Error(`ctr images import: ${imp.out}`);
    const load0 = os.loadavg().map((l) => l.toFixed(2)).join(' ');
    results.machine = {
      cpus: os.cpus().length,
      kernel: os.release(),
      node: process.version,
      cgroup: cgroupLayout(),
      containerd: (await run('containerd', ['--version'])).out.trim(),
      runc: (await run('runc', ['--version'])).out.split('\n')[0],
    };
    process.stdout.write(`machine: ${results.machine.cpus} CPUs, kernel ${results.machine.kernel}, node ${results.machine.node}, cgroup ${results.machine.cgroup}, load ${load0}\n`);
    process.stdout.write(`${results.machine.containerd}; ${results.machine.runc}\n\n`);

    const measure = async (v, count) => {
      if (v.before) await v.before();
      const cpu0 = cgroup.cpuUs();
      const t0 = process.hrtime.bigint();
      const runs = await Promise.all(Array.from({ length: count }, () => ctr(runArgs(v.flags))));
      const wallUs = Number(process.hrtime.bigint() - t0) / 1000;
      // what the --rm left running settles (shim exits are part of the cost)
      await new Promise((r) => setTimeout(r, 100));
      const cpuUs = cgroup.cpuUs() - cpu0;
      for (const r of runs) if (r.code !== 0) throw new Error(`${v.name}: ctr run failed (${r.code}): ${r.out}`);
      return { wallUs: count === 1 ? runs[0].wallUs : wallUs, cpuUs };
    };

    for (const [section, count, rounds, warmup] of [
      ['single', 1, o.runs, o.warmup],
      ['parallel', o.parallel, o.rounds, 1],
    ]) {
      if (!o.only.includes(section)) continue;
      const samples = Object.fromEntries(variants.map((v) => [v.name, []]));
      for (let round = 0; round < warmup + rounds; round++) {
        // rotate who goes first: load drift hits every variant alike
        for (let k = 0; k < variants.length; k++) {
          const v = variants[(round + k) % variants.length];
          const s = await measure(v, count);
          if (round >= warmup) samples[v.name].push(s);
        }
      }
      results[section] = samples;
      const title = section === 'single' ? `ctr run --rm busybox /bin/true, one at a time (${rounds} runs)` : `${count} x ctr run --rm busybox /bin/true at once (${rounds} rounds)`;
      process.stdout.write(`${title}: median (p10–p90), ms\n`);
      process.stdout.write(`${'variant'.padEnd(20)} ${'wall'.padStart(20)} ${'CPU: containerd+shims+runtimes'.padStart(32)}\n`);
      for (const v of variants) {
        const s = samples[v.name];
        process.stdout.write(`${v.name.padEnd(20)} ${cell(s.map((x) => x.wallUs)).padStart(20)} ${cell(s.map((x) => x.cpuUs)).padStart(32)}\n`);
      }
      process.stdout.write('\n');
    }
    process.stdout.write(`load average after: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}\n`);
    if (o.json) fs.writeFileSync(o.json, JSON.stringify(results, null, 2));
  } finally {
    await stopShims();
    daemon.kill('SIGTERM');
    await new Promise((r) => daemon.on('exit', r));
    for (const m of fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4]).filter((m) => m && m.startsWith(work)).reverse()) {
      spawnSync('umount', ['-l', m]);
    }
    fs.rmSync(work, { recursive: true, force: true });
    cgroup.remove();
  }
}

main().catch((e) => {
  process.stderr.write(`containerd-shim bench: ${e.stack || e}\n`);
  process.exit(1);
});
