#!/usr/bin/env node
// Images, side by side in one run (as root, after `npm run build`):
//
//   pull   a ~50 MB, 4-layer image from Debian's docker-registry on 127.0.0.1
//          to unpacked layers: tsrun pull, vs skopeo copy + umoci unpack, vs
//          ctr image pull into a private containerd (fetch + unpack into its
//          overlayfs snapshotter). Each round starts from an empty store.
//   unpack one ~48 MB layer (gzip and zstd) into an empty directory: tsrun's
//          unpacker (a node process running dist/src/image/unpack/layer.js
//          with the V8 flags bin/tsrun gives node, src/boot/bundle-cache.ts;
//          it also hashes every byte for the diff_id) vs GNU tar -xzf and
//          tar --zstd -xf. Runs first; its trees (about 0.5 GB a round) stay
//          until its last round.
//
//   node bench/image-pull.js [--runs N] [--only pull,unpack] [--dir DIR] [--json FILE]
//
// Figures: median (p10–p90) of wall time and CPU in ms, each one whole
// process tree measured by bench/measure.c (wait4). containerd does the work
// of ctr pull in its daemon, so its row adds the daemon's CPU (from
// /proc/<pid>/stat) to ctr's own. Never a timed assertion.
'use strict';
const { execFileSync, spawn, spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const zlib = require('node:zlib');

const repo = path.resolve(__dirname, '..');

function parseArgs(argv) {
  const o = { runs: 3, only: ['pull', 'unpack'], dir: path.join(os.tmpdir(), 'tsrun-bench-image'), json: undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = () => argv[++i];
    if (a === '--runs') o.runs = Number(v());
    else if (a === '--only') o.only = v().split(',');
    else if (a === '--dir') o.dir = path.resolve(v());
    else if (a === '--json') o.json = path.resolve(v());
    else throw new Error(`unknown argument ${a}`);
  }
  return o;
}

function onPath(bin) {
  return (process.env.PATH || '').split(':').some((d) => d && fs.existsSync(path.join(d, bin)));
}

function buildMeasure(dir) {
  const src = path.join(__dirname, 'measure.c');
  const bin = path.join(dir, 'measure');
  if (!fs.existsSync(bin) || fs.statSync(bin).mtimeMs < fs.statSync(src).mtimeMs) {
    fs.mkdirSync(dir, { recursive: true });
    execFileSync(process.env.CC || 'cc', ['-O2', '-Wall', '-o', bin, src], { stdio: 'inherit' });
  }
  return bin;
}

/** One measured process tree: { wallUs, cpuUs, rssKb }. */
function measure(bin, log, cmd, env) {
  const r = spawnSync(bin, ['--out', log, '--', ...cmd], { encoding: 'utf8', env: env || process.env });
  if (r.status !== 0) throw new Error(`measure failed: ${r.stderr}`);
  const [wall, user, sys, rss, status] = r.stdout.trim().split(/\s+/).map(Number);
  if (status !== 0) throw new Error(`${cmd.join(' ')} exited ${status}:\n${fs.readFileSync(log, 'utf8').slice(-2000)}`);
  return { wallUs: wall, cpuUs: user + sys, rssKb: rss };
}

function quantile(sorted, q) {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}
function cell(samples, key) {
  const s = samples.map((x) => x[key]).sort((a, b) => a - b);
  const ms = (us) => (us / 1000).toFixed(0);
  return `${ms(quantile(s, 0.5)).padStart(6)} (${ms(quantile(s, 0.1))}–${ms(quantile(s, 0.9))})`;
}
function median(samples, key) {
  const s = samples.map((x) => x[key]).sort((a, b) => a - b);
  return quantile(s, 0.5);
}

// ---- the image ----

/** Deterministic pseudo-random bytes (so every run builds the same image). */
function prng(seed) {
  let s = crypto.createHash('sha256').update(String(seed)).digest();
  return (n) => {
    const out = Buffer.alloc(n);
    for (let off = 0; off < n; off += 32) {
      s = crypto.createHash('sha256').update(s).digest();
      s.copy(out, off, 0, Math.min(32, n - off));
    }
    return out;
  };
}

const WORDS = 'the of and to in is that for it as with was on be at by this had not are but from or have an they which one you were her all she there would their we him been has when who will more no if out so said what up its about into than them can only other new some could time these two may then do first any my now such like our over man me even most made after also did many before must through back years where much your way well down should because each just those people how too little state good very make world still own see men work long get here between both life being under never day same another know while last might us great old year off come since against go came right used take three'.split(' ');

function makeTree(root) {
  const words = prng('words');
  const rand = prng('random');
  const write = (p, data) => {
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, data);
  };
  // layer 1: busybox with its applet links (a base system)
  const base = path.join(root, 'l1');
  write(path.join(base, 'bin', 'busybox'), fs.readFileSync('/bin/busybox'));
  fs.chmodSync(path.join(base, 'bin', 'busybox'), 0o755);
  for (const a of execFileSync('/bin/busybox', ['--list'], { encoding: 'utf8' }).split('\n').filter((x) => x && x !== 'busybox')) {
    fs.symlinkSync('busybox', path.join(base, 'bin', a));
  }
  // layer 2: many small text files (sources, configs, man pages): ~16 MB
  const text = path.join(root, 'l2');
  for (let i = 0; i < 4000; i++) {
    const b = words(4096);
    write(path.join(text, 'usr', 'share', `pkg${i % 80}`, `file${i}.txt`), Array.from(b, (x) => WORDS[x % WORDS.length]).join(' '));
  }
  // layer 3: libraries (half random, half zeros): ~18 MB
  const libs = path.join(root, 'l3');
  for (let i = 0; i < 12; i++) write(path.join(libs, 'usr', 'lib', `lib${i}.so`), Buffer.concat([rand(768 * 1024), Buffer.alloc(768 * 1024)]));
  // layer 4: incompressible data: ~12 MB
  const data = path.join(root, 'l4');
  for (let i = 0; i < 12; i++) write(path.join(data, 'opt', 'app', `blob${i}.bin`), rand(1024 * 1024));
  return [base, text, libs, data];
}

