// OCI hooks in real containers: all six kinds, in spec order, each with the
// state on stdin, its own args and env, in the right namespaces; timeouts;
// and the spec's failure semantics (create/start hooks fail the operation and
// destroy, poststart stops the container, poststop only warns).
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  assertNoLeftovers,
  type Bundle,
  containerLab,
  isAlive,
  makeBundle,
  PROCESS_TAG,
  snapshotLeftovers,
  tsrun,
  uniqueId,
  waitFor,
} from '../helpers';
import { sleep } from '../helpers';

const lab = containerLab('hooks');
const { root, work, bundles } = lab;

const cli = (...args: string[]) => tsrun(['--root', root, ...args], { viaFiles: true });
const KINDS = ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'] as const;
type Kind = (typeof KINDS)[number];

/**
 * A hook that records what it sees into $DIR: its name ($0, from args) in
 * `order`, stdin in <name>.json, its mount namespace, its environment, its
 * other arguments and what / holds. /bin/busybox picks the applet from argv[0]
 * ("sh"), which proves args[0] is passed as argv[0]. It exists on the host
 * and in the rootfs, so the same hook works in either place.
 */
function recorder(name: string, dir: string, extra: { env?: string[]; timeout?: number; exit?: number; sleep?: number } = {}) {
  const script = [
    'cat > "$DIR/$0.json"',
    'echo "$0" >> "$DIR/order"',
    'readlink /proc/self/ns/mnt > "$DIR/$0.mnt"',
    // opened by the shell itself (createContainer sees the host's /proc, where $$ means another process)
    'exec 3< /proc/self/environ',
    'tr "\\0" "\\n" <&3 > "$DIR/$0.env"',
    'echo "$1|$2" > "$DIR/$0.args"',
    'ls / > "$DIR/$0.root"',
    extra.sleep ? `sleep ${extra.sleep}` : '',
    `exit ${extra.exit ?? 0}`,
  ].filter(Boolean).join('\n');
  return {
    path: '/bin/busybox',
    args: ['sh', '-c', script, name, 'first arg', 'second'],
    env: [`DIR=${dir}`, ...(extra.env ?? [])],
    ...(extra.timeout ? { timeout: extra.timeout } : {}),
  };
}

/** A bundle with one recording hook per kind; `logDir` is bind-mounted at /hooklog for startContainer. */
function hookedBundle(script: string, override?: (hooks: Record<Kind, unknown[]>, logDir: string) => void): { b: Bundle; logDir: string } {
  const logDir = fs.mkdtempSync(path.join(work, 'hooklog-'));
  const b = makeBundle();
  bundles.push(b);
  b.spec.process.args = ['sh', '-c', script];
  b.spec.mounts.push({ destination: '/hooklog', type: 'bind', source: logDir, options: ['rbind'] });
  const hooks = Object.fromEntries(
    KINDS.map((k) => [k, [recorder(k, k === 'startContainer' ? '/hooklog' : logDir, { env: [`KIND=${k}`] })]]),
  ) as Record<Kind, unknown[]>;
  override?.(hooks, logDir);
  (b.spec as Record<string, unknown>).hooks = hooks;
  b.writeConfig();
  return { b, logDir };
}

const order = (dir: string): string[] => (fs.existsSync(path.join(dir, 'order')) ? fs.readFileSync(path.join(dir, 'order'), 'utf8').trim().split('\n') : []);
const recorded = (dir: string, name: string, what: string) => fs.readFileSync(path.join(dir, `${name}.${what}`), 'utf8');

