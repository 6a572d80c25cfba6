// tsrun-monitor's log of a detached container (native/monitor/json_log.c):
// Docker's json-file records, written by the real monitor around a stand-in
// for `tsrun create` (a shell whose background child plays the init), and the
// record writer fed cut reads through a small harness, so the UTF-8 rules are
// checked on exact read boundaries. No container is needed: the container
// path is test/integration/container-run.test.ts.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nativeExecutable } from '../../src/native';
import { decodeLogRecords } from '../../src/container/image-run/json-log';
import { testTempDir } from '../helpers';

const ROOT = path.resolve(__dirname, '..', '..');
let dir: string;
let harness: string;

beforeAll(() => {
  dir = testTempDir('monitor-log');
  harness = path.join(dir, 'json-log-harness');
  execFileSync('gcc', ['-std=gnu11', '-D_GNU_SOURCE', '-O1', '-Wall', '-Werror', `-I${path.join(ROOT, 'native', 'monitor')}`, path.join(__dirname, 'helpers', 'json-log-harness.c'), path.join(ROOT, 'native', 'monitor', 'json_log.c'), '-o', harness]);
});

afterAll(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const hex = (b: Buffer | string) => Buffer.from(b).toString('hex');

describe('the record writer', () => {
  it('one record per line; a UTF-8 sequence cut by a read waits for the next; invalid bytes become U+FFFD; control characters are escaped', () => {
    const chunks = [
      Buffer.from([0x68, 0xc3]), // "h" and the first byte of "é"
      Buffer.from([0xa9, ...Buffer.from('llo\nwor')]),
      Buffer.from([0xff, 0x01, ...Buffer.from('"\\\t\r\n')]),
      Buffer.from([0xe2, 0x82]), // the start of "€", then the end of the stream
    ];
    const out = execFileSync(harness, ['stderr', ...chunks.map(hex)], { encoding: 'utf8' });
    const lines = out.split('\n').filter(Boolean);
    const records = lines.map((l) => JSON.parse(l) as { log: string; stream: string; time: string });
    expect(records.map((r) => r.log)).toEqual(['h', 'éllo\n', 'wor', '\ufffd\u0001"\\\t\r\n', '\ufffd\ufffd']);
    for (const r of records) {
      expect(r.stream).toBe('stderr');
      expect(r.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
    }
    // the way `container logs` reads them back
    expect(decodeLogRecords(out).records.map((r) => r.log).join('')).toBe('héllo\nwor\ufffd\u0001"\\\t\r\n\ufffd\ufffd');
    expect(lines[3]).toContain('"log":"\\ufffd\\u0001\\"\\\\\\t\\r\\n"');
  });

  it('decodeLogRecords keeps a record still being written for later, and reads a line that is not a record as stdout', () => {
    const text = '{"log":"a\\n","stream":"stdout","time":"t"}\nplain text\n{"log":"b","str';
    const d = decodeLogRecords(text);
    expect(d.records).toEqual([
      { stream: 'stdout', log: 'a\n', time: 't' },
      { stream: 'stdout', log: 'plain text\n', time: '' },
    ]);
    expect(d.rest).toBe('{"log":"b","str');
  });
});

/** Run the monitor around a stand-in create whose background child is the "init"; resolves when the monitor exits. */
async function monitor(initScript: string, options: string[]): Promise<{ ready: string; code: number | null; log: string; exit: { code: number } }> {
  const d = fs.mkdtempSync(path.join(dir, 'mon-'));
  const file = (n: string) => path.join(d, n);
  // stdin through fd 3: an asynchronous list of a non-interactive shell gets /dev/null as its stdin first.
  // The "init" starts its script once the create has exited (its parent is then the monitor): dash
  // reaps its background children, so an init that ended first would be waited for by the create
  // and not by the monitor, unlike tsrun create's init
  const waitForCreateToExit = 'while read _ _ _ parent _ < /proc/$$/stat && [ "$parent" = "$CREATE" ]; do :; done; ';
  const create = ['/bin/sh', '-c', `echo created; exec 3<&0; CREATE=$$ /bin/sh -c "$1" <&3 3<&- & echo $! > "$0"`, file('init.pid'), waitForCreateToExit + initScript];
  const child = spawn(nativeExecutable('tsrun-monitor'), [...options.map((o) => o.replace('LOG', file('container.log'))), file('monitor.json'), file('exit.json'), file('init.pid'), '3', String(create.length), ...create], {
    stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
  });
  let ready = '';
  (child.stdio[3] as NodeJS.ReadableStream).on('data', (b: Buffer) => (ready += b.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  return { ready, code, log: fs.readFileSync(file('container.log'), 'utf8'), exit: JSON.parse(fs.readFileSync(file('exit.json'), 'utf8')) as { code: number } };
}

describe('tsrun-monitor --log', () => {
  it('copies stdout and stderr into json-file records, each stream in its order, and records the exit code', async () => {
    const r = await monitor('printf "one\\ntwo"; echo " three"; echo oops >&2; printf "partial"; exit 7', ['--log', 'LOG']);
    expect(r.ready).toBe('ok\n');
    expect(r.code).toBe(0);
    expect(r.exit.code).toBe(7);
    const records = decodeLogRecords(r.log).records;
    expect(records.filter((x) => x.stream === 'stdout').map((x) => x.log).join('')).toBe('created\none\ntwo three\npartial');
    expect(records.filter((x) => x.stream === 'stderr').map((x) => x.log).join('')).toBe('oops\n');
    expect(decodeLogRecords(r.log).rest).toBe('');
  });

  it('--stdin-open: stdin stays open with nothing in it (cat waits until timeout kills it); without it stdin is empty and ends', async () => {
    const script = 'timeout 2 cat; echo "cat:$?"';
    const open = await monitor(script, ['--log', 'LOG', '--stdin-open']);
    const closed = await monitor(script, ['--log', 'LOG']);
    const out = (log: string) => decodeLogRecords(log).records.filter((x) => x.stream === 'stdout').map((x) => x.log).join('');
    expect(out(closed.log)).toBe('created\ncat:0\n');
    expect(out(open.log)).toMatch(/^created\ncat:(?!0\n)\d+\n$/);
  });

  it('a failed create: the ready message names its status and its stderr is in the log before the caller reads it', async () => {
    const d = fs.mkdtempSync(path.join(dir, 'fail-'));
    const file = (n: string) => path.join(d, n);
    const create = ['/bin/sh', '-c', 'echo "no such image" >&2; exit 3'];
    const child = spawn(nativeExecutable('tsrun-monitor'), ['--log', file('container.log'), file('monitor.json'), file('exit.json'), file('init.pid'), '3', String(create.length), ...create], { stdio: ['ignore', 'ignore', 'pipe', 'pipe'] });
    let ready = '';
    (child.stdio[3] as NodeJS.ReadableStream).on('data', (b: Buffer) => (ready += b.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(code).toBe(1);
    expect(ready).toBe('create failed: 3\n');
    expect(decodeLogRecords(fs.readFileSync(file('container.log'), 'utf8')).records).toEqual([{ stream: 'stderr', log: 'no such image\n', time: expect.any(String) }]);
    expect(fs.existsSync(file('exit.json'))).toBe(false);
  });
});