function tarOf(dirs) {
  const args = ['--numeric-owner', '--owner=0', '--group=0', '--sort=name', '--format=posix', '--pax-option=delete=atime,delete=ctime', '--mtime=@1700000000', '-cf', '-'];
  for (const d of dirs) args.push('-C', d, '.');
  return execFileSync('tar', args, { maxBuffer: 1 << 30 });
}

function sha256(b) {
  return `sha256:${crypto.createHash('sha256').update(b).digest('hex')}`;
}

function writeLayout(dir, tars) {
  const blobs = path.join(dir, 'blobs', 'sha256');
  fs.mkdirSync(blobs, { recursive: true });
  const put = (b) => {
    const d = sha256(b);
    fs.writeFileSync(path.join(blobs, d.slice(7)), b);
    return { digest: d, size: b.length };
  };
  const layers = tars.map((t) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...put(zlib.gzipSync(t, { level: 6 })) }));
  const config = put(Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Cmd: ['sh'] }, rootfs: { type: 'layers', diff_ids: tars.map(sha256) } })));
  const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config }, layers }));
  const m = put(manifest);
  fs.writeFileSync(path.join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  fs.writeFileSync(path.join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...m, annotations: { 'org.opencontainers.image.ref.name': 'bench' } }] }));
  return { compressed: layers.reduce((s, l) => s + l.size, 0), uncompressed: tars.reduce((s, t) => s + t.length, 0) };
}

// ---- services ----

