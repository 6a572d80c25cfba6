import { describe, expect, it } from 'vitest';
import type { ListEntry } from '../../src/container/operations';
import { formatListJson, formatListQuiet, formatListTable, statusColumn, tabulate } from '../../src/cli/list-format';

function entry(over: Partial<ListEntry>): ListEntry {
  return {
    ociVersion: '1.3.0',
    id: 'c1',
    pid: 10,
    status: 'running',
    bundle: '/b',
    rootfs: '/b/rootfs',
    created: '2026-11-22T09:12:31.781515712Z',
    owner: 'root',
    ...over,
  };
}

describe('tabwriter-compatible table', () => {
  it('pads every column but the last to max(12, widest + 3), like runc 1.1.5 printed it', () => {
    // captured from `runc list` on the dev host
    const runcOutput =
      'ID                      PID         STATUS      BUNDLE        CREATED                          OWNER\n' +
      'a-much-longer-id-here   27083       running     /tmp/bbtest   2026-11-22T11:03:53.619619497Z   root\n' +
      'x                       27097       running     /tmp/bbtest   2026-11-22T11:03:53.646096072Z   root\n';
    const rows = [
      ['ID', 'PID', 'STATUS', 'BUNDLE', 'CREATED', 'OWNER'],
      ['a-much-longer-id-here', '27083', 'running', '/tmp/bbtest', '2026-11-22T11:03:53.619619497Z', 'root'],
      ['x', '27097', 'running', '/tmp/bbtest', '2026-11-22T11:03:53.646096072Z', 'root'],
    ];
    expect(tabulate(rows)).toBe(runcOutput);
    expect(tabulate([['a', 'b', 'c']])).toBe('a           b           c\n');
  });

  it('counts characters, not bytes', () => {
    expect(tabulate([['ü', 'x']])).toBe(`ü${' '.repeat(11)}x\n`);
  });

  it('renders runc\'s header and shows why stopped containers stopped', () => {
    const text = formatListTable([
      entry({ id: 'web', pid: 4242 }),
      entry({ id: 'batch', pid: 0, status: 'stopped', statusDetail: 'exited', bundle: '/srv/bundles/batch' }),
      entry({ id: 'broken', pid: 0, status: 'stopped', statusDetail: 'dead' }),
    ]);
    expect(text.split('\n')).toEqual([
      'ID          PID         STATUS            BUNDLE               CREATED                          OWNER',
      'web         4242        running           /b                   2026-11-22T09:12:31.781515712Z   root',
      'batch       0           stopped(exited)   /srv/bundles/batch   2026-11-22T09:12:31.781515712Z   root',
      'broken      0           stopped(dead)     /b                   2026-11-22T09:12:31.781515712Z   root',
      '',
    ]);
  });

  it('prints only the header for no containers', () => {
    expect(formatListTable([])).toBe('ID          PID         STATUS      BUNDLE      CREATED     OWNER\n');
  });

  it('marks a damaged container with the status its journal gives, and json says what is damaged', () => {
    const e = entry({ status: 'running', damage: 'state.json is empty' });
    expect(statusColumn(e)).toBe('running(damaged)');
    expect(statusColumn(entry({ status: 'stopped', pid: 0, damage: 'state.json is missing' }))).toBe('stopped(damaged)');
    expect(JSON.parse(formatListJson([e]))[0]).toMatchObject({ status: 'running', damage: 'state.json is empty' });
  });

  it('status column', () => {
    expect(statusColumn(entry({ status: 'created' }))).toBe('created');
    expect(statusColumn(entry({ status: 'stopped', statusDetail: 'dead' }))).toBe('stopped(dead)');
  });
});

describe('json and quiet', () => {
  it('json: an array plus newline; status stays "stopped", the detail is a separate field', () => {
    const text = formatListJson([entry({ status: 'stopped', pid: 0, statusDetail: 'exited' })]);
    expect(text.endsWith(']\n')).toBe(true);
    expect(JSON.parse(text)).toEqual([expect.objectContaining({ status: 'stopped', statusDetail: 'exited', pid: 0 })]);
    expect(formatListJson([])).toBe('[]\n');
  });

  it('quiet: ids, one per line', () => {
    expect(formatListQuiet([entry({ id: 'a' }), entry({ id: 'b' })])).toBe('a\nb\n');
  });
});
