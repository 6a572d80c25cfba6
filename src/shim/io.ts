// A process's stdio as containerd describes it: paths of FIFOs the client
// reads and writes (ctr, dockerd, CRI), a file:// URI, or nothing.
//
// Without a terminal the process gets the FIFOs themselves as its 0, 1 and 2:
// no byte passes through the shim. Two things make that safe:
// - opening one end of a FIFO blocks until the other end is open, and the
//   client opens its ends in the background; so the shim first opens a
//   "keeper" that never blocks (stdin: read-write, stdout/stderr: a
//   non-blocking reader), after which the process's own end opens at once;
// - the stdin keeper holds a writer, so the process does not read end-of-file
//   before the client has even opened the FIFO. It is closed by CloseIO
//   (clients call it once their input ends), and EOF follows.
// The stdout/stderr keepers are readers that never read: like containerd's
// own shim, they spare the process EPIPE if the client goes away early.
//
// With a terminal the pty master comes back over a socket pair; the shim
// relays stdin FIFO -> master and master -> stdout FIFO, without blocking its
// event loop on a slow reader.
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import * as tty from 'node:tty';
import { fromNodeError, TsrunError, UsageError } from '../errors';
import type { Native } from '../native';
import { writeAllSync } from '../write-all';

export interface StdioPaths {
  stdin: string;
  stdout: string;
  stderr: string;
  terminal: boolean;
}

const { O_RDONLY, O_WRONLY, O_RDWR, O_NONBLOCK, O_APPEND, O_CREAT, O_NOCTTY } = fs.constants;

/** How long to wait for the pty master after the process was set up. */
const MASTER_TIMEOUT_MS = 10_000;

type Target = { kind: 'none' } | { kind: 'fifo'; path: string } | { kind: 'file'; path: string };

/** What a stdio string from containerd names. binary:// (logging plugins) is refused. */
export function parseTarget(value: string): Target {
  if (value === '') return { kind: 'none' };
  if (value.startsWith('binary://')) throw new UsageError(`stdio ${value}: binary:// logging is not supported by containerd-shim-tsrun-v2`);
  if (value.startsWith('file://')) return { kind: 'file', path: decodeURIComponent(new URL(value).pathname) };
  if (value.startsWith('fifo://')) return { kind: 'fifo', path: value.slice('fifo://'.length) };
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) throw new UsageError(`stdio ${value}: unknown scheme`);
  return { kind: 'fifo', path: value };
}

export class ProcessIo {
  /** the process's 0, 1, 2 (the shim's copies are closed once the process has them) */
  readonly childFds: [number, number, number];
  private readonly fds: number[] = [];
  private stdinKeeper = -1;
  private childFdsOpen = true;
  private consolePair?: [number, number];
  private relay?: TerminalRelay;

  private constructor(
    private readonly n: Pick<Native, 'socketPair' | 'recvFd' | 'closeFd' | 'setWinsize'>,
    readonly paths: StdioPaths,
  ) {
    this.childFds = [-1, -1, -1];
  }

  /** Open what the process needs; on failure nothing stays open. */
  static open(n: Pick<Native, 'socketPair' | 'recvFd' | 'closeFd' | 'setWinsize'>, paths: StdioPaths): ProcessIo {
    const io = new ProcessIo(n, paths);
    try {
      io.openAll();
    } catch (err) {
      io.close();
      throw err;
    }
    return io;
  }

  /** With a terminal: the socket the process sends its pty master over. */
  get consoleSocketFd(): number | undefined {
    return this.consolePair?.[1];
  }

  private openAll(): void {
    const null0 = () => this.track(fs.openSync('/dev/null', O_RDWR));
    if (this.paths.terminal) {
      // the pty replaces 0-2; until then they are /dev/null, never the shim's own
      const devnull = null0();
      this.childFds.fill(devnull);
      this.consolePair = this.n.socketPair();
      this.fds.push(...this.consolePair);
      return;
    }
    const stdin = parseTarget(this.paths.stdin);
    if (stdin.kind === 'fifo') {
      this.stdinKeeper = this.track(openOrFail(stdin.path, O_RDWR | O_NONBLOCK, 'stdin'));
      this.childFds[0] = this.track(openOrFail(stdin.path, O_RDONLY, 'stdin'));
    } else if (stdin.kind === 'file') {
      this.childFds[0] = this.track(openOrFail(stdin.path, O_RDONLY, 'stdin'));
    } else {
      this.childFds[0] = null0();
    }
    this.childFds[1] = this.openOutput(parseTarget(this.paths.stdout), 'stdout', null0);
    this.childFds[2] = this.openOutput(parseTarget(this.paths.stderr), 'stderr', null0);
  }

  private openOutput(t: Target, name: string, null0: () => number): number {
    if (t.kind === 'none') return null0();
    if (t.kind === 'file') {
      fs.mkdirSync(path.dirname(t.path), { recursive: true, mode: 0o755 });
      return this.track(openOrFail(t.path, O_WRONLY | O_APPEND | O_CREAT, name, 0o644));
    }
    if (isFifo(t.path)) {
      this.track(openOrFail(t.path, O_RDONLY | O_NONBLOCK, name)); // the keeper
      return this.track(openOrFail(t.path, O_WRONLY, name));
    }
    return this.track(openOrFail(t.path, O_WRONLY | O_APPEND, name));
  }

