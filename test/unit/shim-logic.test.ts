// Pure parts of containerd-shim-tsrun-v2: its flags, runtime config, stdio
// targets, rootfs mount calls, idle lifetime, exit bookkeeping, metrics, and
// the facts the C launcher shares with the Node side.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PROJECT_ROOT } from '../helpers';
import { emptyStats } from '../../src/cgroups/stats';
import { MS } from '../../src/native/linux-constants';
import { configFromOptions, DEFAULT_IDLE_TIMEOUT_MS, DEFAULT_ROOT, parseConfig } from '../../src/shim/config';
import { Lifetime } from '../../src/shim/daemon';
import { parseTarget } from '../../src/shim/io';
import { parseFlags } from '../../src/shim/flags';
import { v1Metrics, v2Metrics } from '../../src/shim/metrics';
import { decode, encode } from '../../src/shim/proto/codec';
import { RuncOptions, RuntimeOptions } from '../../src/shim/proto/messages';
import { V1Metrics, V2Metrics } from '../../src/shim/proto/metrics';
import { exitStatusOf, Reaper } from '../../src/shim/reaper';
import { BUNDLE_RECORD, SHIM_DIR } from '../../src/shim/records';
import { compactLowerdirs, mountCalls } from '../../src/shim/rootfs';
import { TASK_SERVICE } from '../../src/shim/service';

describe('flags (Go flag syntax, as containerd writes them)', () => {
  it('the delete containerd runs after a shim is gone', () => {
    expect(parseFlags(['-namespace', 'k8s.io', '-address', '/run/c.sock', '-publish-binary', '/usr/bin/containerd', '-id', 'c1', '-bundle', '/b', 'delete'])).toMatchObject({
      namespace: 'k8s.io',
      address: '/run/c.sock',
      publishBinary: '/usr/bin/containerd',
      id: 'c1',
      bundle: '/b',
      action: 'delete',
    });
  });

  it('-name=value, --name, booleans, and errors for unknown flags or a missing value', () => {
    expect(parseFlags(['--namespace=x', '-debug', '-v=false', 'daemon'])).toMatchObject({ namespace: 'x', debug: true, version: false, action: 'daemon' });
    expect(() => parseFlags(['-nope', 'x'])).toThrow(/flag provided but not defined: -nope/);
    expect(() => parseFlags(['-id'])).toThrow(/needs an argument/);
  });
});

describe('runtime config', () => {
  it('defaults: runc\'s shim layout under /run/containerd/tsrun, 30 s idle', () => {
    expect(configFromOptions(undefined)).toEqual({ root: DEFAULT_ROOT, systemdCgroup: false, noPivotRoot: false, idleTimeoutMs: DEFAULT_IDLE_TIMEOUT_MS });
    expect(DEFAULT_ROOT).toBe('/run/containerd/tsrun');
  });

  it('runc\'s option type: root, systemd_cgroup, no_pivot_root', () => {
    const value = encode(RuncOptions, { root: '/r', systemdCgroup: true, noPivotRoot: true });
    expect(configFromOptions({ typeUrl: 'containerd.runc.v1.Options', value })).toMatchObject({ root: '/r', systemdCgroup: true, noPivotRoot: true });
  });

  it('runtimeoptions with a config_path: the JSON file', () => {
    const dir = fs.mkdtempSync('/tmp/tsrun-shimcfg-');
    try {
      const file = path.join(dir, 'c.json');
      fs.writeFileSync(file, JSON.stringify({ root: '/x/y/', shimIdleTimeout: 2.5, systemdCgroup: false }));
      expect(configFromOptions({ typeUrl: 'runtimeoptions.v1.Options', value: encode(RuntimeOptions, { configPath: file }) })).toMatchObject({ root: '/x/y', idleTimeoutMs: 2500 });
      fs.writeFileSync(file, '{');
      expect(() => configFromOptions({ typeUrl: 'runtimeoptions.v1.Options', value: encode(RuntimeOptions, { configPath: file }) })).toThrow(/c\.json: not valid JSON/);
    } finally {
      fs.rmSync(dir, { recursive: true });
    }
  });

  it('bad settings name the file and key; an unknown option type is refused', () => {
    expect(() => parseConfig({ root: 'relative' }, 'f.json')).toThrow('f.json: root: expected an absolute path');
    expect(() => parseConfig({ shimIdleTimeout: -1 }, 'f.json')).toThrow('f.json: shimIdleTimeout: expected a number of seconds, >= 0');
    expect(() => parseConfig({ Root: '/x' }, 'f.json')).toThrow(/f\.json: Root: unknown setting/);
    expect(() => parseConfig([], 'f.json')).toThrow('f.json: expected a JSON object');
    expect(() => configFromOptions({ typeUrl: 'io.example.Other', value: new Uint8Array() })).toThrow(/not understood/);
  });
});

