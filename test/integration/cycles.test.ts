// Many create/start/kill/delete cycles, then nothing may be left: no mount,
// cgroup, process or state entry, and no fd leaked by the runtime itself.
// The 200 cycles drive the lifecycle operations in this process (the same
// code the CLI runs, minus node's start-up, so it stays fast enough for
// every push; an fd leak in the runtime code would accumulate here); a
// shorter run goes through the CLI as engines do.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { create, deleteContainer, kill, start, state, type RuntimeContext } from '../../src/container/operations';
import {
  assertNoLeftovers,
  makeBundle,
  makeTestRoot,
  PROCESS_TAG,
  snapshotLeftovers,
  tsrun,
  uniqueId,
  type Bundle,
  type LeftoverSnapshot,
} from '../helpers';
import { sleep } from '../helpers';

const CYCLES = 200;
const CLI_CYCLES = 20;
/** a CLI cycle is four node start-ups: on a loaded 2-core machine one may take seconds */
const CLI_CYCLE_BUDGET_MS = 15_000;

const testRoot = makeTestRoot('cycles');
const root = testRoot.root;
let bundle: Bundle;
let before: LeftoverSnapshot;

beforeAll(() => {
  bundle = makeBundle((spec) => {
    spec.process.args = ['sleep', '60'];
    return spec;
  });
  before = snapshotLeftovers({ root, match: PROCESS_TAG });
});
afterAll(() => {
  bundle.cleanup();
  assertNoLeftovers(before);
  testRoot.cleanup();
});

const ctx: RuntimeContext = { root, rootExplicit: true, systemdCgroup: false };

async function until(fn: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(2);
  }
}

const openFds = () => fs.readdirSync('/proc/self/fd').length;

describe('create/start/kill/delete cycles', () => {
  it(`${CYCLES} cycles through the lifecycle operations leave nothing behind`, async () => {
    const snap = snapshotLeftovers({ root, match: PROCESS_TAG });
    const fdsBefore = openFds();
    const t0 = performance.now();
    for (let i = 0; i < CYCLES; i++) {
      const id = uniqueId('cyc');
      await create(ctx, { id, bundle: bundle.dir, noPivot: false, noNewKeyring: false, preserveFds: 0, detach: true });
      expect((await state(ctx, { id })).status).toBe('created');
      await start(ctx, { id });
      expect((await state(ctx, { id })).status).toBe('running');
      await kill(ctx, { id, signal: 9, all: false });
      await until(async () => (await state(ctx, { id })).status === 'stopped', `${id} to stop`);
      await deleteContainer(ctx, { id, force: false });
      expect(fs.existsSync(path.join(root, id))).toBe(false);
    }
    const ms = performance.now() - t0;
    console.log(`${CYCLES} in-process cycles: ${(ms / 1000).toFixed(1)} s, ${(ms / CYCLES).toFixed(0)} ms per cycle`);
    assertNoLeftovers(snap);
    expect(openFds()).toBe(fdsBefore);
  });

  it(`${CLI_CYCLES} cycles through the CLI leave nothing behind`, async () => {
    const snap = snapshotLeftovers({ root, match: PROCESS_TAG });
    const cli = (...args: string[]) => tsrun(['--root', root, ...args], { viaFiles: true });
    const t0 = performance.now();
    for (let i = 0; i < CLI_CYCLES; i++) {
      const id = uniqueId('clicyc');
      for (const step of [['create', '--bundle', bundle.dir, id], ['start', id], ['kill', id, 'KILL']]) {
        const r = await cli(...step);
        expect({ step, code: r.code, stderr: r.stderr }).toEqual({ step, code: 0, stderr: '' });
      }
      // delete --force: the kill may still be in flight (what `podman rm -f` does)
      const d = await cli('delete', '--force', id);
      expect([d.code, d.stderr]).toEqual([0, '']);
    }
    const ms = performance.now() - t0;
    console.log(`${CLI_CYCLES} CLI cycles: ${(ms / 1000).toFixed(1)} s, ${(ms / CLI_CYCLES).toFixed(0)} ms per cycle`);
    assertNoLeftovers(snap);
  }, CLI_CYCLES * CLI_CYCLE_BUDGET_MS);
});
