import { describe, expect, it } from 'vitest';
import { idProblem, validateContainerId } from '../../src/state/id';
import { formatStateJson, toOciState } from '../../src/state/oci-state';
import { parseProcStat, type ProcStat } from '../../src/state/proc';
import { deriveStatus, isInitAlive, type StatusProbe } from '../../src/state/status';
import { formatRfc3339Nano, nowNanos } from '../../src/state/time';
import type { StoredState } from '../../src/state/types';

function stored(over: Partial<StoredState> = {}): StoredState {
  return {
    formatVersion: 1,
    id: 'c1',
    initPid: 4242,
    initStartTime: 777,
    bundle: '/b',
    rootfs: '/b/rootfs',
    created: '2026-11-22T09:12:31.781515712Z',
    owner: '',
    annotations: {},
    config: {} as StoredState['config'],
    cgroup: {} as StoredState['cgroup'],
    ...over,
  };
}

/** A fake /proc and state dir: which pids exist, in which state, and whether start.fifo is there. */
function probe(procs: Record<number, ProcStat>, fifo: boolean, paused = false): Partial<StatusProbe> {
  return { readProc: (pid) => procs[pid], startFifoExists: (p) => fifo && p === '/root/c1/start.fifo', isPaused: () => paused };
}

describe('created timestamps (Go RFC3339Nano, UTC)', () => {
  // 1795338751 s is 2026-11-22T09:12:31Z (date -u -d @1795338751)
  it('prints nanoseconds and trims trailing zeros', () => {
    expect(formatRfc3339Nano(1_795_338_751_781_515_712n)).toBe('2026-11-22T09:12:31.781515712Z');
    expect(formatRfc3339Nano(1_795_338_751_780_000_000n)).toBe('2026-11-22T09:12:31.78Z');
    expect(formatRfc3339Nano(1_795_338_751_000_000_001n)).toBe('2026-11-22T09:12:31.000000001Z');
  });

  it('omits the fraction on a whole second', () => {
    expect(formatRfc3339Nano(1_795_338_751_000_000_000n)).toBe('2026-11-22T09:12:31Z');
    expect(formatRfc3339Nano(0n)).toBe('1970-01-01T00:00:00Z');
  });

  it('now is close to Date.now()', () => {
    const diffMs = Number(nowNanos() / 1_000_000n) - Date.now();
    expect(Math.abs(diffMs)).toBeLessThan(50);
  });
});

describe('/proc/<pid>/stat parsing', () => {
  it('reads state and field 22 after the last parenthesis', () => {
    const fields = Array.from({ length: 50 }, (_, i) => String(i + 3));
    fields[0] = 'S';
    fields[22 - 3] = '123456';
    const line = `77 (a) b (c)) ${fields.join(' ')}\n`;
    expect(parseProcStat(line)).toEqual({ state: 'S', startTime: 123456 });
  });

  it('rejects garbage', () => {
    expect(() => parseProcStat('nonsense')).toThrow('malformed');
  });
});

describe('status derivation', () => {
  const alive = { 4242: { state: 'S', startTime: 777 } };

  it('created: init alive and start.fifo present', () => {
    expect(deriveStatus(stored(), '/root/c1', probe(alive, true))).toEqual({ status: 'created', pid: 4242 });
  });

  it('running: init alive, no fifo', () => {
    expect(deriveStatus(stored(), '/root/c1', probe(alive, false))).toEqual({ status: 'running', pid: 4242 });
  });

  it('paused: the injected freezer check wins over running/created', () => {
    expect(deriveStatus(stored(), '/root/c1', probe(alive, false, true))).toEqual({ status: 'paused', pid: 4242 });
  });

  it('stopped/exited: init gone after start, pid 0', () => {
    expect(deriveStatus(stored(), '/root/c1', probe({}, false))).toEqual({ status: 'stopped', pid: 0, detail: 'exited' });
  });

  it('stopped/dead: init vanished before start (fifo still there)', () => {
    expect(deriveStatus(stored(), '/root/c1', probe({}, true))).toEqual({ status: 'stopped', pid: 0, detail: 'dead' });
  });

  it('stopped/dead: a failed cleanup', () => {
    expect(deriveStatus(stored({ cleanupFailed: true }), '/root/c1', probe({}, false))).toMatchObject({ status: 'stopped', detail: 'dead' });
  });

  it('a zombie init is not alive', () => {
    expect(deriveStatus(stored(), '/root/c1', probe({ 4242: { state: 'Z', startTime: 777 } }, false))).toMatchObject({ status: 'stopped', pid: 0 });
  });

  it('a reused pid (other start time) is not our init', () => {
    expect(isInitAlive(stored(), (pid) => (pid === 4242 ? { state: 'R', startTime: 999 } : undefined))).toBe(false);
    expect(deriveStatus(stored(), '/root/c1', probe({ 4242: { state: 'R', startTime: 999 } }, false)).status).toBe('stopped');
  });

  it('a missing pid is not alive', () => {
    expect(isInitAlive(stored({ initPid: 0 }), () => ({ state: 'R', startTime: 777 }))).toBe(false);
  });
});

describe('OCI state output', () => {
  it('has runc\'s key order, 2-space indent and no trailing newline', () => {
    const text = formatStateJson(toOciState(stored(), { status: 'running', pid: 4242 }));
    expect(text).toBe(
      [
        '{',
        '  "ociVersion": "1.3.0",',
        '  "id": "c1",',
        '  "pid": 4242,',
        '  "status": "running",',
        '  "bundle": "/b",',
        '  "rootfs": "/b/rootfs",',
        '  "created": "2026-11-22T09:12:31.781515712Z",',
        '  "owner": ""',
        '}',
      ].join('\n'),
    );
  });

  it('puts non-empty annotations before owner, and reports pid 0 when stopped', () => {
    const s = toOciState(stored({ annotations: { a: 'b' } }), { status: 'stopped', pid: 0, detail: 'exited' }, 'root');
    expect(Object.keys(s)).toEqual(['ociVersion', 'id', 'pid', 'status', 'bundle', 'rootfs', 'created', 'annotations', 'owner']);
    expect(s.pid).toBe(0);
    expect(s.owner).toBe('root');
  });
});

describe('container ids', () => {
  it('accepts runc\'s character set', () => {
    for (const id of ['a', 'c1', 'A_b+c-d.e', 'x'.repeat(255), '.hidden', 'a..b']) expect(idProblem(id), id).toBeUndefined();
  });

  it('rejects the rest with runc\'s message', () => {
    for (const id of ['', '.', '..', 'a/b', 'a b', 'a:b', 'a,b', 'é', 'x'.repeat(256)]) {
      expect(() => validateContainerId(id), id).toThrow('invalid container ID format');
    }
  });
});