async function startRegistry(dir) {
  fs.mkdirSync(dir, { recursive: true });
  const cfg = path.join(dir, 'config.yml');
  fs.writeFileSync(cfg, ['version: 0.1', 'log:', '  level: error', '  accesslog:', '    disabled: true', 'storage:', '  filesystem:', `    rootdirectory: ${dir}/data`, 'http:', '  addr: 127.0.0.1:0', ''].join('\n'));
  const logFile = path.join(dir, 'registry.log');
  const fd = fs.openSync(logFile, 'w');
  const child = spawn('docker-registry', ['serve', cfg], { stdio: ['ignore', fd, fd], env: { ...process.env, REGISTRY_LOG_LEVEL: 'info' } });
  fs.closeSync(fd);
  for (let i = 0; i < 300; i++) {
    const m = /listening on 127\.0\.0\.1:(\d+)/.exec(fs.readFileSync(logFile, 'utf8'));
    if (m) return { host: `127.0.0.1:${m[1]}`, stop: () => child.kill('SIGTERM') };
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGKILL');
  throw new Error(`docker-registry did not start: ${fs.readFileSync(logFile, 'utf8')}`);
}

async function startContainerd(dir) {
  fs.mkdirSync(dir, { recursive: true });
  const socket = path.join(dir, 'c.sock');
  const cfg = path.join(dir, 'config.toml');
  fs.writeFileSync(
    cfg,
    [
      'version = 2',
      `root = "${dir}/root"`,
      `state = "${dir}/state"`,
      'disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs", "io.containerd.tracing.processor.v1.otlp"]',
      '[grpc]',
      `  address = "${socket}"`,
      '[ttrpc]',
      `  address = "${socket}.ttrpc"`,
      '[debug]',
      '  address = ""',
      '[metrics]',
      '  address = ""',
      '',
    ].join('\n'),
  );
  const fd = fs.openSync(path.join(dir, 'containerd.log'), 'w');
  const child = spawn('containerd', ['--config', cfg], { stdio: ['ignore', fd, fd] });
  fs.closeSync(fd);
  for (let i = 0; i < 400; i++) {
    if (fs.existsSync(socket) && spawnSync('ctr', ['-a', socket, 'version'], { stdio: 'ignore' }).status === 0) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const cpuUs = () => {
    const f = fs.readFileSync(`/proc/${child.pid}/stat`, 'utf8');
    const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / 100;
  };
  const stop = async () => {
    child.kill('SIGTERM');
    await new Promise((r) => child.on('exit', r));
    for (const m of fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4]).filter((m) => m && m.startsWith(dir)).reverse()) {
      spawnSync('umount', ['-l', m]);
    }
  };
  return { socket, cpuUs, stop };
}

// ---- main ----

