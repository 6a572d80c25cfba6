#!/usr/bin/env node
// Container start-up cost: tsrun vs runc vs crun running /bin/true in the same
// busybox bundle. See bench/README.md for what each figure means.
//
//   node bench/run-true.js [--runs N] [--warmup W] [--only run,split,state,cli] [--seccomp]
//                          [--tsrun PATH | --tsrun NAME=PATH ...] [--dir DIR] [--json FILE]
//
// Every figure is one whole process measured by bench/measure.c (wait4):
// wall time, CPU (user+sys of the process and the children it reaped) and
// max RSS. Runtimes take turns within each round, so drift in machine load
// hits them alike; the first W rounds are warm-up and are not counted.
'use strict';
const { spawn, spawnSync, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const repo = path.resolve(__dirname, '..');

function parseArgs(argv) {
  const o = { runs: 30, warmup: 3, only: ['run', 'split', 'state', 'cli'], tsrun: [], dir: '/tmp/tsrun-bench', json: undefined, seccomp: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--runs') o.runs = Number(val());
    else if (a === '--warmup') o.warmup = Number(val());
    else if (a === '--only') o.only = val().split(',');
    else if (a === '--tsrun') o.tsrun.push(val());
    else if (a === '--dir') o.dir = path.resolve(val());
    else if (a === '--json') o.json = path.resolve(val());
    else if (a === '--seccomp') o.seccomp = true;
    else if (a === '-h' || a === '--help') {
      process.stdout.write(fs.readFileSync(__filename, 'utf8').split('\n').slice(1, 12).join('\n') + '\n');
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  if (!(o.runs >= 1) || !(o.warmup >= 0)) throw new Error('--runs must be >= 1 and --warmup >= 0');
  if (o.tsrun.length === 0) o.tsrun.push(`tsrun=${path.join(repo, 'bin/tsrun')}`);
  o.tsrun = o.tsrun.map((t, i) => {
    const eq = t.indexOf('=');
    const name = eq > 0 ? t.slice(0, eq) : o.tsrun.length > 1 ? `tsrun${i + 1}` : 'tsrun';
    return { name, bin: path.resolve(eq > 0 ? t.slice(eq + 1) : t) };
  });
  return o;
}

// ---- the measuring helper (C) and the reaper we run under ----

function buildMeasure(dir) {
  const src = path.join(__dirname, 'measure.c');
  const bin = path.join(dir, 'measure');
  const stale = !fs.existsSync(bin) || fs.statSync(bin).mtimeMs < fs.statSync(src).mtimeMs;
  if (stale) {
    fs.mkdirSync(dir, { recursive: true });
    execFileSync(process.env.CC || 'cc', ['-O2', '-Wall', '-o', bin, src], { stdio: 'inherit' });
  }
  return bin;
}

// ---- statistics ----

function quantile(sorted, q) {
  // nearest rank
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i];
}
function summary(values) {
  const s = [...values].sort((a, b) => a - b);
  return { median: quantile(s, 0.5), p10: quantile(s, 0.1), p90: quantile(s, 0.9), min: s[0], max: s[s.length - 1] };
}
const ms = (us) => (us / 1000).toFixed(1);
function cell(samples, key) {
  const s = summary(samples.map((x) => x[key]));
  return `${ms(s.median).padStart(6)} (${ms(s.p10)}–${ms(s.p90)})`;
}
function rssCell(samples) {
  return `${(summary(samples.map((x) => x.rssKb)).median / 1024).toFixed(1).padStart(5)}`;
}

// ---- machine ----

function firstLine(cmd, args) {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\n')[0].trim();
  } catch {
    return undefined;
  }
}
const loadavg = () => os.loadavg().map((x) => x.toFixed(2)).join(' ');

function isHybridCgroupHost() {
  const mounts = fs.readFileSync('/proc/self/mountinfo', 'utf8');
  return / \/sys\/fs\/cgroup\/unified .* - cgroup2 /.test(mounts);
}

// ---- runtimes ----

function which(name) {
  for (const d of (process.env.PATH || '').split(':').concat(['/usr/sbin', '/sbin'])) {
    const p = path.join(d, name);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      // next
    }
  }
  return undefined;
}

