// Terminals for real: `run` and `exec -t` under a pty (script(1)) relay the
// container's own pty to tsrun's stdio; --console-socket hands the master to
// a receiver that checks the message the way go-runc does.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLI_MAIN, cliEnv, containerLab, makeBundle, uniqueId, waitFor, type Bundle } from '../helpers';
import { sleep } from '../helpers';

const children: ChildProcess[] = [];
const lab = containerLab('tty', {
  cleanup: () => {
    for (const c of children) c.kill('SIGKILL');
  },
});
const { root, work } = lab;
let receiverBin: string;

beforeAll(() => {
  receiverBin = path.join(work, 'console-receiver');
  execFileSync('gcc', ['-std=gnu11', '-D_GNU_SOURCE', '-O1', '-Wall', '-Werror', path.join(__dirname, 'helpers', 'console-receiver.c'), '-o', receiverBin]);
});

function bundle(args: string[], terminal: boolean, extra: Record<string, unknown> = {}): Bundle {
  const b = makeBundle((spec) => {
    spec.process.args = args;
    spec.process.terminal = terminal;
    Object.assign(spec.process, extra);
  }, { parent: work });
  lab.bundles.push(b);
  return b;
}

function newId(label: string): string {
  return lab.id(label);
}

/** The built CLI as a shell word list for script -c. */
function cli(args: string[]): string {
  return [process.execPath, CLI_MAIN, '--root', root, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
}

interface Result {
  code: number | null;
  out: string;
}

/** Run a shell command line on a fresh pty (script -qec), feeding `input` to it. */
function underPty(command: string, input = '', timeoutMs = 30_000): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qec', command, '/dev/null'], { env: cliEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
    children.push(child);
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
    // keep stdin open until the command is done: EOF would end script early
    if (input) setTimeout(() => child.stdin.write(input), 1500);
  });
}

describe('foreground run with process.terminal', () => {
  it('gets a working controlling tty of the container devpts, sized like ours, and its exit status', async () => {
    const b = bundle(['sh', '-c', 'tty; stty size; [ -t 0 ] && [ -t 1 ] && [ -t 2 ] && echo all-tty; ls -l /proc/self/fd; exit 3'], true);
    const id = newId('run-tty');
    const r = await underPty(`stty rows 31 cols 91; ${cli(['run', '--bundle', b.dir, id])}`);
    expect(r.code, r.out).toBe(3);
    const lines = r.out.split(/\r?\n/);
    expect(lines).toContain('/dev/pts/0');
    expect(lines).toContain('31 91');
    expect(lines).toContain('all-tty');
    // raw relay: the container's pty already turned \n into \r\n, ours must not add another \r
    expect(r.out).not.toContain('\r\r\n');
    expect(fs.existsSync(path.join(root, id))).toBe(false); // deleted after it exited
  });

  it('relays our keyboard to the container', async () => {
    const b = bundle(['sh', '-c', 'read line; echo "got:$line"'], true);
    const id = newId('run-input');
    const r = await underPty(cli(['run', '--bundle', b.dir, id]), 'hello\r');
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain('got:hello');
  });

  it('keeps the window size in sync (SIGWINCH)', async () => {
    const b = bundle(['sh', '-c', 'stty size; i=0; while [ "$(stty size)" = "31 91" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done; stty size'], true);
    const id = newId('run-winch');
    // a background job (stdin is /dev/null for those) resizes the pty tsrun sits
    // on; the kernel sends the foreground group, tsrun included, SIGWINCH
    const r = await underPty(`stty rows 31 cols 91; (sleep 3; stty rows 40 cols 120 </dev/tty) & ${cli(['run', '--bundle', b.dir, id])}; wait`);
    expect(r.code, r.out).toBe(0);
    const sizes = r.out.split(/\r?\n/).filter((l) => /^\d+ \d+$/.test(l));
    expect(sizes).toEqual(['31 91', '40 120']);
  });

  it('restores our terminal settings afterwards', async () => {
    const b = bundle(['true'], true);
    const id = newId('run-restore');
    const r = await underPty(`stty -g > ${work}/before; ${cli(['run', '--bundle', b.dir, id])}; stty -g > ${work}/after`);
    expect(r.code, r.out).toBe(0);
    expect(fs.readFileSync(`${work}/after`, 'utf8')).toBe(fs.readFileSync(`${work}/before`, 'utf8'));
  });
});

describe('exec -t without a console socket', () => {
  it('relays a new pty of the container devpts and exits with the process status', async () => {
    const b = bundle(['sleep', '1000'], false);
    const id = newId('exec-tty');
    const d = await lab.runDetached(['run', '-d', '--bundle', b.dir, id], b.dir);
    expect(d.code, d.stderr()).toBe(0);
    const r = await underPty(`stty rows 22 cols 77; ${cli(['exec', '-t', id, 'sh', '-c', 'tty; stty size; read l; echo "got:$l"; exit 7'])}`, 'typed\r');
    expect(r.code, r.out).toBe(7);
    const lines = r.out.split(/\r?\n/);
    expect(lines.some((l) => /^\/dev\/pts\/\d+$/.test(l))).toBe(true);
    expect(lines).toContain('22 77');
    expect(lines).toContain('got:typed');
    expect((await lab.forceDelete(id)).code).toBe(0);
  });
});

