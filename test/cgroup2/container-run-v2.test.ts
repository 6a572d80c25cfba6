// `tsrun container run --memory 200m --cpus 0.5 --pids-limit 50` on a pure
// cgroup v2 kernel (the VM of `npm run test:cgroup2`; skipped elsewhere): the
// files of the container's cgroup as the host sees them (memory.max,
// memory.swap.max, cpu.max, pids.max), and each limit enforced inside. The
// host's v1 side is test/integration/container-run.test.ts. Node is 10-15x
// slower in the VM: few CLI calls, no timing in the assertions.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectCgroupHost } from '../../src/cgroups/detect';
import { findCgroupDirs, makeRootfs, makeTestRoot, testTempDir, type TestRoot } from '../helpers';
import { imageCli, type ImageCli } from '../integration/helpers/images';
import { buildImage, tarDir, writeLayout } from '../integration/helpers/oci-image';

const host = detectCgroupHost();
const runnable = process.getuid?.() === 0 && host.layout === 'v2';
const SLOW = 240_000;
const MiB = 1024 * 1024;
const LIMITS = ['--memory', '200m', '--cpus', '0.5', '--pids-limit', '50'];

describe.skipIf(!runnable)('container run with resource flags on a pure cgroup v2 kernel', () => {
  let dir: string;
  let root: TestRoot;
  let cli: ImageCli;
  const c = (args: string[]) => cli.run(['--root', root.root, ...args], { timeout: SLOW });
  const ok = async (args: string[]) => {
    const r = await c(args);
    if (r.code !== 0) throw new Error(`tsrun ${args.join(' ')}: exit ${r.code}: ${r.stderr}`);
    return r.stdout;
  };

  beforeAll(async () => {
    dir = testTempDir('ctr-run-v2');
    root = makeTestRoot('ctr-run-v2');
    cli = imageCli(path.join(dir, 'cli'));
    cli.setConfig({});
    const rootfs = path.join(dir, 'rootfs');
    makeRootfs(rootfs);
    const img = buildImage([tarDir(rootfs)], { runConfig: { Env: ['PATH=/bin'], Cmd: ['sh'] } });
    const layout = path.join(dir, 'layout');
    writeLayout(layout, [{ tag: 'busybox:v2', descriptor: img.descriptor }], img.blobs);
    const { execFileSync } = await import('node:child_process');
    execFileSync('tar', ['-C', layout, '-cf', `${layout}.tar`, '.']);
    await ok(['image', 'load', '-q', '-i', `${layout}.tar`]);
  }, SLOW);

  afterAll(async () => {
    if (cli && root) {
      const ids = (await c(['container', 'ls', '-aq'])).stdout.split('\n').filter(Boolean);
      if (ids.length) await c(['container', 'rm', '-f', '-v', ...ids]);
    }
    root?.cleanup();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  }, SLOW);

  it('memory.max, memory.swap.max, cpu.max and pids.max of the container cgroup, read from the host; rm removes it', async () => {
    const id = (await ok(['container', 'run', '-d', '--network', 'none', ...LIMITS, 'busybox:v2', 'sleep', '600'])).trim();
    const doc = JSON.parse(await ok(['container', 'inspect', id])) as Array<{ State: { Pid: number } }>;
    const pid = doc[0]!.State.Pid;
    const line = fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8').trim();
    expect(line).toMatch(/^0::\//);
    const cg = path.join('/sys/fs/cgroup', line.slice(3));
    const read = (f: string) => fs.readFileSync(path.join(cg, f), 'utf8').trim();
    expect(read('memory.max')).toBe(String(200 * MiB));
    // Docker's default --memory-swap is twice --memory: 200m of swap on top
    expect(read('memory.swap.max')).toBe(String(200 * MiB));
    expect(read('cpu.max')).toBe('50000 100000');
    expect(read('pids.max')).toBe('50');
    expect(read('cgroup.procs').split('\n')).toContain(String(pid));
    await ok(['container', 'rm', '-f', id]);
    expect(fs.existsSync(cg)).toBe(false);
    expect(findCgroupDirs(id)).toEqual([]);
  }, 2 * SLOW);

  it('inside, the limits hold: forks stop at 50 tasks, an allocation past 200m is OOM-killed, CPU time stays within the quota', async () => {
    const script = [
      // pids: this shell, a subshell and 48 sleeps fill pids.max; the 49th fork fails (pids.events
      // counts it) and ends the subshell (sh exits when it cannot fork)
      '(n=0; while [ $n -lt 60 ]; do sleep 600 & n=$((n+1)); done) 2>/tmp/fork-err',
      'read pc < /sys/fs/cgroup/pids.current',
      'echo "pids:$pc $(grep ^max /sys/fs/cgroup/pids.events) fork-errors:$(grep -c "can\'t fork" /tmp/fork-err)"',
      'killall sleep',
      // memory: tail keeps /dev/zero in memory (no newline ever comes)
      'tail /dev/zero; echo "tail:$?"',
      'echo "oom:$(grep ^oom_kill /sys/fs/cgroup/memory.events)"',
      // cpu: a busy loop for a while; usage can never pass quota x periods (+ one quota)
      'read up0 idle < /proc/uptime; u0=$(grep ^usage_usec /sys/fs/cgroup/cpu.stat)',
      '(while :; do :; done) & b=$!; sleep 3; kill $b; wait',
      'read up1 idle < /proc/uptime; u1=$(grep ^usage_usec /sys/fs/cgroup/cpu.stat)',
      'echo "cpu:${u0#* } ${u1#* } uptime:$up0 $up1"',
      'grep -E "^(nr_periods|nr_throttled) " /sys/fs/cgroup/cpu.stat',
    ].join('\n');
    const r = await c(['container', 'run', '--rm', '--network', 'none', ...LIMITS, 'busybox:v2', 'sh', '-c', script]);
    expect(r.code, r.stderr).toBe(0);
    const out = r.stdout;
    // 49: the shell and 48 sleeps once the subshell has gone
    expect(out).toMatch(/^pids:49 max [1-9]\d* fork-errors:1$/m);
    expect(out).toMatch(/^tail:137$/m);
    expect(out).toMatch(/^oom:oom_kill [1-9]\d*$/m);
    const cpu = /^cpu:(\d+) (\d+) uptime:([\d.]+) ([\d.]+)$/m.exec(out);
    expect(cpu, out).not.toBeNull();
    const usedUs = Number(cpu![2]) - Number(cpu![1]);
    const wallUs = (Number(cpu![4]) - Number(cpu![3])) * 1e6;
    // the quota: 50 ms per 100 ms period; the measured window covers at most wall/100ms + 2 periods
    expect(usedUs).toBeLessThanOrEqual(50_000 * (Math.ceil(wallUs / 100_000) + 2));
    expect(out).toMatch(/^nr_periods [1-9]\d*$/m);
  }, 2 * SLOW);
});
