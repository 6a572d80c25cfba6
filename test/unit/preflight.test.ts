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
