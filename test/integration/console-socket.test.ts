// `create --console-socket` with process.terminal: the pty master arrives on
// the socket before create returns (what containerd's shim and conmon wait
// for), the container gets the slave as its controlling terminal, stdio and
// /dev/console, and tsrun's own stdio stay off it.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { native } from '../../src/native';
import {
  assertNoLeftovers,
  containerLab,
  PROCESS_TAG,
  snapshotLeftovers,
  tsrun,
  tsrunSpawn,
  uniqueId,
} from '../helpers';

const lab = containerLab('console');
const { root, work, bundles } = lab;

const cli = (...args: string[]) => tsrun(['--root', root, ...args], { viaFiles: true });

/** Everything the container writes to its terminal, until the last slave closes (EIO) or `until` holds. */
function readUntilClosed(master: number, until: (out: string) => boolean = () => false): string {
  const buf = Buffer.alloc(4096);
  let out = '';
  while (!until(out)) {
    let n: number;
    try {
      n = fs.readSync(master, buf, 0, buf.length, null);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EIO') return out;
      if ((e as NodeJS.ErrnoException).code === 'EAGAIN') continue;
      throw e;
    }
    if (n === 0) return out;
    out += buf.subarray(0, n).toString('utf8');
  }
  return out;
}

describe('create --console-socket', () => {
  it('sends the pty master before create returns; the container runs on the slave', async () => {
    const n = native();
    const b = lab.shBundle('tty; stty size; ls -l /dev/console; ls -l /proc/1/fd/0 /proc/1/fd/1 /proc/1/fd/2; read line; echo "got:$line"', {
      process: { terminal: true, consoleSize: { height: 30, width: 100 } },
    });
    bundles.push(b);
    const sock = path.join(work, 'console.sock');
    const listen = n.listenUnix(sock);
    const id = uniqueId('tty');
    try {
      // tsrun's stdio are pipes, as under the shim: they must not end up held by the container
      const p = tsrunSpawn(['--root', root, 'create', '--bundle', b.dir, '--console-socket', sock, id]);
      const conn = n.acceptUnix(listen, 20_000);
      const { fd: master, data } = n.recvFd(conn, 20_000);
      n.closeFd(conn);
      try {
        expect(data).toMatch(/^\/dev\/pts\/\d+$/);
        expect((await p.exited).code).toBe(0);
        // `done` resolves only once nobody holds tsrun's pipes any more
        const r = await Promise.race([
          p.done,
          new Promise<never>((_, reject) => setTimeout(() => reject(new Error("the container holds tsrun's stdout/stderr")), 5000)),
        ]);
        expect([r.code, r.stdout, r.stderr]).toEqual([0, '', '']);
        expect((await lab.state(id)).status).toBe('created');
        expect((await cli('start', id)).code).toBe(0);
        // type only once the container waits in `read`: the terminal echoes input at once,
        // so typed earlier it would land between the container's first lines
        const before = readUntilClosed(master, (out) => /\/proc\/1\/fd\/2 -> [^\n]*\n/.test(out.replace(/\r\n/g, '\n')));
        fs.writeSync(master, 'hello\n');
        const lines = (before + readUntilClosed(master)).replace(/\r\n/g, '\n').split('\n');
        expect(lines[0]).toBe('/dev/pts/0'); // tty
        expect(lines[1]).toBe('30 100'); // consoleSize
        // /dev/console is the pty (bind of the slave), and fds 0-2 are the slave
        expect(lines[2]).toMatch(/^crw--w---- +1 root +tty +136, +0 .* \/dev\/console$/);
        for (const fd of [0, 1, 2]) expect(lines[3 + fd]).toMatch(new RegExp(`/proc/1/fd/${fd} -> /dev/pts/0$`));
        // our input reached the container's stdin (and was echoed by the terminal)
        expect(lines.slice(6)).toEqual(['hello', 'got:hello', '']);
      } finally {
        fs.closeSync(master);
      }
    } finally {
      n.closeFd(listen);
      fs.rmSync(sock, { force: true });
      await cli('delete', '--force', id);
    }
  });

  it('a console socket without a terminal, or one nobody listens on, fails create and leaves nothing', async () => {
    const noTty = lab.shBundle('true');
    const sock = path.join(work, 'unused.sock');
    const listen = native().listenUnix(sock);
    try {
      const snap = snapshotLeftovers({ root, match: PROCESS_TAG });
      const id = uniqueId('notty');
      const r = await cli('create', '--bundle', noTty.dir, '--console-socket', sock, id);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('config.json: process.terminal: cannot use console socket if tsrun will not detach or allocate tty');
      assertNoLeftovers(snap);
    } finally {
      native().closeFd(listen);
      fs.rmSync(sock, { force: true });
    }
    const tty = lab.shBundle('true', { process: { terminal: true } });
    const snap = snapshotLeftovers({ root, match: PROCESS_TAG });
    const r = await cli('create', '--bundle', tty.dir, '--console-socket', path.join(work, 'nobody.sock'), uniqueId('nosock'));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`connect to the console socket: connect ${path.join(work, 'nobody.sock')}: no such file or directory (ENOENT)`);
    assertNoLeftovers(snap);
  });
});
