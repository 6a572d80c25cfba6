// fd passing over real unix sockets: Native.sendFd/recvFd/connectUnix/
// listenUnix/acceptUnix (native/src/fdpass*.c).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { native } from '../../src/native';
import { buildCHelpers, type CHelpers } from './helpers/cbuild';
import { testTempDir } from '../helpers/ids';

const O_CLOEXEC = 0o2000000;

let c: CHelpers;
let work: string;
let seq = 0;
const opened: number[] = [];

beforeAll(() => {
  c = buildCHelpers();
  work = testTempDir('fdpass');
});

afterEach(() => {
  while (opened.length) {
    try {
      fs.closeSync(opened.pop()!);
    } catch {
      // already closed by the test
    }
  }
});

afterAll(() => {
  c?.cleanup();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

function track(fd: number): number {
  opened.push(fd);
  return fd;
}

function cloexec(fd: number): boolean {
  const info = fs.readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8');
  const flags = parseInt(/^flags:\s+([0-7]+)$/m.exec(info)![1], 8);
  return (flags & O_CLOEXEC) !== 0;
}

function openFds(): number {
  return fs.readdirSync('/proc/self/fd').length;
}

/** listening socket + a connected pair on it */
function pair(sock = path.join(work, `s${++seq}.sock`)): { listen: number; client: number; server: number } {
  const n = native();
  const listen = track(n.listenUnix(sock));
  const client = track(n.connectUnix(sock));
  const server = track(n.acceptUnix(listen, 5000));
  return { listen, client, server };
}

describe('sendFd / recvFd', () => {
  it('passes an fd and its label in one message; every fd is close-on-exec', () => {
    const n = native();
    const { listen, client, server } = pair();
    const file = path.join(work, `f${++seq}`);
    fs.writeFileSync(file, 'payload');
    const fd = track(fs.openSync(file, 'r'));
    n.sendFd(client, '/dev/pts/3', fd);
    const got = n.recvFd(server, 5000);
    track(got.fd);
    expect(got.data).toBe('/dev/pts/3');
    expect(got.fd).not.toBe(fd);
    expect(fs.fstatSync(got.fd).ino).toBe(fs.fstatSync(fd).ino);
    expect(fs.readFileSync(got.fd, 'utf8')).toBe('payload');
    for (const f of [listen, client, server, got.fd]) expect(cloexec(f)).toBe(true);
  });

  it('accepts a Buffer label and sendFdStream delivers the same way', () => {
    const n = native();
    const { client, server } = pair();
    n.sendFdStream(client, Buffer.from('{"ociVersion":"1.3.0"}'), 0);
    const got = n.recvFd(server, 5000);
    track(got.fd);
    expect(got.data).toBe('{"ociVersion":"1.3.0"}');
  });

  it('refuses empty data and data of 4096 bytes or more, sending nothing', () => {
    const n = native();
    const { client, server } = pair();
    expect(() => n.sendFd(client, '', 0)).toThrow(RangeError);
    expect(() => n.sendFd(client, 'x'.repeat(4096), 0)).toThrow(/1\.\.4095 bytes/);
    expect(() => n.recvFd(server, 50)).toThrow(expect.objectContaining({ code: 'ETIMEDOUT' }));
    n.sendFd(client, 'x'.repeat(4095), 0);
    track(n.recvFd(server, 5000).fd);
  });

  it.each([
    [2, /got 1 control messages and 2 fds/],
    [0, /got 0 control messages and 0 fds/],
  ])('rejects a message with %i fds and leaks none', (count, message) => {
    const n = native();
    const sock = path.join(work, `s${++seq}.sock`);
    const listen = track(n.listenUnix(sock));
    const r = spawnSync(c.fdsend, [sock, String(count), 'label'], { stdio: 'ignore' });
    expect(r.status).toBe(0);
    const server = track(n.acceptUnix(listen, 5000));
    const before = openFds();
    expect(() => n.recvFd(server, 5000)).toThrow(expect.objectContaining({ code: 'EPROTO', message: expect.stringMatching(message) }));
    expect(openFds()).toBe(before);
  });

  it('reports a peer that closed without sending', () => {
    const n = native();
    const { client, server } = pair();
    fs.closeSync(client);
    opened.splice(opened.indexOf(client), 1);
    expect(() => n.recvFd(server, 5000)).toThrow(/peer closed/);
  });
});

describe('connectUnix / listenUnix', () => {
  it('reaches a socket whose path is longer than sun_path (108 bytes)', () => {
    let dir = work;
    while (dir.length < 150) dir = path.join(dir, 'a-rather-long-directory-name');
    fs.mkdirSync(dir, { recursive: true });
    const sock = path.join(dir, 'agent.sock');
    expect(sock.length).toBeGreaterThan(108);
    const { client, server } = pair(sock);
    expect(fs.statSync(sock).isSocket()).toBe(true);
    native().sendFd(client, 'long', 0);
    const got = native().recvFd(server, 5000);
    track(got.fd);
    expect(got.data).toBe('long');
  });

  it('fails with the errno and the path', () => {
    const missing = path.join(work, 'no-such.sock');
    expect(() => native().connectUnix(missing)).toThrow(
      expect.objectContaining({ code: 'ENOENT', syscall: 'connect', path: missing }),
    );
  });

  it('acceptUnix times out when nobody connects', () => {
    const listen = track(native().listenUnix(path.join(work, `s${++seq}.sock`)));
    expect(() => native().acceptUnix(listen, 20)).toThrow(expect.objectContaining({ code: 'ETIMEDOUT' }));
  });
});
