// The init's sync protocol, driven against a scripted fake addon.
import { describe, expect, it, vi } from 'vitest';
import { launchInit, type InitCallbacks } from '../../src/container/init-process';
import type { Native, SyncMessage, WaitResult } from '../../src/native';
import type { InitPlan } from '../../src/native/plan';
import { SYNC } from '../../src/native/sync';

function fakeNative(script: Array<SyncMessage | null>) {
  const sent: Array<[number, number, string]> = [];
  const waited: number[] = [];
  const closed: number[] = [];
  const n = {
    spawnInit: () => ({ pid: 100, syncFd: 7 }),
    syncSend: (_fd: number, type: number, value: number, text: string) => void sent.push([type, value, text]),
    syncRecv: () => (script.length ? script.shift()! : null),
    waitPid: (pid: number): WaitResult => (waited.push(pid), { pid, exitCode: 1, signal: null }),
    closeFd: (fd: number) => void closed.push(fd),
  } as unknown as Native;
  return { n, sent, waited, closed };
}

const msg = (type: number, value = 0, text = '', err = 0): SyncMessage => ({ type, value, err, text });
const plan = { containerId: 'c1', process: {} } as unknown as InitPlan;

function callbacks(): InitCallbacks & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    joinCgroups: (pid) => void calls.push(`cgroups ${pid}`),
    writeIdMaps: (pid) => void calls.push(`idmaps ${pid}`),
    initStarted: (pid) => (calls.push(`started ${pid}`), `{"status":"creating","pid":${pid}}`),
    runCreateHooks: async (pid) => (calls.push(`hooks ${pid}`), `{"status":"created","pid":${pid}}`),
    commit: (pid) => void calls.push(`commit ${pid}`),
    warning: (t) => void calls.push(`warning ${t}`),
  };
}

describe('launchInit', () => {
  it('walks cgroups, id maps, init pid, create hooks, ready, commit — in that order', async () => {
    const { n, sent, waited, closed } = fakeNative([
      msg(SYNC.USERNS_MAP, 100),
      msg(SYNC.INIT_PID, 101),
      msg(SYNC.WARNING, 0, 'careful'),
      msg(SYNC.CREATE_HOOKS),
      msg(SYNC.READY),
    ]);
    const cb = callbacks();
    await expect(launchInit(n, plan, cb)).resolves.toBe(101);
    expect(cb.calls).toEqual(['cgroups 100', 'idmaps 100', 'started 101', 'warning careful', 'hooks 101', 'commit 101']);
    expect(sent).toEqual([
      [SYNC.GO, 0, ''],
      [SYNC.GO, 0, ''],
      [SYNC.STATE, 0, '{"status":"creating","pid":101}'],
      [SYNC.GO, 0, ''],
      [SYNC.STATE, 0, '{"status":"created","pid":101}'],
      [SYNC.COMMIT, 0, ''], // only after the state is stored: until then the init dies with tsrun
    ]);
    expect(waited).toEqual([100]); // stage 1 reaped once, after it reported the init
    expect(closed).toEqual([7]);
  });

  it('turns a child error into a message with the errno described, and kills what it made', async () => {
    const kill = vi.spyOn(process, 'kill').mockImplementation(() => true);
    const { n, closed } = fakeNative([msg(SYNC.INIT_PID, 101), msg(SYNC.ERROR, 0, 'mount proc to /proc (type proc)', 13)]);
    await expect(launchInit(n, plan, callbacks())).rejects.toThrow(
      'mount proc to /proc (type proc): permission denied (EACCES)',
    );
    expect(kill.mock.calls.map((c) => c[0])).toEqual([100, 101]);
    expect(closed).toEqual([7]);
    kill.mockRestore();
  });

  it('does not commit when storing the state fails: the init is killed and reaped, not released', async () => {
    const kill = vi.spyOn(process, 'kill').mockImplementation(() => true);
    const { n, sent, waited } = fakeNative([msg(SYNC.INIT_PID, 101), msg(SYNC.READY)]);
    const cb = {
      ...callbacks(),
      commit: () => {
        throw new Error('disk full');
      },
    };
    await expect(launchInit(n, plan, cb)).rejects.toThrow('disk full');
    expect(sent.map((m) => m[0])).not.toContain(SYNC.COMMIT);
    expect(kill.mock.calls.map((c) => c[0])).toEqual([100, 101]);
    expect(waited).toEqual([100, 101]); // both are tsrun's children
    kill.mockRestore();
  });

  it('reports an init that died without a word, with its status', async () => {
    const kill = vi.spyOn(process, 'kill').mockImplementation(() => true);
    const { n } = fakeNative([null]);
    await expect(launchInit(n, plan, callbacks())).rejects.toThrow(
      'container init exited unexpectedly (exit status 1)',
    );
    kill.mockRestore();
  });

  it('sends the seccomp agent state when the plan has a listener', async () => {
    const { n, sent } = fakeNative([msg(SYNC.INIT_PID, 101), msg(SYNC.READY)]);
    const withListener = { containerId: 'c1', process: { seccompListenerFd: 9 } } as unknown as InitPlan;
    const cb = { ...callbacks(), agentState: (pid: number) => `{"pid":${pid},"fds":["seccompFd"]}` };
    await launchInit(n, withListener, cb);
    expect(sent.map((s) => s[2])).toContain('{"pid":101,"fds":["seccompFd"]}');
  });
});
