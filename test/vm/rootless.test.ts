// Rootless tsrun in the VM, as the unprivileged `vagrant` user: a bundle
// from `tsrun spec --rootless` runs with uid 0 inside mapped to the user
// outside; with the systemd driver (the user's own manager, delegated the
// memory controller) a memory limit is enforced; the state lives in
// $XDG_RUNTIME_DIR/tsrun, where list, state and delete find it.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { completeText, makeRootfs, testTempDir, tsrun, uniqueId, waitFor, type TsrunOptions } from '../helpers';
import { inVm } from './helpers';

const runnable = inVm && process.getuid?.() !== 0;
const SLOW = 240_000;
const MiB = 1024 * 1024;
/** the one warning of a rootless create without --systemd-cgroup (the VM delegates nothing below user-UID.slice) */
const NO_CGROUP = /^time="[^"]+" level=warning msg="rootless: no cgroup for the container \(\/sys\/fs\/cgroup\/user.slice\/user-\d+.slice is not writable by uid \d+\): it stays in tsrun's own cgroup, without limits; use --systemd-cgroup for a delegated one"$/m;

describe.skipIf(!runnable)('rootless tsrun, as the unprivileged user in the VM', () => {
  const uid = process.getuid!();
  const gid = process.getgid!();
  const work = runnable ? testTempDir('rootless') : '';
  const ids: string[] = [];
  // the default --root of an unprivileged user
  const cli = (args: string[], o: TsrunOptions = {}) => tsrun(args, { timeout: SLOW, ...o });

  afterAll(async () => {
    for (const id of ids) await cli(['delete', '--force', id]);
    fs.rmSync(work, { recursive: true, force: true });
  });

  /** A bundle made by `tsrun spec --rootless`, its process `sh -c script`, writable rootfs. */
  async function rootlessBundle(script: string, edit?: (spec: Record<string, any>) => void): Promise<{ dir: string; rootfs: string }> {
    const dir = fs.mkdtempSync(path.join(work, 'bundle-'));
    const rootfs = path.join(dir, 'rootfs');
    makeRootfs(rootfs);
    const made = await cli(['spec', '--rootless', '--bundle', dir]);
    expect({ code: made.code, stderr: made.stderr }).toEqual({ code: 0, stderr: '' });
    const spec = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
    expect({ uid: spec.linux.uidMappings, gid: spec.linux.gidMappings }).toEqual({ uid: [{ containerID: 0, hostID: uid, size: 1 }], gid: [{ containerID: 0, hostID: gid, size: 1 }] });
    spec.process.terminal = false;
    spec.process.args = ['sh', '-c', script];
    spec.root.readonly = false;
    edit?.(spec);
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(spec, null, '\t'));
    return { dir, rootfs };
  }

  it('a `spec --rootless` bundle runs as uid 0 inside, the user outside', async () => {
    const b = await rootlessBundle('id -u; id -g; cat /proc/self/uid_map; echo made > /root/made');
    const id = uniqueId('rl');
    ids.push(id);
    const r = await cli(['run', '--bundle', b.dir, id]);
    // without --systemd-cgroup no cgroup was delegated to the user: said once, not fatal
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: expect.stringMatching(NO_CGROUP) });
    const [inUid, inGid, map] = r.stdout.trim().split('\n');
    expect({ inUid, inGid, map: map!.trim().split(/\s+/) }).toEqual({ inUid: '0', inGid: '0', map: ['0', String(uid), '1'] });
    // what container root made belongs to the user outside
    const st = fs.statSync(path.join(b.rootfs, 'root', 'made'));
    expect({ uid: st.uid, gid: st.gid }).toEqual({ uid, gid });
  });

  it('with --systemd-cgroup the user manager enforces a memory limit', async () => {
    // tail keeps all of a line: /dev/zero has none, so it grows until killed (at most 200 MiB here)
    const b = await rootlessBundle('head -c 200m /dev/zero | tail; echo "tail:$?"', (spec) => {
      spec.linux.resources = { memory: { limit: 32 * MiB, swap: 32 * MiB } };
    });
    const id = uniqueId('rlmem');
    ids.push(id);
    const r = await cli(['--systemd-cgroup', 'run', '--bundle', b.dir, id]);
    // (the shell reports the kill of tail on its stderr)
    expect({ code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({ code: 0, stdout: 'tail:137\n', stderr: expect.stringMatching(/Killed/) });
  });

  it('list, state and delete work from $XDG_RUNTIME_DIR/tsrun', async () => {
    const b = await rootlessBundle('echo up > /tmp/up; exec sleep 600');
    const id = uniqueId('rlstate');
    ids.push(id);
    const created = await cli(['create', '--bundle', b.dir, id], { viaFiles: true });
    expect({ code: created.code, stderr: created.stderr }).toEqual({ code: 0, stderr: expect.stringMatching(NO_CGROUP) });
    expect(fs.statSync(path.join(process.env.XDG_RUNTIME_DIR!, 'tsrun', id)).isDirectory()).toBe(true);
    expect((await cli(['start', id])).code).toBe(0);
    await waitFor('the container', () => completeText(path.join(b.rootfs, 'tmp', 'up')), SLOW, 200);
    const state = JSON.parse((await cli(['state', id])).stdout);
    expect({ id: state.id, status: state.status }).toEqual({ id, status: 'running' });
    const list = await cli(['list', '--format', 'json']);
    expect(JSON.parse(list.stdout).map((c: { id: string }) => c.id)).toContain(id);
    expect((await cli(['kill', id, 'KILL'])).code).toBe(0);
    await waitFor('stopped', async () => JSON.parse((await cli(['state', id])).stdout).status === 'stopped', SLOW, 250);
    const del = await cli(['delete', id]);
    expect({ code: del.code, stderr: del.stderr }).toEqual({ code: 0, stderr: '' });
    expect(fs.existsSync(path.join(process.env.XDG_RUNTIME_DIR!, 'tsrun', id))).toBe(false);
  });
});
