import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { configureLogging, errorChainMessage, formatJson, formatText, log, logsToStderr, quoteValue, reportFatal } from '../../src/log';
import { SyscallError, TsrunError, fromNodeError } from '../../src/errors';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-test-log-'));
afterAll(() => {
  configureLogging({ format: 'text', debug: false });
  fs.rmSync(dir, { recursive: true, force: true });
});

// What containerd's shim accepts as a time (Go time.Parse with RFC3339).
const GO_RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]\d\d:\d\d)$/;

function lines(file: string): string[] {
  return fs.readFileSync(file, 'utf8').split('\n').filter(Boolean);
}

describe('json log file', () => {
  it('appends one logrus-shaped object per line, levels named like logrus', () => {
    const file = path.join(dir, 'log.json');
    fs.writeFileSync(file, '{"level":"info","msg":"earlier call","time":"2026-11-22T09:00:00Z"}\n');
    configureLogging({ file, format: 'json', debug: false });
    expect(logsToStderr()).toBe(false);
    log.debug('not shown without --debug');
    log.info('hello', { id: 'c1' });
    log.warn('careful');
    log.error('boom: "quoted"\nsecond line');
    const recs = lines(file).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(recs.map((r) => r.level)).toEqual(['info', 'info', 'warning', 'error']);
    expect(recs[1]).toMatchObject({ msg: 'hello', id: 'c1' });
    expect(recs[3]!.msg).toBe('boom: "quoted"\nsecond line');
    for (const r of recs.slice(1)) {
      expect(Object.keys(r).sort()).toEqual(expect.arrayContaining(['level', 'msg', 'time']));
      expect(r.time).toMatch(GO_RFC3339);
    }
    expect(fs.statSync(file).mode & 0o777).toBe(0o644);
  });

  it('creates the file 0644 and writes debug records with --debug', () => {
    const file = path.join(dir, 'debug.json');
    configureLogging({ file, format: 'json', debug: true });
    log.debug('details');
    expect(JSON.parse(lines(file)[0]!)).toMatchObject({ level: 'debug', msg: 'details' });
    expect(fs.statSync(file).mode & 0o777).toBe(0o644);
  });

  it('reportFatal leaves the root cause as the last error record', () => {
    const file = path.join(dir, 'fatal.json');
    configureLogging({ file, format: 'json', debug: false });
    const root = new Error('executable file not found in $PATH');
    reportFatal(new TsrunError('unable to start container process', { cause: new TsrunError('exec: "foo"', { cause: root }) }));
    const last = JSON.parse(lines(file).at(-1)!) as { level: string; msg: string };
    expect(last).toMatchObject({ level: 'error', msg: 'unable to start container process: exec: "foo": executable file not found in $PATH' });
  });
});

describe('text format', () => {
  it('writes logrus text records to the file', () => {
    const file = path.join(dir, 'log.txt');
    configureLogging({ file, format: 'text', debug: false });
    log.error('container does not exist', { id: 'c 1' });
    expect(lines(file)).toEqual([expect.stringMatching(/^time="[^"]+" level=error msg="container does not exist" id="c 1"$/)]);
  });

  it('formats records and quotes like logrus', () => {
    const time = '2026-11-22T09:12:39.000Z';
    expect(formatText({ level: 'warning', time, msg: 'x', fields: [['b', 2], ['a', 'ok']] })).toBe(`time="${time}" level=warning msg=x a=ok b=2\n`);
    expect(formatText({ level: 'debug', time, msg: 'a b', fields: [['argv', ['state', 'c 1']], ['n', null]] })).toBe(
      `time="${time}" level=debug msg="a b" argv="[\\"state\\",\\"c 1\\"]" n=null\n`,
    );
    expect(quoteValue('plain-value_1.2/x@y^z+')).toBe('plain-value_1.2/x@y^z+');
    expect(quoteValue('has space')).toBe('"has space"');
    expect(quoteValue('')).toBe('""');
    expect(quoteValue('a"b\\c\n')).toBe('"a\\"b\\\\c\\n"');
  });
});

describe('json format', () => {
  it('writes level, time, the fields in order, then msg, as pino did', () => {
    const time = '2026-11-22T09:12:39.000Z';
    expect(formatJson({ level: 'error', time, msg: 'boom: "x"\n', fields: [] })).toBe(`{"level":"error","time":"${time}","msg":"boom: \\"x\\"\\n"}\n`);
    expect(formatJson({ level: 'debug', time, msg: 'm', fields: [['z', 1], ['a', ['s']], ['inf', Infinity]] })).toBe(
      `{"level":"debug","time":"${time}","z":1,"a":["s"],"inf":null,"msg":"m"}\n`,
    );
  });

  it('leaves out undefined fields and ones that would shadow level, time or msg; writes what cannot be serialized as a marker', () => {
    const file = path.join(dir, 'fields.json');
    configureLogging({ file, format: 'json', debug: true });
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    log.debug('m', { gone: undefined, level: 'fake', msg: 'fake', keep: 'k', cyclic, big: 1n });
    const rec = JSON.parse(lines(file)[0]!) as Record<string, unknown>;
    expect(rec).toEqual({ level: 'debug', time: expect.stringMatching(GO_RFC3339), keep: 'k', cyclic: '[unable to serialize]', big: '[unable to serialize]', msg: 'm' });
  });
});

describe('error chains', () => {
  it('appends causes that the message does not already carry', () => {
    const e = new TsrunError('create failed', { cause: new Error('mount /proc: permission denied') });
    expect(errorChainMessage(e)).toBe('create failed: mount /proc: permission denied');
  });

  it('does not repeat a Node system error that a SyscallError already describes', () => {
    const nodeErr = Object.assign(new Error("ENOENT: no such file or directory, open '/x'"), { code: 'ENOENT', syscall: 'open', path: '/x' });
    const e = fromNodeError('read config', nodeErr);
    expect(e).toBeInstanceOf(SyscallError);
    expect(errorChainMessage(e)).toBe('read config: open /x: no such file or directory (ENOENT)');
  });

  it('handles non-Error values and cycles', () => {
    expect(errorChainMessage('plain')).toBe('plain');
    const a = new Error('a') as Error & { cause?: unknown };
    const b = new Error('b', { cause: a });
    a.cause = b;
    expect(errorChainMessage(a)).toBe('a: b');
  });
});