/** crun 1.8.1 refuses a hybrid host; run it in a mount namespace with an empty tmpfs over unified. */
async function startCrunNamespace() {
  const child = spawn(
    'unshare',
    ['-m', '--propagation', 'private', 'sh', '-c', 'mount -t tmpfs tsrun-bench /sys/fs/cgroup/unified && exec sleep 86400'],
    { stdio: 'ignore' },
  );
  for (let i = 0; i < 500; i++) {
    try {
      if (fs.readFileSync(`/proc/${child.pid}/comm`, 'utf8').trim() === 'sleep') return child;
    } catch {
      break;
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  child.kill();
  throw new Error('could not set up the mount namespace for crun');
}

const WORKAROUND_SH = 'mount -t tmpfs tsrun-bench /sys/fs/cgroup/unified && exec "$0" "$@"';

// ---- the bench ----

class Bench {
  constructor(opts, measureBin) {
    this.o = opts;
    this.measureBin = measureBin;
    this.bundle = path.join(opts.dir, 'bundle');
    this.sleepBundle = path.join(opts.dir, 'bundle-sleep');
    this.log = path.join(opts.dir, 'output.log');
    this.results = {};
    this.notes = [];
    /** [runtime, id] of containers that may exist */
    this.live = new Set();
  }

  measure(cmd, { mntns } = {}) {
    const args = [...(mntns ? ['--mntns', mntns] : []), '--out', this.log, '--', ...cmd];
    const r = spawnSync(this.measureBin, args, { cwd: this.bundle, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`measure failed: ${r.stderr}`);
    const [wallUs, userUs, sysUs, rssKb, status] = r.stdout.trim().split(' ').map(Number);
    if (status !== 0) {
      const tail = fs.readFileSync(this.log, 'utf8').split('\n').slice(-6).join('\n');
      throw new Error(`${cmd.join(' ')} exited ${status}; last output:\n${tail}`);
    }
    return { wallUs, cpuUs: userUs + sysUs, userUs, sysUs, rssKb };
  }

  record(section, row, step, sample) {
    const s = (this.results[section] ??= {});
    const r = (s[row] ??= {});
    (r[step] ??= []).push(sample);
  }

  prepareBundle() {
    if (!fs.existsSync(path.join(this.bundle, 'config.json'))) {
      fs.rmSync(this.bundle, { recursive: true, force: true });
      execFileSync('sh', [path.join(repo, 'scripts/make-busybox-bundle.sh'), this.bundle], { stdio: ['ignore', 'ignore', 'inherit'] });
    }
    const file = path.join(this.bundle, 'config.json');
    const cfg = JSON.parse(fs.readFileSync(file, 'utf8'));
    cfg.process.args = ['/bin/true'];
    cfg.process.terminal = false;
    // crun 1.8.1 rejects newer spec versions; runc and tsrun accept 1.0.2
    cfg.ociVersion = '1.0.2';
    // engines always send a filter: tsrun's default profile (what `tsrun spec` uses)
    if (this.o.seccomp) cfg.linux.seccomp = require(path.join(repo, 'dist/src/seccomp/default-profile.js')).defaultSeccompProfile();
    else delete cfg.linux.seccomp;
    fs.writeFileSync(file, JSON.stringify(cfg, null, 2));
    // the same rootfs with a long-running init, for the `cli` section (kill needs a running container)
    fs.mkdirSync(this.sleepBundle, { recursive: true });
    cfg.root.path = path.join(this.bundle, 'rootfs');
    cfg.process.args = ['sleep', '3600'];
    fs.writeFileSync(path.join(this.sleepBundle, 'config.json'), JSON.stringify(cfg, null, 2));
  }

  async setupRuntimes() {
    const o = this.o;
    this.runtimes = [];
    for (const t of o.tsrun) {
      if (!fs.existsSync(t.bin)) throw new Error(`${t.bin} not found`);
      this.runtimes.push({ name: t.name, cmd: [t.bin], version: firstLine(t.bin, ['--version']) });
    }
    const runc = fs.existsSync('/usr/sbin/runc') ? '/usr/sbin/runc' : which('runc');
    if (runc) this.runtimes.push({ name: 'runc', cmd: [runc], version: firstLine(runc, ['--version']) });
    else this.notes.push('runc: not installed (apt-get install -y runc), skipped');
    const crun = which('crun');
    if (crun) {
      const rt = { name: 'crun', cmd: [crun], version: firstLine(crun, ['--version']) };
      if (isHybridCgroupHost()) {
        this.crunNs = await startCrunNamespace();
        rt.mntns = `/proc/${this.crunNs.pid}/ns/mnt`;
        rt.name = 'crun (ns)';
        this.workaround = { crun };
      }
      this.runtimes.push(rt);
    } else this.notes.push('crun: not installed (apt-get install -y crun), skipped');
    for (const rt of this.runtimes) {
      rt.root = path.join(o.dir, `state-${rt.name.replace(/[^a-z0-9]+/gi, '')}`);
      fs.rmSync(rt.root, { recursive: true, force: true });
      fs.mkdirSync(rt.root, { recursive: true });
      rt.base = [...rt.cmd, '--root', rt.root];
      // cgroup paths derive from the id: runtimes must not share ids
      rt.idPrefix = `bench-${rt.name.replace(/[^a-z0-9]+/gi, '')}`;
    }
  }

  stop() {
    if (this.crunNs) this.crunNs.kill();
  }

  rounds(fn) {
    const { runs, warmup } = this.o;
    for (let i = 0; i < warmup + runs; i++) fn(i, i >= warmup);
  }

  benchRun() {
    const rows = this.runtimes.map((rt) => ({
      name: rt.name,
      cmd: (i) => [...rt.base, 'run', '--bundle', this.bundle, `${rt.idPrefix}-run-${i}`],
      mntns: rt.mntns,
    }));
    if (this.workaround) {
      const root = this.runtimes.find((r) => r.mntns).root;
      rows.push({
        name: 'crun + workaround',
        cmd: (i) => ['unshare', '-m', '--propagation', 'private', 'sh', '-c', WORKAROUND_SH, this.workaround.crun, '--root', root, 'run', '--bundle', this.bundle, `bench-crunw-run-${i}`],
      });
      rows.push({
        name: 'workaround alone',
        cmd: () => ['unshare', '-m', '--propagation', 'private', 'sh', '-c', WORKAROUND_SH, 'true'],
      });
    }
    const node = which('node') || process.execPath;
    rows.push({ name: 'node -e 0 (floor)', cmd: () => ['env', '-u', 'NODE_EXTRA_CA_CERTS', '-u', 'NODE_OPTIONS', node, '-e', '0'] });
    this.rounds((i, counted) => {
      for (const row of rows) {
        const s = this.measure(row.cmd(i), { mntns: row.mntns });
        if (counted) this.record('run', row.name, 'run', s);
      }
    });
  }

  benchSplit() {
    const pidFile = path.join(this.o.dir, 'pid');
    this.rounds((i, counted) => {
      for (const rt of this.runtimes) {
        const id = `${rt.idPrefix}-split-${i}`;
        fs.rmSync(pidFile, { force: true });
        const steps = {};
        this.live.add([rt, id]);
        steps.create = this.measure([...rt.base, 'create', '--bundle', this.bundle, '--pid-file', pidFile, id], rt);
        const pid = Number(fs.readFileSync(pidFile, 'utf8'));
        steps.start = this.measure([...rt.base, 'start', id], rt);
        waitExited(pid);
        steps.delete = this.measure([...rt.base, 'delete', id], rt);
        this.live.clear();
        if (counted) for (const [k, v] of Object.entries(steps)) this.record('split', rt.name, k, v);
      }
    });
  }

  benchState() {
    for (const rt of this.runtimes) {
      this.live.add([rt, `${rt.idPrefix}-state`]);
      this.measure([...rt.base, 'create', '--bundle', this.bundle, `${rt.idPrefix}-state`], rt);
    }
    this.rounds((_i, counted) => {
      for (const rt of this.runtimes) {
        const s = this.measure([...rt.base, 'state', `${rt.idPrefix}-state`], rt);
        if (counted) this.record('state', rt.name, 'state', s);
      }
    });
  }

  /**
   * Every lifecycle command as its own call, on a container whose init sleeps:
   * create, state, start, kill (SIGKILL), delete; and `node -e 0` in every round,
   * the floor that any Node runtime pays on each call.
   */
  benchCli() {
    const pidFile = path.join(this.o.dir, 'pid');
    const node = which('node') || process.execPath;
    const floor = ['env', '-u', 'NODE_EXTRA_CA_CERTS', '-u', 'NODE_OPTIONS', node, '-e', '0'];
    this.rounds((i, counted) => {
      for (const rt of this.runtimes) {
        const id = `${rt.idPrefix}-cli-${i}`;
        fs.rmSync(pidFile, { force: true });
        const steps = {};
        this.live.add([rt, id]);
        steps.create = this.measure([...rt.base, 'create', '--bundle', this.sleepBundle, '--pid-file', pidFile, id], rt);
        const pid = Number(fs.readFileSync(pidFile, 'utf8'));
        steps.state = this.measure([...rt.base, 'state', id], rt);
        steps.start = this.measure([...rt.base, 'start', id], rt);
        steps.kill = this.measure([...rt.base, 'kill', id, 'KILL'], rt);
        waitExited(pid);
        steps.delete = this.measure([...rt.base, 'delete', id], rt);
        this.live.clear();
        if (counted) for (const [k, v] of Object.entries(steps)) this.record('cli', rt.name, k, v);
      }
      const f = this.measure(floor);
      if (counted) this.record('cli', 'node -e 0 (floor)', 'node', f);
    });
  }

  /** delete --force whatever a failed step left behind */
  cleanup() {
    for (const [rt, id] of this.live) {
      spawnSync(this.measureBin, [...(rt.mntns ? ['--mntns', rt.mntns] : []), '--out', this.log, '--', ...rt.base, 'delete', '--force', id], { cwd: this.bundle });
    }
    this.live.clear();
  }
}

function waitExited(pid) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    let st;
    try {
      st = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      return;
    }
    if (/\) Z /.test(st)) return;
    if (Date.now() > deadline) throw new Error(`container init ${pid} did not exit`);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2);
  }
}

