// Bad resource values: `create` fails with an error naming the JSON path and
// leaves no state dir, cgroup or mount; `update` fails naming the field (and
// the flag), leaves the running container's limits and state.json as they
// were, and a kernel refusal half-way is rolled back.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { detectCgroupHost } from '../../src/cgroups/detect';
import { assertNoLeftovers, makeBundle, snapshotLeftovers, uniqueId } from '../helpers';
import { completeText, waitFor, type TestContainer, containerLab } from '../helpers';

const host = detectCgroupHost();
const v1Memory = host.layout !== 'v2' && host.v1.some((h) => h.controllers.includes('memory'));
const MiB = 1024 * 1024;
const offlineCpu = os.cpus().length + 5;
/** the text log format quotes messages Go-style: compare with the plain text */
const unquote = (log: string) => log.replace(/\\"/g, '"');

describe.skipIf(process.getuid?.() !== 0)('bad resource values', () => {
  const suite = containerLab('reserr', { removeAfterEach: true });
  let c: TestContainer | undefined;

  const createFails = async (resources: Record<string, unknown>) => {
    const id = uniqueId('bad');
    const b = makeBundle((spec) => {
      const linux = spec.linux as Record<string, unknown>;
      linux.cgroupsPath = `/${id}`;
      linux.resources = { ...(linux.resources as object), ...resources };
    });
    const snap = snapshotLeftovers({ root: suite.root, match: id });
    try {
      const r = await suite.createLogged(b, id);
      expect(r.code).toBe(1);
      assertNoLeftovers(snap);
      expect(fs.existsSync(path.join(suite.root, id))).toBe(false);
      return unquote(r.log);
    } finally {
      b.cleanup();
    }
  };

  it.each([
    [{ memory: { limit: -5 } }, 'linux.resources.memory.limit: -5 is not a byte count'],
    [{ pids: { limit: -3 } }, 'linux.resources.pids.limit: -3 is not valid'],
    [{ unified: { 'foo.bar': '1' } }, 'linux.resources.unified["foo.bar"]'],
    [{ unified: { '../memory.max': '1' } }, 'linux.resources.unified["../memory.max"]'],
    [{ cpu: { cpus: String(offlineCpu) } }, `linux.resources.cpu.cpus: CPU(s) ${offlineCpu} not online`],
    [{ cpu: { quota: 500 } }, 'linux.resources.cpu.quota: 500µs is below'],
    [{ memory: { limit: 32 * MiB, swap: 16 * MiB } }, 'linux.resources.memory.swap'],
    [{ devices: [{ allow: true, type: 'x', access: 'rwm' }] }, 'linux.resources.devices[0].type'],
  ])('create refuses %j naming the field, leaving nothing behind', async (resources, message) => {
    const log = await createFails(resources);
    expect(log).toContain(message);
  });

  it.skipIf(host.layout !== 'hybrid' || !fs.existsSync('/sys/kernel/mm/hugepages/hugepages-2048kB'))(
    'a value the kernel refuses (after the cgroups exist) fails create naming the field and removes the cgroups',
    async () => {
      const log = await createFails({ unified: { 'hugetlb.2MB.max': 'lots' } });
      expect(log).toMatch(/linux\.resources\.unified\["hugetlb\.2MB\.max"\]: cannot write "lots" to \S+hugetlb\.2MB\.max: the kernel rejected the value/);
    },
  );

  const stateResources = () => JSON.parse(fs.readFileSync(path.join(suite.root, c!.id, 'state.json'), 'utf8')).cgroup.resources;

  it('update refuses bad flags and documents naming the field, and changes nothing', async () => {
    c = await suite.start({ script: 'exec sleep 600', resources: { memory: { limit: 32 * MiB }, pids: { limit: 50 } } });
    const resourcesBefore = stateResources();
    const limitFile = v1Memory ? path.join(c.cgroupDir('memory'), 'memory.limit_in_bytes') : path.join(c.cgroupDir(''), 'memory.max');
    const limitBefore = fs.readFileSync(limitFile, 'utf8');
    const cases: [string[], string | undefined, string][] = [
      [['--memory-swap', '16m'], undefined, 'update: memory.swap (--memory-swap): 16777216 is below memory.limit 33554432'],
      [['--cpuset-cpus', String(offlineCpu)], undefined, `update: cpu.cpus (--cpuset-cpus): CPU(s) ${offlineCpu} not online`],
      [['--cpu-quota', '-7'], undefined, 'update: cpu.quota (--cpu-quota): -7 is not valid'],
      [['--resources', '-'], '{"unified":{"foo.bar":"1"}}', 'resources (stdin): unified["foo.bar"]'],
      [['--resources', '-'], '{"memory":{"limit":"x"}}', 'resources (stdin): memory.limit: expected'],
      [['--resources', '-'], '{"pids":{"limit":-7}}', 'resources (stdin): pids.limit: -7 is not valid'],
      [['--resources', '-'], '{"memory":{"limit":', 'resources (stdin): invalid JSON'],
      [['--l3-cache-schema', 'L3:0=f'], undefined, '--l3-cache-schema: Intel RDT/CAT is not supported'],
    ];
    for (const [args, input, message] of cases) {
      const r = await c.cli(['update', ...args, c.id], { input });
      expect(r.code, `update ${args.join(' ')}`).toBe(1);
      expect(unquote(r.stderr)).toContain(message);
    }
    expect(stateResources()).toEqual(resourcesBefore);
    expect(fs.readFileSync(limitFile, 'utf8')).toBe(limitBefore);
  });

  it.skipIf(!v1Memory)('a limit the kernel refuses half-way is rolled back, and state.json keeps the old resources', async () => {
    // 24 MiB of tmpfs pages in the container's memory cgroup: no swap, so they cannot be reclaimed
    const script = 'head -c 25165824 /dev/zero > /dev/shm/fill; echo done > /tmp/done; exec sleep 600';
    c = await suite.start({ script, resources: { memory: { limit: 64 * MiB, swap: 64 * MiB }, pids: { limit: 50 } } });
    await waitFor('the fill', () => completeText(c!.file('tmp/done')));
    const resourcesBefore = stateResources();
    const cpus = path.join(c.cgroupDir('cpuset'), 'cpuset.cpus');
    const cpusBefore = fs.readFileSync(cpus, 'utf8');
    expect(cpusBefore.trim()).not.toBe('0');
    // cpuset.cpus is written before the memory limit the kernel refuses (runc's v1 order): rolled back
    const r = await c.cli(['update', '--cpuset-cpus', '0', '--memory', '8m', '--memory-swap', '8m', c.id]);
    expect(r.code).toBe(1);
    expect(unquote(r.stderr)).toMatch(/linux\.resources\.memory\.(limit|swap): cannot write "8388608"/);
    expect(fs.readFileSync(cpus, 'utf8')).toBe(cpusBefore);
    expect(fs.readFileSync(path.join(c.cgroupDir('memory'), 'memory.limit_in_bytes'), 'utf8').trim()).toBe(String(64 * MiB));
    expect(stateResources()).toEqual(resourcesBefore);
    expect((await c.state()).status).toBe('running');
  });

  it('update of a stopped container is refused with runc\'s wording', async () => {
    c = await suite.start({ script: 'exit 0' });
    await waitFor('the container to stop', async () => (await c!.state()).status === 'stopped');
    const r = await c.cli(['update', '--memory', '64m', c.id]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('container not running');
  });
});
