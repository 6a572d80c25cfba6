// What the benchmarks need to run their peers and count their CPU (shared by
// bench/containerd-shim.js and bench/container-run.js): a cgroup whose CPU
// counter grows by exactly the work of what runs in it, and a private
// containerd started inside one.
'use strict';
const { execFileSync, spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const repo = path.resolve(__dirname, '..');

function cgroupLayout() {
  if (fs.existsSync('/sys/fs/cgroup/cgroup.controllers')) return 'v2';
  return 'v1';
}

/** Where this process is now: hierarchy root dir -> cgroup path in it, from /proc/self/cgroup. */
function ownCgroups() {
  const out = new Map();
  for (const line of fs.readFileSync('/proc/self/cgroup', 'utf8').trim().split('\n')) {
    const m = /^\d+:([^:]*):(.*)$/.exec(line);
    if (!m) continue;
    const root = m[1] === '' ? (cgroupLayout() === 'v2' ? '/sys/fs/cgroup' : '/sys/fs/cgroup/unified') : `/sys/fs/cgroup/${m[1].replace(/^name=/, '')}`;
    out.set(root, m[2]);
  }
  return out;
}

/**
 * The CPU counter (µs) of the bench's cgroup, how to move a pid into it, and
 * inside(fn): run fn (a spawnSync: node waits without working) with this
 * process in the cgroup, so that what fn starts is born there, then move back.
 */
function makeCgroup(name) {
  const cg = makeCgroupDirs(name);
  cg.inside = (fn) => {
    const back = ownCgroups();
    cg.join(process.pid);
    try {
      return fn();
    } finally {
      for (const d of cg.dirs) {
        const was = back.get(path.dirname(d));
        if (was !== undefined) fs.writeFileSync(path.join(path.dirname(d), was, 'cgroup.procs'), String(process.pid));
      }
    }
  };
  return cg;
}

function makeCgroupDirs(name) {
  if (cgroupLayout() === 'v2') {
    const dir = `/sys/fs/cgroup/${name}`;
    fs.mkdirSync(dir);
    try {
      fs.writeFileSync('/sys/fs/cgroup/cgroup.subtree_control', '+cpu +memory +pids');
    } catch {
      // enabled already, or not available: cpu.stat usage_usec is there anyway
    }
    return {
      cgroupsPath: `/${name}`,
      dirs: [dir],
      join: (pid) => fs.writeFileSync(`${dir}/cgroup.procs`, String(pid)),
      cpuUs: () => Number(/^usage_usec (\d+)/m.exec(fs.readFileSync(`${dir}/cpu.stat`, 'utf8'))[1]),
      remove: () => rmTree(dir),
    };
  }
  const dirs = fs
    .readdirSync('/sys/fs/cgroup')
    .map((h) => `/sys/fs/cgroup/${h}`)
    .filter((d) => !fs.lstatSync(d).isSymbolicLink() && fs.existsSync(`${d}/cgroup.procs`))
    .map((d) => `${d}/${name}`);
  for (const d of dirs) {
    fs.mkdirSync(d);
    if (d.includes('/cpuset/')) {
      for (const f of ['cpuset.cpus', 'cpuset.mems']) fs.writeFileSync(`${d}/${f}`, fs.readFileSync(`${path.dirname(d)}/${f}`));
    }
  }
  const cpuacct = dirs.find((d) => fs.existsSync(`${d}/cpuacct.usage`));
  if (!cpuacct) throw new Error('no cpuacct hierarchy: cannot count CPU');
  return {
    cgroupsPath: `/${name}`,
    dirs,
    join: (pid) => dirs.forEach((d) => fs.writeFileSync(`${d}/cgroup.procs`, String(pid))),
    cpuUs: () => Number(fs.readFileSync(`${cpuacct}/cpuacct.usage`, 'utf8')) / 1000,
    remove: () => dirs.forEach(rmTree),
  };
}

/**
 * Remove a bench cgroup and its children. What still runs in it is the
 * bench's own (a shim containerd left behind when it stopped): killed first,
 * so no cgroup outlives the run; a dir that still cannot go is an error.
 */
function rmTree(dir) {
  if (!fs.existsSync(dir)) return;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) rmTree(path.join(dir, e.name));
  let last;
  for (let i = 0; i < 100; i++) {
    for (const pid of fs.readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // gone already
      }
    }
    try {
      fs.rmdirSync(dir);
      return;
    } catch (e) {
      last = e;
      execFileSync('sleep', ['0.1']);
    }
  }
  throw new Error(`bench cgroup ${dir} could not be removed: ${last.message}`);
}

/**
 * A private containerd: its own root, state, opt dir and sockets under dir
 * (nothing on TCP, CRI off), started inside `cgroup` (its shims inherit it).
 * PATH gets bin/ first, so shims find containerd-shim-tsrun-v2.
 */
async function startContainerd(dir, cgroup) {
  const socket = path.join(dir, 'c.sock');
  const cfg = path.join(dir, 'config.toml');
  fs.writeFileSync(
    cfg,
    [
      'version = 2',
      `root = "${dir}/root"`,
      `state = "${dir}/state"`,
      'disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs",',
      '  "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs", "io.containerd.tracing.processor.v1.otlp"]',
      '[grpc]',
      `  address = "${socket}"`,
      '[ttrpc]',
      `  address = "${socket}.ttrpc"`,
      '[debug]',
      '  address = ""',
      '[metrics]',
      '  address = ""',
      '[plugins."io.containerd.internal.v1.opt"]',
      `  path = "${dir}/opt"`,
      '',
    ].join('\n'),
  );
  const log = fs.openSync(path.join(dir, 'containerd.log'), 'a');
  const env = { ...process.env, PATH: `${path.join(repo, 'bin')}:${process.env.PATH}` };
  delete env.NODE_OPTIONS;
  delete env.NODE_EXTRA_CA_CERTS;
  const daemon = spawn('containerd', ['--config', cfg], { stdio: ['ignore', log, log], env });
  cgroup.join(daemon.pid);
  for (let i = 0; i < 200 && !fs.existsSync(socket); i++) await new Promise((r) => setTimeout(r, 50));
  return { daemon, socket };
}

module.exports = { cgroupLayout, makeCgroup, startContainerd };