describe('stdio targets', () => {
  it('a path is a FIFO; file:// a file; binary:// a logger with its query as arguments; other schemes are refused', () => {
    expect(parseTarget('')).toEqual({ kind: 'none' });
    expect(parseTarget('/run/containerd/fifo/1/c-stdout')).toEqual({ kind: 'fifo', path: '/run/containerd/fifo/1/c-stdout' });
    expect(parseTarget('file:///var/log/c%20x.log')).toEqual({ kind: 'file', path: '/var/log/c x.log' });
    // nerdctl's form: binary://<nerdctl>?_NERDCTL_INTERNAL_LOGGING=<dir>
    expect(parseTarget('binary:///usr/local/bin/nerdctl?_NERDCTL_INTERNAL_LOGGING=%2Fvar%2Flib%2Fnerdctl&-v')).toEqual({
      kind: 'binary',
      path: '/usr/local/bin/nerdctl',
      args: ['_NERDCTL_INTERNAL_LOGGING', '/var/lib/nerdctl', '-v'],
    });
    expect(() => parseTarget('tcp://x')).toThrow(/unknown scheme/);
  });
});

describe('rootfs mounts (containerd\'s mount.Mount)', () => {
  it('an overlay: one mount(2) with its options as data', () => {
    expect(mountCalls({ type: 'overlay', source: 'overlay', options: ['index=off', 'workdir=/w', 'upperdir=/u', 'lowerdir=/l'] }, '/b/rootfs')).toEqual([
      { source: 'overlay', target: '/b/rootfs', fstype: 'overlay', flags: 0, data: 'index=off,workdir=/w,upperdir=/u,lowerdir=/l', chdir: '' },
    ]);
  });

  it('a read-only bind: the bind, then a read-only remount', () => {
    expect(mountCalls({ type: 'bind', source: '/snap/1/fs', options: ['ro', 'rbind'] }, '/b/rootfs')).toEqual([
      { source: '/snap/1/fs', target: '/b/rootfs', fstype: 'bind', flags: MS.RDONLY | MS.BIND | MS.REC, data: '', chdir: '' },
      { source: '', target: '/b/rootfs', fstype: '', flags: MS.RDONLY | MS.BIND | MS.REC | MS.REMOUNT, data: '', chdir: '' },
    ]);
  });

  it('propagation options become their own calls', () => {
    const calls = mountCalls({ type: 'bind', source: '/s', options: ['rbind', 'rprivate'] }, '/t');
    expect(calls.map((c) => c.flags)).toEqual([MS.BIND | MS.REC, MS.PRIVATE | MS.REC]);
  });

  it('lowerdirs over a page are mounted relative to their common parent', () => {
    const layers = Array.from({ length: 60 }, (_, i) => `/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs/snapshots/${1000 + i}/fs`);
    const options = ['workdir=/w', 'upperdir=/u', `lowerdir=${layers.join(':')}`];
    const [call] = mountCalls({ type: 'overlay', source: 'overlay', options }, '/t');
    expect(call!.chdir).toBe('/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs/snapshots');
    expect(call!.data).toBe(`workdir=/w,upperdir=/u,lowerdir=${layers.map((l) => l.split('/').slice(-2).join('/')).join(':')}`);
    expect(compactLowerdirs(['lowerdir=/a'])).toEqual({ chdir: '', options: ['lowerdir=/a'] });
  });
});

describe('the idle lifetime', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('exits once idle for the timeout, but never within a launcher\'s reservation', () => {
    const expired = vi.fn();
    const l = new Lifetime(expired);
    l.setIdleTimeout(0);
    vi.advanceTimersByTime(9_000);
    expect(expired).not.toHaveBeenCalled(); // its own start is a reservation: containerd's Create is due
    l.tasksChanged(1);
    vi.advanceTimersByTime(60_000);
    expect(expired).not.toHaveBeenCalled(); // holds a container
    l.tasksChanged(0);
    l.reserve();
    vi.advanceTimersByTime(9_000);
    expect(expired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1_001);
    expect(expired).toHaveBeenCalledTimes(1);
  });

  it('the idle timeout counts from the last container\'s delete', () => {
    const expired = vi.fn();
    const l = new Lifetime(expired);
    l.setIdleTimeout(30_000);
    l.tasksChanged(2);
    vi.advanceTimersByTime(50_000);
    l.tasksChanged(0);
    vi.advanceTimersByTime(29_000);
    expect(expired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1_001);
    expect(expired).toHaveBeenCalledTimes(1);
    expect(l.deadline()).toBeUndefined();
  });
});

