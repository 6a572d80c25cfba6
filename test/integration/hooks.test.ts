// Hooks as real processes: small shell scripts and busybox.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HookRunError, runHooks, spawnHookProcess, type Hook, type HookInvocation } from '../../src/hooks/run';
import { HookError } from '../../src/errors';
import { testTempDir } from '../helpers/ids';

const dir = testTempDir('hooks');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

let n = 0;
/** Write an executable /bin/sh script and return its path. */
function script(body: string): string {
  const p = path.join(dir, `hook-${++n}.sh`);
  fs.writeFileSync(p, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  return p;
}

function out(name: string): string {
  return path.join(dir, name);
}

const state = { ociVersion: '1.3.0', id: 'c1', status: 'creating', pid: 4242, bundle: '/b', annotations: { a: 'b' } };

describe('runHooks', () => {
  it('passes the state JSON on stdin', async () => {
    const file = out('stdin.json');
    await runHooks('prestart', [{ path: script('cat > "$OUT"'), env: [`OUT=${file}`] }], state);
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual(state);
  });

  it('gives the hook exactly `env`, nothing from tsrun', async () => {
    const file = out('environ');
    process.env.TSRUN_TEST_LEAK = 'should-not-leak';
    try {
      // /proc/<pid>/environ is what execve passed, before the shell adds anything
      await runHooks('createRuntime', [{ path: script('tr "\\0" "\\n" < /proc/$$/environ > "$OUT"'), env: [`OUT=${file}`, 'A=1', 'B=x=y', 'A=2'] }], state);
    } finally {
      delete process.env.TSRUN_TEST_LEAK;
    }
    expect(fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).sort()).toEqual(['A=2', 'B=x=y', `OUT=${file}`].sort());
  });

  it('an absent env means an empty environment', async () => {
    const file = out('empty-env');
    await runHooks('poststart', [{ path: '/bin/busybox', args: ['sh', '-c', `tr "\\0" "\\n" < /proc/$$/environ > ${file}`] }], state);
    expect(fs.readFileSync(file, 'utf8')).toBe('');
  });

  it('uses args as the full argv: args[0] is argv[0], path is what runs', async () => {
    const file = out('argv');
    // busybox picks its applet from argv[0], so this only works if args[0] reaches it as argv[0]
    await runHooks('poststart', [{ path: '/bin/busybox', args: ['sh', '-c', `echo "$0 $1" > ${file}`, 'zero', 'one'] }], state);
    expect(fs.readFileSync(file, 'utf8')).toBe('zero one\n');
    const file2 = out('argv2');
    await runHooks('poststart', [{ path: script('echo "$#:$1:$2" > "$OUT"'), args: ['ignored-name', 'a', 'b c'], env: [`OUT=${file2}`] }], state);
    expect(fs.readFileSync(file2, 'utf8')).toBe('2:a:b c\n');
  });

  it('runs hooks in order and stops at the first failure, naming kind, index, path, status and stderr', async () => {
    const log = out('order.log');
    const hooks: Hook[] = [
      { path: script(`echo first >> ${log}`) },
      { path: script(`echo second >> ${log}; echo "no network for you" >&2; exit 3`) },
      { path: script(`echo third >> ${log}`) },
    ];
    const err = await runHooks('createRuntime', hooks, state, { containerId: 'c1' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HookRunError);
    expect(err).toBeInstanceOf(HookError);
    const e = err as HookRunError;
    expect(e.message).toBe(`hook createRuntime[1] ${hooks[1]!.path} failed: exit status 3: stderr: no network for you`);
    expect(e.failure).toMatchObject({ kind: 'createRuntime', index: 1, exitCode: 3, signal: null, timedOut: false, stderr: 'no network for you' });
    expect(e.containerId).toBe('c1');
    expect(fs.readFileSync(log, 'utf8')).toBe('first\nsecond\n');
  });

  it('reports a hook killed by a signal', async () => {
    const p = script('kill -9 $$');
    await expect(runHooks('poststop', [{ path: p }], state)).rejects.toThrow(`hook poststop[0] ${p} failed: killed by signal SIGKILL`);
  });

  it('kills a hook that runs past its timeout', async () => {
    const p = script('sleep 30');
    const t0 = Date.now();
    const err = (await runHooks('prestart', [{ path: p, timeout: 1 }], state).catch((e: unknown) => e)) as HookRunError;
    expect(err.message).toBe(`hook prestart[0] ${p} timed out after 1s`);
    expect(err.failure.timedOut).toBe(true);
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it('does not wait forever for output pipes held by a daemonised child', async () => {
    const p = script('sleep 30 & echo started');
    const t0 = Date.now();
    await runHooks('poststart', [{ path: p }], state);
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it('reports a hook that cannot be started', async () => {
    const missing = path.join(dir, 'does-not-exist');
    await expect(runHooks('prestart', [{ path: missing }], state)).rejects.toThrow(
      `hook prestart[0] ${missing}: cannot run it: no such file or directory (ENOENT)`,
    );
    const notExec = path.join(dir, 'not-executable');
    fs.writeFileSync(notExec, '#!/bin/sh\n', { mode: 0o644 });
    await expect(runHooks('prestart', [{ path: notExec }], state)).rejects.toThrow('permission denied (EACCES)');
  });

  it('is fine with a hook that ignores a large stdin', async () => {
    const big = { ...state, annotations: { blob: 'x'.repeat(1 << 20) } };
    await runHooks('poststart', [{ path: script('exit 0') }], big);
  });

  it('with onFailure, reports each failing hook and still runs the rest (poststop)', async () => {
    const file = out('continued');
    const failures: string[] = [];
    await runHooks(
      'poststop',
      [{ path: script('exit 2') }, { path: script('echo ran > "$OUT"'), env: [`OUT=${file}`] }, { path: script('exit 3') }],
      state,
      { onFailure: (e) => failures.push(`${e.failure.index}:${e.failure.exitCode}`) },
    );
    expect(failures).toEqual(['0:2', '2:3']);
    expect(fs.readFileSync(file, 'utf8')).toBe('ran\n');
  });

  it('does nothing for an empty or absent list', async () => {
    await runHooks('prestart', undefined, state);
    await runHooks('prestart', [], state);
  });

  it('lets the caller supply the spawner (createContainer hooks run in the container)', async () => {
    const seen: HookInvocation[] = [];
    await runHooks('createContainer', [{ path: '/x', args: ['x'], timeout: 2 }, { path: '/y' }], state, {
      spawn: async (inv) => {
        seen.push(inv);
        return { exitCode: 0, signal: null, timedOut: false, stdout: '', stderr: '' };
      },
    });
    expect(seen.map((s) => [s.kind, s.index, s.hook.path, s.timeoutMs])).toEqual([
      ['createContainer', 0, '/x', 2000],
      ['createContainer', 1, '/y', undefined],
    ]);
    expect(JSON.parse(seen[0]!.stdin)).toEqual(state);
  });

  it('the default spawner reports the outcome without judging it', async () => {
    const r = await spawnHookProcess({ kind: 'prestart', index: 0, hook: { path: script('echo out; echo err >&2; exit 5') }, stdin: '' });
    expect(r).toEqual({ exitCode: 5, signal: null, timedOut: false, stdout: 'out\n', stderr: 'err\n' });
  });
});
