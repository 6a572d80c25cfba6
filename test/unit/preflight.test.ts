// create's preflight: config checks, cgroup resource checks and seccomp checks
// together, before any side effect. One bad value is one error.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CAPABILITIES, NAMESPACE_TYPES, parseConfig } from '../../oci-spec';
import type { Host } from '../../src/container/host';
import { preflight } from '../../src/container/preflight';
import { ConfigError } from '../../src/errors';

const bundle = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-test-preflight-'));
fs.mkdirSync(path.join(bundle, 'rootfs'));
afterAll(() => fs.rmSync(bundle, { recursive: true, force: true }));

const host = { checks: { namespaces: new Set(NAMESPACE_TYPES), boundingSet: new Set(CAPABILITIES), effectiveCaps: new Set(CAPABILITIES) } } as unknown as Host;

function errorsOf(resources: Record<string, unknown>): string[] {
  const config = parseConfig({
    ociVersion: '1.3.0',
    root: { path: 'rootfs' },
    process: { user: { uid: 0, gid: 0 }, args: ['true'], cwd: '/' },
    linux: { namespaces: [{ type: 'mount' }, { type: 'pid' }], resources },
  });
  try {
    preflight({ id: 'c1', bundle, config, host, detached: true });
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    // one line per error, each starting with the file name
    return (e as ConfigError).message.split(/; (?=config\.json: )/);
  }
  return [];
}

describe('preflight', () => {
  it('reports a swap below the memory limit once', () => {
    const errors = errorsOf({ memory: { limit: 200 * 1024 * 1024, swap: 100 * 1024 * 1024 } });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^config\.json: linux\.resources\.memory\.swap: 104857600 is below linux\.resources\.memory\.limit/);
  });

  it('reports a cpu burst above the quota once', () => {
    const errors = errorsOf({ cpu: { quota: 10000, burst: 20000 } });
    expect(errors).toEqual(['config.json: linux.resources.cpu.burst: 20000 exceeds linux.resources.cpu.quota 10000']);
  });

  it('passes a config without problems', () => {
    expect(errorsOf({ memory: { limit: 200 * 1024 * 1024, swap: -1 } })).toEqual([]);
  });
});

describe('preflight: what only the bundle or the sync channel can tell', () => {
  const base = {
    ociVersion: '1.3.0',
    root: { path: 'rootfs' },
    process: { user: { uid: 0, gid: 0 }, args: ['true'], cwd: '/' },
    linux: { namespaces: [{ type: 'mount' }, { type: 'pid' }] },
  };
  const errorsFor = (doc: Record<string, unknown>): string[] => {
    try {
      preflight({ id: 'c1', bundle, config: parseConfig(doc), host, detached: true });
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      return (e as ConfigError).message.split(/; (?=config\.json: )/);
    }
    return [];
  };

  it('refuses proc and sysfs mounted through a symlink or on a file of the rootfs (CVE-2019-16884)', () => {
    const rootfs = path.join(bundle, 'rootfs');
    fs.symlinkSync('/tmp', path.join(rootfs, 'proc'));
    fs.writeFileSync(path.join(rootfs, 'sys'), '');
    fs.mkdirSync(path.join(rootfs, 'etc'));
    fs.symlinkSync('/tmp', path.join(rootfs, 'etc', 'link'));
    try {
      const mounts = [
        { destination: '/proc', type: 'proc', source: 'proc' },
        { destination: '/sys', type: 'sysfs', source: 'sysfs' },
        { destination: '/etc/link', type: 'tmpfs', source: 'tmpfs' },
        { destination: '/etc/link/x', type: 'proc', source: 'proc' },
      ];
      expect(errorsFor({ ...base, mounts })).toEqual([
        'config.json: mounts[0].destination: filesystem "proc" must be mounted on ordinary directory: /proc is a symlink in the rootfs',
        'config.json: mounts[1].destination: filesystem "sysfs" must be mounted on ordinary directory: /sys is not a directory in the rootfs',
      ]);
    } finally {
      for (const p of ['proc', 'sys', 'etc']) fs.rmSync(path.join(rootfs, p), { recursive: true });
    }
    expect(errorsFor({ ...base, mounts: [{ destination: '/proc', type: 'proc', source: 'proc' }] })).toEqual([]);
  });

  it('refuses annotations whose state the init could not receive, naming the size and the limit (a 50 MB config)', () => {
    const errors = errorsFor({ ...base, annotations: { big: 'x'.repeat(50 * 1024 * 1024) } });
    expect(errors).toEqual([
      expect.stringMatching(
        /^config\.json: annotations: make the container state the init hands to its hooks 524289\d\d bytes; tsrun hands the init at most 262143 bytes per message \(its sync channel's limit\)$/,
      ),
    ]);
    expect(errorsFor({ ...base, annotations: { big: 'x'.repeat(200 * 1024) } })).toEqual([]);
  });
});