describe('exits', () => {
  it('status: the exit code, or 128 + the signal', () => {
    expect(exitStatusOf({ exitCode: 3, signal: null })).toBe(3);
    expect(exitStatusOf({ exitCode: null, signal: 9 })).toBe(137);
  });

  it('a watched pid is reaped by pid; an exit reaped before its watch is handed over', () => {
    const exited = new Map<number, { exitCode: number | null; signal: number | null }>([[101, { exitCode: 0, signal: null }]]);
    const reaped: number[] = [];
    const fake = {
      setChildSubreaper: () => undefined,
      exitedChild: () => exited.keys().next().value ?? 0,
      waitPid: (pid: number) => {
        const w = exited.get(pid);
        if (!w) return null;
        exited.delete(pid);
        reaped.push(pid);
        return { pid, ...w };
      },
    };
    const r = new Reaper(fake);
    const statuses: Array<[number, number]> = [];
    r.reap(); // 101 is nobody's yet: kept
    expect(reaped).toEqual([101]);
    exited.set(202, { exitCode: null, signal: 15 });
    r.watch(202, (s) => statuses.push([202, s])); // already exited: reported at once
    expect(statuses).toEqual([[202, 143]]);
    // a pid that no longer exists in /proc gets its early exit on the next tick
    return new Promise<void>((resolve) => {
      r.watch(101, (s) => {
        statuses.push([101, s]);
        expect(statuses).toEqual([
          [202, 143],
          [101, 0],
        ]);
        resolve();
      });
    });
  });
});

describe('metrics', () => {
  const stats = () => {
    const s = emptyStats();
    s.pids = { current: 3, limit: 100 };
    s.cpu = { usage: { total: 5_000_000, kernel: 1_000_000, user: 4_000_000, percpu: [2, 3] }, throttling: { periods: 7 } };
    s.memory = {
      cache: 10,
      usage: { limit: 1000, usage: 400, max: 500, failcnt: 1 },
      swap: { limit: 1500, usage: 450, failcnt: 0 },
      raw: { rss: 300, total_rss: 301, hierarchical_memsw_limit: 9, anon: 20, file: 30, pgfault: 40 },
    };
    s.blkio = { ioServiceBytesRecursive: [{ major: 8, minor: 0, op: 'Read', value: 11 }, { major: 8, minor: 0, op: 'Write', value: 12 }], ioServicedRecursive: [{ major: 8, minor: 0, op: 'Read', value: 1 }] };
    return s;
  };

  it('v1: containerd\'s io.containerd.cgroups.v1.Metrics fields', () => {
    const m = decode(V1Metrics, encode(V1Metrics, v1Metrics(stats(), 2)));
    expect(m.pids).toEqual({ current: 3n, limit: 100n });
    expect(m.cpu!.usage).toEqual({ total: 5_000_000n, kernel: 1_000_000n, user: 4_000_000n, perCpu: [2n, 3n] });
    expect(m.memory).toMatchObject({ cache: 10n, rss: 300n, total_rss: 301n, hierarchical_memsw_limit: 9n, usage: { limit: 1000n, usage: 400n, max: 500n, failcnt: 1n } });
    expect(m.blkio!.ioServiceBytesRecursive.map((e) => [e.op, e.value])).toEqual([['Read', 11n], ['Write', 12n]]);
    expect(m.memoryOomControl!.oomKill).toBe(2n);
  });

  it('v2: microseconds, memory.stat by name, swap apart from memory, io per device', () => {
    const m = decode(V2Metrics, encode(V2Metrics, v2Metrics(stats(), 1)));
    expect(m.cpu).toMatchObject({ usage_usec: 5000n, user_usec: 4000n, system_usec: 1000n, nr_periods: 7n });
    expect(m.memory).toMatchObject({ anon: 20n, file: 30n, pgfault: 40n, usage: 400n, usage_limit: 1000n, swap_usage: 50n, swap_limit: 500n });
    expect(m.io!.usage).toEqual([{ major: 8n, minor: 0n, rbytes: 11n, wbytes: 12n, rios: 1n, wios: 0n }]);
    expect(m.memoryEvents!.oom_kill).toBe(1n);
  });
});

describe('what the C launcher and the Node shim share', () => {
  const launcher = fs.readFileSync(path.join(PROJECT_ROOT, 'native', 'launcher', 'main.c'), 'utf8');
  const define = (name: string) => new RegExp(`#define ${name} "([^"]*)"`).exec(launcher)?.[1];

  it('the shim directory, the bundle record, the handshake\'s service', () => {
    expect(define('SHIM_DIR')).toBe(SHIM_DIR);
    expect(define('BUNDLE_RECORD')).toBe(BUNDLE_RECORD);
    expect(launcher).toContain(`service[] = "${TASK_SERVICE}", method[] = "Connect"`);
  });
});