function printReport(b, info) {
  const out = [];
  const p = (s = '') => out.push(s);
  p(`tsrun bench: /bin/true in a busybox bundle — ${info.date}`);
  p(`machine: ${info.nproc} CPUs (${info.cpu}), kernel ${info.kernel}, node ${info.node}, load average before: ${info.loadBefore}, after: ${info.loadAfter}`);
  for (const rt of b.runtimes) p(`  ${rt.name}: ${rt.cmd[0]} — ${rt.version ?? '?'}`);
  p(`runs: ${b.o.runs} counted after ${b.o.warmup} warm-up rounds; runtimes take turns in each round`);
  p(`config: busybox bundle, /bin/true, ${b.o.seccomp ? "with tsrun's default seccomp profile" : 'no seccomp filter'}`);
  p('figures: median (p10–p90) in ms; CPU = user+sys of the process and the children it reaped; RSS = max RSS (MB) of any of them');
  for (const n of b.notes) p(`note: ${n}`);
  if (b.workaround) {
    p('note: crun 1.8.1 refuses this hybrid-cgroup host; "crun (ns)" runs inside a prepared mount namespace with an empty');
    p('      tmpfs over /sys/fs/cgroup/unified (entered by setns, ~free); "crun + workaround" pays the unshare+mount per call,');
    p('      and "workaround alone" is that cost by itself');
  }
  const w = 26;
  if (b.results.run) {
    p();
    p('run (whole process, create + start + wait + delete in one call)');
    p(`${'runtime'.padEnd(w)} ${'wall'.padStart(20)} ${'CPU'.padStart(20)} ${'RSS'.padStart(6)}`);
    for (const [name, r] of Object.entries(b.results.run)) p(`${name.padEnd(w)} ${cell(r.run, 'wallUs').padStart(20)} ${cell(r.run, 'cpuUs').padStart(20)} ${rssCell(r.run).padStart(6)}`);
  }
  if (b.results.split) {
    p();
    p('create / start / delete, one call each (the detached init is not a child of create: its CPU is not counted here)');
    p(`${'runtime'.padEnd(w)} ${'step'.padEnd(7)} ${'wall'.padStart(20)} ${'CPU'.padStart(20)} ${'RSS'.padStart(6)}`);
    for (const [name, r] of Object.entries(b.results.split)) {
      for (const step of ['create', 'start', 'delete']) p(`${(step === 'create' ? name : '').padEnd(w)} ${step.padEnd(7)} ${cell(r[step], 'wallUs').padStart(20)} ${cell(r[step], 'cpuUs').padStart(20)} ${rssCell(r[step]).padStart(6)}`);
      const sum = r.create.map((c, i) => ({ wallUs: c.wallUs + r.start[i].wallUs + r.delete[i].wallUs, cpuUs: c.cpuUs + r.start[i].cpuUs + r.delete[i].cpuUs }));
      p(`${''.padEnd(w)} ${'sum'.padEnd(7)} ${cell(sum, 'wallUs').padStart(20)} ${cell(sum, 'cpuUs').padStart(20)}`);
    }
  }
  if (b.results.state) {
    p();
    p('state of a created container');
    p(`${'runtime'.padEnd(w)} ${'wall'.padStart(20)} ${'CPU'.padStart(20)} ${'RSS'.padStart(6)}`);
    for (const [name, r] of Object.entries(b.results.state)) p(`${name.padEnd(w)} ${cell(r.state, 'wallUs').padStart(20)} ${cell(r.state, 'cpuUs').padStart(20)} ${rssCell(r.state).padStart(6)}`);
  }
  if (b.results.cli) {
    const floor = b.results.cli['node -e 0 (floor)'].node;
    const fw = summary(floor.map((x) => x.wallUs)).median;
    const fc = summary(floor.map((x) => x.cpuUs)).median;
    const over = (samples, key, base) => `${ms(summary(samples.map((x) => x[key])).median - base).padStart(6)}`;
    p();
    p(`every command as its own call, init = sleep (floor: node -e 0 = ${ms(fw)} ms wall, ${ms(fc)} ms CPU, medians of the same rounds)`);
    p(`${'runtime'.padEnd(w)} ${'step'.padEnd(7)} ${'wall'.padStart(20)} ${'CPU'.padStart(20)} ${'RSS'.padStart(6)} ${'wall−floor'.padStart(10)} ${'CPU−floor'.padStart(10)}`);
    const tsrunNames = new Set(b.o.tsrun.map((t) => t.name));
    for (const [name, r] of Object.entries(b.results.cli)) {
      if (!r.create) continue;
      const isNode = tsrunNames.has(name);
      for (const step of ['create', 'state', 'start', 'kill', 'delete']) {
        const extra = isNode ? ` ${over(r[step], 'wallUs', fw).padStart(10)} ${over(r[step], 'cpuUs', fc).padStart(10)}` : '';
        p(`${(step === 'create' ? name : '').padEnd(w)} ${step.padEnd(7)} ${cell(r[step], 'wallUs').padStart(20)} ${cell(r[step], 'cpuUs').padStart(20)} ${rssCell(r[step]).padStart(6)}${extra}`);
      }
    }
    p(`${'node -e 0 (floor)'.padEnd(w)} ${''.padEnd(7)} ${cell(floor, 'wallUs').padStart(20)} ${cell(floor, 'cpuUs').padStart(20)} ${rssCell(floor).padStart(6)}`);
  }
  process.stdout.write(out.join('\n') + '\n');
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  if (process.getuid() !== 0) throw new Error('run as root (containers need it)');
  const measureBin = buildMeasure(path.join(o.dir, 'bin'));
  if (process.env.TSRUN_BENCH_UNDER_REAPER !== '1') {
    // detached inits reparent to the reaper, which reaps them at once (as a shim would)
    const r = spawnSync(measureBin, ['--reaper', '--', process.execPath, __filename, ...process.argv.slice(2)], {
      stdio: 'inherit',
      env: { ...process.env, TSRUN_BENCH_UNDER_REAPER: '1' },
    });
    process.exit(r.status ?? 1);
  }
  const b = new Bench(o, measureBin);
  fs.writeFileSync(b.log, '');
  b.prepareBundle();
  const info = {
    date: new Date().toISOString(),
    nproc: os.availableParallelism?.() ?? os.cpus().length,
    cpu: os.cpus()[0]?.model ?? '?',
    kernel: os.release(),
    node: process.version,
    loadBefore: loadavg(),
  };
  await b.setupRuntimes();
  try {
    if (o.only.includes('run')) b.benchRun();
    if (o.only.includes('split')) b.benchSplit();
    if (o.only.includes('state')) b.benchState();
    if (o.only.includes('cli')) b.benchCli();
  } finally {
    b.cleanup();
    b.stop();
  }
  info.loadAfter = loadavg();
  printReport(b, info);
  if (o.json) fs.writeFileSync(o.json, JSON.stringify({ info, notes: b.notes, runtimes: b.runtimes.map(({ name, cmd, version }) => ({ name, cmd, version })), results: b.results }, null, 1));
}

main().catch((e) => {
  process.stderr.write(`bench: ${e.message}\n`);
  process.exit(1);
});