  /** The process exists and holds its stdio: drop the shim's copies (keepers stay). */
  closeChildFds(): void {
    if (!this.childFdsOpen) return;
    this.childFdsOpen = false;
    for (const fd of new Set(this.childFds)) this.untrack(fd);
    if (this.consolePair) {
      this.untrack(this.consolePair[1]);
    }
  }

  /** Terminal: take the pty master the process sent and start relaying. */
  attachConsole(containerId: string): void {
    if (!this.consolePair) return;
    let master: number;
    try {
      master = this.n.recvFd(this.consolePair[0], MASTER_TIMEOUT_MS).fd;
    } catch (err) {
      throw new TsrunError(`receive the pty master: ${(err as Error).message}`, { containerId, cause: err });
    } finally {
      this.untrack(this.consolePair[0]);
      this.consolePair = undefined;
    }
    this.relay = new TerminalRelay(master, this.paths);
  }

  resize(width: number, height: number): void {
    if (!this.relay) throw new UsageError('the process has no terminal');
    this.relay.resize(this.n, width, height);
  }

  /** CloseIO: the client's input has ended; the process reads end-of-file. */
  closeStdin(): void {
    if (this.stdinKeeper >= 0) {
      this.untrack(this.stdinKeeper);
      this.stdinKeeper = -1;
    }
    this.relay?.closeStdin();
  }

  /** Terminal output is flushed (immediately true without a terminal). */
  drained(): Promise<void> {
    return this.relay?.done ?? Promise.resolve();
  }

  /** Everything goes: keepers, relays, whatever is left. */
  close(): void {
    this.relay?.close();
    this.relay = undefined;
    for (const fd of [...new Set(this.fds)]) this.untrack(fd);
    this.stdinKeeper = -1;
  }

  private track(fd: number): number {
    this.fds.push(fd);
    return fd;
  }

  private untrack(fd: number): void {
    const i = this.fds.indexOf(fd);
    if (i < 0) return;
    // the same fd may be listed for several of 0-2 (/dev/null)
    while (this.fds.includes(fd)) this.fds.splice(this.fds.indexOf(fd), 1);
    fs.closeSync(fd);
  }
}

function isFifo(p: string): boolean {
  try {
    return fs.statSync(p).isFIFO();
  } catch (err) {
    throw fromNodeError(`open the ${p} stdio`, err, { path: p });
  }
}

function openOrFail(p: string, flags: number, name: string, mode?: number): number {
  try {
    return fs.openSync(p, flags | O_NOCTTY, mode);
  } catch (err) {
    throw fromNodeError(`open ${name}`, err, { path: p });
  }
}

/** pty master <-> the client's FIFOs. */
class TerminalRelay {
  readonly done: Promise<void>;
  private readonly output: tty.ReadStream;
  private input?: net.Socket;
  private writer?: net.Socket;
  private readonly keepers: number[] = [];
  private masterOpen = true;

  constructor(
    private readonly master: number,
    paths: StdioPaths,
  ) {
    let finished!: () => void;
    this.done = new Promise((resolve) => (finished = resolve));
    const stdout = parseTarget(paths.stdout);
    if (stdout.kind === 'fifo' && isFifo(stdout.path)) {
      this.keepers.push(openOrFail(stdout.path, O_RDONLY | O_NONBLOCK, 'stdout'));
      this.writer = new net.Socket({ fd: openOrFail(stdout.path, O_WRONLY, 'stdout'), readable: false, writable: true });
      this.writer.on('error', () => this.writer?.destroy());
    } else if (stdout.kind !== 'none') {
      const fd = openOrFail(stdout.path, O_WRONLY | O_APPEND | (stdout.kind === 'file' ? O_CREAT : 0), 'stdout', 0o644);
      this.writer = new net.Socket({ fd, readable: false, writable: true });
      this.writer.on('error', () => this.writer?.destroy());
    }
    this.output = new tty.ReadStream(master);
    this.output.on('data', (chunk: Buffer) => {
      if (!this.writer || this.writer.destroyed) return;
      if (!this.writer.write(chunk)) {
        this.output.pause();
        this.writer.once('drain', () => this.output.resume());
      }
    });
    // EIO: every slave fd is closed, the kernel's end of file for a pty
    const end = () => {
      if (!this.masterOpen) return;
      this.masterOpen = false;
      this.input?.destroy();
      if (this.writer && !this.writer.destroyed) this.writer.end(() => finished());
      else finished();
    };
    this.output.on('error', end);
    this.output.on('end', end);
    this.output.on('close', end);

    const stdin = parseTarget(paths.stdin);
    if (stdin.kind === 'fifo') {
      // read-write: a writer of our own, so no end-of-file before the client opens its end
      this.input = new net.Socket({ fd: openOrFail(stdin.path, O_RDWR | O_NONBLOCK, 'stdin'), readable: true, writable: false });
      this.input.on('data', (chunk: Buffer) => {
        if (this.masterOpen) writeAllSync(this.master, chunk);
      });
      this.input.on('error', () => this.input?.destroy());
    }
  }

  resize(n: Pick<Native, 'setWinsize'>, width: number, height: number): void {
    if (this.masterOpen) n.setWinsize(this.master, height, width);
  }

  closeStdin(): void {
    this.input?.destroy();
    this.input = undefined;
  }

  close(): void {
    this.input?.destroy();
    this.masterOpen = false;
    this.output.destroy(); // closes the master
    this.writer?.destroy();
    for (const fd of this.keepers.splice(0)) fs.closeSync(fd);
  }
}