async function main() {
  const o = parseArgs(process.argv.slice(2));
  if (process.getuid() !== 0) throw new Error('run as root');
  const missing = ['docker-registry', 'skopeo', 'umoci', 'tar', 'zstd'].filter((b) => !onPath(b));
  if (missing.length) throw new Error(`missing: ${missing.join(', ')} (scripts/install-deps.sh installs them)`);
  const tsrunEntry = path.join(repo, 'dist', 'src', 'cli', 'entry.js');
  // node as bin/tsrun starts it
  const v8Flags = require(path.join(repo, 'dist', 'src', 'boot', 'bundle-cache.js')).V8_FLAGS;
  if (!fs.existsSync(path.join(repo, 'dist', 'bundle', 'image.js'))) throw new Error('build first: npm run build');
  fs.rmSync(o.dir, { recursive: true, force: true });
  fs.mkdirSync(o.dir, { recursive: true });
  const measureBin = buildMeasure(path.join(o.dir, 'bin'));
  const log = path.join(o.dir, 'cmd.log');
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  const out = [];
  const p = (s = '') => out.push(s);
  const results = {};

  process.stderr.write('building the image...\n');
  const dirs = makeTree(path.join(o.dir, 'tree'));
  const tars = dirs.map((d) => tarOf([d]));
  const layout = path.join(o.dir, 'layout');
  const sizes = writeLayout(layout, tars);
  p(`machine: ${os.availableParallelism?.() ?? os.cpus().length} CPUs, ${os.cpus()[0]?.model ?? '?'}, kernel ${os.release()}, node ${process.version}, load ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  p(`image: ${tars.length} layers, ${(sizes.uncompressed / 1e6).toFixed(1)} MB uncompressed, ${(sizes.compressed / 1e6).toFixed(1)} MB gzip; runs: ${o.runs}`);

  // first: the pull rounds remove whole stores (see the unpack section on why that matters)
  if (o.only.includes('unpack')) {
    const single = tarOf(dirs);
    const gz = path.join(o.dir, 'layer.tar.gz');
    const zst = path.join(o.dir, 'layer.tar.zst');
    fs.writeFileSync(gz, zlib.gzipSync(single, { level: 6 }));
    execFileSync('zstd', ['-q', '-3', '-f', '-o', zst], { input: single });
    const driver = path.join(o.dir, 'unpack-layer.js');
    fs.writeFileSync(
      driver,
      `'use strict';\nconst { unpackLayer } = require(${JSON.stringify(path.join(repo, 'dist', 'src', 'image', 'unpack', 'layer.js'))});\n` +
        'unpackLayer({ blobPath: process.argv[2], destDir: process.argv[3], layerName: "bench" }).then((r) => process.stdout.write(r.diffId + "\\n"), (e) => { console.error(e); process.exit(1); });\n',
    );
    const rows = { 'tsrun (gzip)': [], 'tar -xzf': [], 'tsrun (zstd)': [], 'tar --zstd -xf': [] };
    // Each run gets a new empty directory, and the trees are removed only
    // after the last round: this machine's ext4 (no journal) will not reuse an
    // inode freed in the last minute, and skipping those makes creating a file
    // slower the more were deleted recently, so removing the previous tree
    // right before a run would time the filesystem's bookkeeping of that
    // removal more than the unpacker (up to 2.5x the system time of tar).
    const destRoot = path.join(o.dir, 'unpacked');
    const fresh = (name) => {
      const dest = path.join(destRoot, name);
      fs.mkdirSync(dest, { recursive: true });
      spawnSync('sync');
      return dest;
    };
    for (let i = 0; i < o.runs + 2; i++) {
      process.stderr.write(`unpack round ${i + 1}/${o.runs + 2}\n`);
      const keep = i >= 2; // two warm-up rounds (page cache, node's own files)
      const add = (name, s) => keep && rows[name].push(s);
      add('tsrun (gzip)', measure(measureBin, log, [process.execPath, ...v8Flags, driver, gz, fresh(`${i}-tsrun-gzip`)], env));
      add('tar -xzf', measure(measureBin, log, ['tar', '-xzf', gz, '-C', fresh(`${i}-tar-gzip`)], env));
      add('tsrun (zstd)', measure(measureBin, log, [process.execPath, ...v8Flags, driver, zst, fresh(`${i}-tsrun-zstd`)], env));
      add('tar --zstd -xf', measure(measureBin, log, ['tar', '--zstd', '-xf', zst, '-C', fresh(`${i}-tar-zstd`)], env));
    }
    fs.rmSync(destRoot, { recursive: true, force: true });
    results.unpack = rows;
    p();
    p(`unpack one layer (${(single.length / 1e6).toFixed(1)} MB, ${dirs.length} trees in one tar), ms: median (p10–p90)`);
    p(`${'tool'.padEnd(18)} ${'wall'.padStart(18)} ${'CPU'.padStart(18)}`);
    for (const [name, s] of Object.entries(rows)) p(`${name.padEnd(18)} ${cell(s, 'wallUs').padStart(18)} ${cell(s, 'cpuUs').padStart(18)}`);
    const g = median(rows['tsrun (gzip)'], 'wallUs') / median(rows['tar -xzf'], 'wallUs');
    const z = median(rows['tsrun (zstd)'], 'wallUs') / median(rows['tar --zstd -xf'], 'wallUs');
    p(`tsrun / GNU tar wall: gzip ${g.toFixed(2)}, zstd ${z.toFixed(2)} (target: <= 1.2)`);
  }
  if (o.only.includes('pull')) {
    const reg = await startRegistry(path.join(o.dir, 'registry'));
    const ref = `${reg.host}/bench/image:1`;
    try {
      execFileSync('skopeo', ['copy', '--quiet', '--dest-tls-verify=false', `oci:${layout}:bench`, `docker://${ref}`]);
      const regCfg = path.join(o.dir, 'registries.json');
      fs.writeFileSync(regCfg, JSON.stringify({ registries: { [reg.host]: { insecure: true } } }));
      const rows = { tsrun: [], 'skopeo + umoci': [], 'ctr (containerd)': [] };
      const haveCtr = onPath('ctr') && onPath('containerd');
      for (let i = 0; i < o.runs; i++) {
        process.stderr.write(`pull round ${i + 1}/${o.runs}\n`);
        const work = path.join(o.dir, `pull-${i}`);
        fs.mkdirSync(work, { recursive: true });
        rows.tsrun.push(measure(measureBin, log, [process.execPath, ...v8Flags, tsrunEntry, '--image-root', path.join(work, 'tsrun'), '--registries-config', regCfg, 'pull', '-q', ref], env));
        const copy = measure(measureBin, log, ['skopeo', 'copy', '--quiet', '--src-tls-verify=false', `docker://${ref}`, `oci:${path.join(work, 'oci')}:bench`], env);
        const unpack = measure(measureBin, log, ['umoci', 'unpack', '--image', `${path.join(work, 'oci')}:bench`, path.join(work, 'bundle')], env);
        rows['skopeo + umoci'].push({ wallUs: copy.wallUs + unpack.wallUs, cpuUs: copy.cpuUs + unpack.cpuUs, rssKb: Math.max(copy.rssKb, unpack.rssKb) });
        if (haveCtr) {
          const c = await startContainerd(path.join(work, 'containerd'));
          try {
            const before = c.cpuUs();
            const s = measure(measureBin, log, ['ctr', '-a', c.socket, '-n', 'bench', 'image', 'pull', '--plain-http', ref], env);
            rows['ctr (containerd)'].push({ ...s, cpuUs: s.cpuUs + (c.cpuUs() - before) });
          } finally {
            await c.stop();
          }
        }
        fs.rmSync(work, { recursive: true, force: true });
      }
      if (!haveCtr) delete rows['ctr (containerd)'];
      results.pull = rows;
      p();
      p(`pull to unpacked layers (${(sizes.compressed / 1e6).toFixed(1)} MB over loopback), ms: median (p10–p90)`);
      p(`${'tool'.padEnd(18)} ${'wall'.padStart(18)} ${'CPU'.padStart(18)}`);
      for (const [name, s] of Object.entries(rows)) p(`${name.padEnd(18)} ${cell(s, 'wallUs').padStart(18)} ${cell(s, 'cpuUs').padStart(18)}`);
      const ratio = median(rows.tsrun, 'wallUs') / median(rows['skopeo + umoci'], 'wallUs');
      p(`tsrun / (skopeo + umoci) wall: ${ratio.toFixed(2)} (target: < 1)`);
    } finally {
      reg.stop();
    }
  }

  process.stdout.write(`${out.join('\n')}\n`);
  if (o.json) fs.writeFileSync(o.json, JSON.stringify({ results }, null, 2));
  fs.rmSync(o.dir, { recursive: true, force: true });
}

main().catch((e) => {
  process.stderr.write(`image-pull bench: ${e.stack || e}\n`);
  process.exit(1);
});