describe('hooks across the lifecycle', () => {
  it('run in spec order, each with the state on stdin, its args and exactly its env, in the right namespaces', async () => {
    const { b, logDir } = hookedBundle('exec sleep 60');
    const id = uniqueId('hooks');
    const c = await cli('create', '--bundle', b.dir, id);
    expect([c.code, c.stderr]).toEqual([0, '']);
    expect(order(logDir)).toEqual(['prestart', 'createRuntime', 'createContainer']);
    const { pid } = await lab.state(id);
    expect((await cli('start', id)).code).toBe(0);
    expect(order(logDir)).toEqual(['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart']);
    expect((await cli('kill', id, 'KILL')).code).toBe(0);
    await waitFor('the init to die', () => !isAlive(pid));
    expect((await cli('delete', id)).code).toBe(0);
    expect(order(logDir)).toEqual([...KINDS]);

    const status: Record<Kind, string> = {
      prestart: 'creating',
      createRuntime: 'creating',
      createContainer: 'creating',
      startContainer: 'created',
      poststart: 'running',
      poststop: 'stopped',
    };
    const hostMnt = fs.readlinkSync('/proc/self/ns/mnt');
    const containerMnt = recorded(logDir, 'startContainer', 'mnt');
    expect(containerMnt.trim()).not.toBe(hostMnt);
    for (const k of KINDS) {
      const state = JSON.parse(recorded(logDir, k, 'json')) as Record<string, unknown>;
      expect({ k, ...state }).toMatchObject({ k, ociVersion: '1.3.0', id, status: status[k], bundle: b.dir });
      if (k !== 'poststop') expect({ k, pid: state.pid }).toEqual({ k, pid });
      // exactly the hook's env, nothing of tsrun's
      const dir = k === 'startContainer' ? '/hooklog' : logDir;
      expect({ k, env: recorded(logDir, k, 'env').trim().split('\n') }).toEqual({ k, env: [`DIR=${dir}`, `KIND=${k}`] });
      expect({ k, args: recorded(logDir, k, 'args') }).toEqual({ k, args: 'first arg|second\n' });
      // runtime hooks in tsrun's mount namespace; createContainer and startContainer in the container's
      const mnt = recorded(logDir, k, 'mnt').trim();
      if (k === 'createContainer' || k === 'startContainer') expect({ k, mnt }).toEqual({ k, mnt: containerMnt.trim() });
      else expect({ k, mnt }).toEqual({ k, mnt: hostMnt });
    }
    // createContainer runs before pivot_root (it still sees the host's /), startContainer after it
    const hostRoot = fs.readdirSync('/').filter((e) => !e.startsWith('.')).sort();
    expect(recorded(logDir, 'createContainer', 'root')).toBe(hostRoot.join('\n') + '\n');
    expect(recorded(logDir, 'startContainer', 'root').split('\n')).toEqual(expect.arrayContaining(['bin', 'hooklog', 'proc']));
    expect(recorded(logDir, 'startContainer', 'root').split('\n')).not.toContain('work');
  });

  it('hooks of one kind run in order; a failing one stops the rest', async () => {
    const { b, logDir } = hookedBundle('true', (hooks, dir) => {
      hooks.createRuntime = [recorder('cr-0', dir), recorder('cr-1', dir, { exit: 3 }), recorder('cr-2', dir)];
    });
    const snap = snapshotLeftovers({ root, match: PROCESS_TAG });
    const id = uniqueId('order');
    const r = await cli('create', '--bundle', b.dir, id);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('hook createRuntime[1] /bin/busybox failed: exit status 3');
    // destroyed, then the poststop hooks ran (runtime-spec lifecycle step 9/10)
    expect(order(logDir)).toEqual(['prestart', 'cr-0', 'cr-1', 'poststop']);
    expect(JSON.parse(recorded(logDir, 'poststop', 'json'))).toMatchObject({ id, status: 'stopped' });
    assertNoLeftovers(snap);
  });
});

