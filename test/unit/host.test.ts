import { describe, expect, it } from 'vitest';
import { parseHardLimits } from '../../src/container/host';
import { idMapText } from '../../src/rootless/idmap';

describe('parseHardLimits', () => {
  it('reads the hard column of /proc/self/limits, unlimited as 2^64-1', () => {
    const text = [
      'Limit                     Soft Limit           Hard Limit           Units     ',
      'Max cpu time              unlimited            unlimited            seconds   ',
      'Max processes             96365                96365                processes ',
      'Max open files            20000                20000                files     ',
    ].join('\n');
    expect(parseHardLimits(text)).toEqual({
      RLIMIT_CPU: 2n ** 64n - 1n,
      RLIMIT_NPROC: 96365n,
      RLIMIT_NOFILE: 20000n,
    });
  });
});

describe('idMapText', () => {
  it('writes one "inside outside count" line per mapping', () => {
    expect(idMapText([{ containerID: 0, hostID: 100000, size: 65536 }, { containerID: 65536, hostID: 5000, size: 1 }])).toBe(
      '0 100000 65536\n65536 5000 1\n',
    );
  });
});