/** The C receiver: resolves with its report once the master arrived; `lines` collects the terminal output. */
function startReceiver(sock: string): Promise<{ proc: ChildProcess; report: Record<string, number | string>; output: () => string }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(receiverBin, [sock], { stdio: ['pipe', 'pipe', 'inherit'] });
    children.push(proc);
    let buf = '';
    let reported = false;
    proc.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const m = /^(\{.*\})$/m.exec(buf);
      if (m && !reported) {
        reported = true;
        resolve({ proc, report: JSON.parse(m[1]!) as Record<string, number | string>, output: () => buf });
      }
    });
    proc.on('error', reject);
    proc.on('exit', (code) => {
      if (!reported) reject(new Error(`console receiver exited (${code}): ${buf}`));
    });
  });
}

async function waitListening(sock: string): Promise<void> {
  for (let i = 0; i < 200 && !fs.existsSync(sock); i++) await sleep(10);
}

function expectGoRuncShape(report: Record<string, number | string>): void {
  expect(report.bytes).toBeGreaterThan(0);
  expect(report.bytes).toBeLessThan(4096);
  expect(report.controllen).toBe(report.oneFdControllen);
  expect(report).toMatchObject({ cmsgs: 1, rightsFds: 1, otherCmsgs: 0, truncated: 0, eofAfter: 1, isPtyMaster: 1 });
}

describe('--console-socket', () => {
  it('create sends exactly one message with one fd: a working pty master with consoleSize applied', async () => {
    const sock = path.join(os.tmpdir(), `${uniqueId('cs')}.sock`);
    const b = bundle(['sh', '-c', 'tty; stty size; read l; echo "got:$l"; exit 5'], true, { consoleSize: { height: 25, width: 81 } });
    const id = newId('console');
    const receiver = startReceiver(sock);
    await waitListening(sock);
    const c = await lab.runDetached(['create', '--console-socket', sock, '--bundle', b.dir, id], b.dir, 'create');
    expect(c.code, c.stderr()).toBe(0);
    expect(c.stdout() + c.stderr()).toBe(''); // a successful create prints nothing
    const { proc, report, output } = await receiver;
    fs.rmSync(sock, { force: true });
    expect(report.name).toMatch(/^\/dev\/pts\/\d+$/);
    expectGoRuncShape(report);
    const s = await lab.runDetached(['start', id], b.dir, 'start');
    expect(s.code, s.stderr()).toBe(0);
    proc.stdin!.write('hello\r');
    await waitFor('the container to answer', () => output().includes('got:hello'));
    const out = output().split(/\r?\n/);
    expect(out).toContain('/dev/pts/0');
    expect(out).toContain('25 81');
    await lab.waitForStatus(id, 'stopped');
  });

  it('exec --detach --console-socket with a terminal process file (the shim\'s shape)', async () => {
    const b = bundle(['sleep', '1000'], false);
    const id = newId('exec-cs');
    const d = await lab.runDetached(['run', '-d', '--bundle', b.dir, id], b.dir);
    expect(d.code, d.stderr()).toBe(0);
    const sock = path.join(os.tmpdir(), `${uniqueId('cs')}.sock`);
    const processFile = path.join(b.dir, 'exec-process.json');
    fs.writeFileSync(
      processFile,
      JSON.stringify({ terminal: true, user: { uid: 0, gid: 0 }, args: ['sh', '-c', 'tty; read l; echo "exec-got:$l"'], env: ['PATH=/bin'], cwd: '/' }),
    );
    const pidFile = path.join(b.dir, 'exec.pid');
    const receiver = startReceiver(sock);
    await waitListening(sock);
    const e = await lab.runDetached(['exec', '--process', processFile, '--console-socket', sock, '--detach', '--pid-file', pidFile, id], b.dir, 'exec');
    expect(e.code, e.stderr()).toBe(0);
    const { proc, report, output } = await receiver;
    fs.rmSync(sock, { force: true });
    expectGoRuncShape(report);
    expect(fs.readFileSync(pidFile, 'utf8')).toMatch(/^\d+$/);
    proc.stdin!.write('x\r');
    await waitFor('the exec to answer', () => output().includes('exec-got:x'));
    expect(output().split(/\r?\n/).some((l) => /^\/dev\/pts\/\d+$/.test(l))).toBe(true);
    expect((await lab.state(id)).status).toBe('running');
    expect((await lab.forceDelete(id)).code).toBe(0);
  });
});