describe('failure semantics', () => {
  it('a failing prestart, createRuntime or createContainer hook fails create, leaves nothing, runs poststop', async () => {
    for (const kind of ['prestart', 'createRuntime', 'createContainer'] as const) {
      const { b, logDir } = hookedBundle('true', (hooks, dir) => {
        hooks[kind] = [recorder(kind, dir, { exit: 7 })];
      });
      const snap = snapshotLeftovers({ root, match: PROCESS_TAG });
      const id = uniqueId(`fail-${kind}`);
      const r = await cli('create', '--bundle', b.dir, id);
      expect({ kind, code: r.code }).toEqual({ kind, code: 1 });
      expect(r.stderr).toMatch(new RegExp(`${kind} hook|hook ${kind}\\[0\\]`));
      const before = KINDS.slice(0, KINDS.indexOf(kind) + 1);
      expect({ kind, order: order(logDir) }).toEqual({ kind, order: [...before, 'poststop'] });
      assertNoLeftovers(snap);
      expect(fs.existsSync(path.join(root, id))).toBe(false);
    }
  });

  it('a failing startContainer hook fails start; the program never runs; delete runs poststop', async () => {
    const { b, logDir } = hookedBundle('echo PROGRAM-RAN > /hooklog/program', (hooks) => {
      hooks.startContainer = [recorder('startContainer', '/hooklog', { exit: 4 })];
    });
    const id = uniqueId('failstart');
    expect((await cli('create', '--bundle', b.dir, id)).code).toBe(0);
    const s = await cli('start', id);
    expect(s.code).toBe(1);
    expect(s.stderr).toContain('startContainer hook [0] failed (exit status 4)');
    expect(fs.existsSync(path.join(logDir, 'program'))).toBe(false);
    expect((await lab.state(id)).status).toBe('stopped');
    expect(order(logDir)).toEqual(['prestart', 'createRuntime', 'createContainer', 'startContainer']);
    expect((await cli('delete', id)).code).toBe(0);
    expect(order(logDir).at(-1)).toBe('poststop');
  });

  it('a failing poststart hook fails start and stops the container (runtime-spec 1.3)', async () => {
    const { b, logDir } = hookedBundle('exec sleep 60', (hooks, dir) => {
      hooks.poststart = [recorder('poststart', dir, { exit: 5 })];
    });
    const id = uniqueId('failpoststart');
    expect((await cli('create', '--bundle', b.dir, id)).code).toBe(0);
    const { pid } = await lab.state(id);
    const s = await cli('start', id);
    expect(s.code).toBe(1);
    expect(s.stderr).toContain('hook poststart[0] /bin/busybox failed: exit status 5');
    await waitFor('the container to be stopped', () => !isAlive(pid));
    expect((await lab.state(id)).status).toBe('stopped');
    expect((await cli('delete', id)).code).toBe(0);
    expect(order(logDir)).toEqual([...KINDS]);
  });

  it('a failing poststop hook is only a warning: the rest still run, delete succeeds, the container is gone', async () => {
    const { b, logDir } = hookedBundle('true', (hooks, dir) => {
      hooks.poststop = [recorder('poststop', dir, { exit: 6 }), recorder('poststop-2', dir)];
    });
    const id = uniqueId('failpoststop');
    expect((await cli('create', '--bundle', b.dir, id)).code).toBe(0);
    expect((await cli('start', id)).code).toBe(0);
    const deadline = Date.now() + 10_000;
    while ((await lab.state(id)).status !== 'stopped' && Date.now() < deadline) await sleep(20);
    const d = await cli('delete', id);
    expect(d.code).toBe(0);
    expect(d.stderr).toContain('level=warning');
    expect(d.stderr).toContain('exit status 6');
    expect(fs.existsSync(path.join(root, id))).toBe(false);
    // the remaining poststop hooks still ran
    expect(order(logDir).slice(-2)).toEqual(['poststop', 'poststop-2']);
  });
});

describe('timeouts', () => {
  it('a runtime hook that runs past its timeout fails create, quickly and cleanly', async () => {
    const { b, logDir } = hookedBundle('true', (hooks, dir) => {
      hooks.createRuntime = [recorder('createRuntime', dir, { sleep: 30, timeout: 1 })];
    });
    const snap = snapshotLeftovers({ root, match: PROCESS_TAG });
    const t0 = Date.now();
    const r = await cli('create', '--bundle', b.dir, uniqueId('timeout'));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('hook createRuntime[0] /bin/busybox timed out after 1s');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1_000);
    expect(Date.now() - t0).toBeLessThan(8_000);
    expect(order(logDir)).toEqual(['prestart', 'createRuntime', 'poststop']);
    assertNoLeftovers(snap);
  });

  it('a hook run by the init (createContainer, startContainer) honours its timeout too', async () => {
    const { b, logDir } = hookedBundle('true', (hooks, dir) => {
      hooks.createContainer = [recorder('createContainer', dir, { sleep: 30, timeout: 1 })];
    });
    const snap = snapshotLeftovers({ root, match: PROCESS_TAG });
    const t0 = Date.now();
    const r = await cli('create', '--bundle', b.dir, uniqueId('timeout-cc'));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('createContainer hook [0] timed out after 1s');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1_000); // not before its time
    expect(Date.now() - t0).toBeLessThan(8_000);
    expect(order(logDir)).toEqual(['prestart', 'createRuntime', 'createContainer', 'poststop']);
    assertNoLeftovers(snap);

    const s = hookedBundle('true', (hooks) => {
      hooks.startContainer = [recorder('startContainer', '/hooklog', { sleep: 30, timeout: 1 })];
    });
    const id = uniqueId('timeout-sc');
    expect((await cli('create', '--bundle', s.b.dir, id)).code).toBe(0);
    const t1 = Date.now();
    const st = await cli('start', id);
    expect(st.code).toBe(1);
    expect(st.stderr).toContain('startContainer hook [0] timed out after 1s');
    expect(Date.now() - t1).toBeGreaterThanOrEqual(1_000);
    expect(Date.now() - t1).toBeLessThan(8_000);
    expect((await cli('delete', '--force', id)).code).toBe(0);
  });
});
