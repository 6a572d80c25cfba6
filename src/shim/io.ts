// A process's stdio as containerd describes it: paths of FIFOs the client
// reads and writes (ctr, dockerd, CRI), a file:// URI, or nothing.
//
// Without a terminal the process gets the FIFOs themselves as its 0, 1 and 2:
// no byte passes through the shim. Opening one end of a FIFO blocks until the
// other end is open, and clients open theirs in the background, so:
// - stdout/stderr: the shim first opens a "keeper" reader that never blocks
//   and never reads, after which the process's writer opens at once. Like
//   containerd's own shim, the keeper also spares the process EPIPE if the
//   client goes away early (it is closed when the process is deleted);
// - stdin: the process's reader is opened (see openFifoReader) so that it
//   has exactly the client's writers: it reads the client's input and, once
//   the client has closed its end, end-of-file. A client that opens its end
//   only after Create arrived would see the process read end-of-file early;
//   containerd's clients (ctr, dockerd, CRI) start opening theirs before.
//
// With a terminal the pty master comes back over a socket pair; the shim
// relays stdin FIFO -> master and master -> stdout FIFO, without blocking its
// event loop on a slow reader. A binary:// URI starts a logging binary that
// reads the process's output from pipes (containerd's logging plugins).
import { spawn, type ChildProcess } from 'node:child_process';
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

type IoNative = Pick<Native, 'socketPair' | 'recvFd' | 'closeFd' | 'setWinsize' | 'pipe'>;

/** Who a binary:// logger logs for (its environment). */
export interface LoggerEnv {
  id: string;
  namespace: string;
}

const LOGGER_READY_MS = 10_000;
const LOGGER_STOP_MS = 12_000;

/** How long to wait for the pty master after the process was set up. */
const MASTER_TIMEOUT_MS = 10_000;
/**
 * The read end of a FIFO, in blocking mode, opened without waiting for a
 * writer: a read-write open of our own counts as the writer the blocking open
 * waits for, and is closed right after. The reader then has exactly the
 * client's writers: its reads wait while the client's end is open (or its
 * open is under way), and end-of-file comes once the client has closed it.
 */
function openFifoReader(p: string): number {
  const keeper = openOrFail(p, O_RDWR | O_NONBLOCK, 'stdin');
  try {
    return openOrFail(p, O_RDONLY, 'stdin');
  } finally {
    fs.closeSync(keeper);
  }
}

type Target =
  | { kind: 'none' }
  | { kind: 'fifo'; path: string }
  | { kind: 'file'; path: string }
  /** a logging binary (containerd's binary:// scheme): its path, and the query as arguments */
  | { kind: 'binary'; path: string; args: string[] };

/** What a stdio string from containerd names. */
export function parseTarget(value: string): Target {
  if (value === '') return { kind: 'none' };
  if (value.startsWith('binary://')) {
    const url = new URL(value);
    // containerd's NewBinaryCmd: every query key, then its first value if it has one
    const args: string[] = [];
    for (const key of new Set(url.searchParams.keys())) {
      args.push(key);
      const v = url.searchParams.get(key);
      if (v) args.push(v);
    }
    return { kind: 'binary', path: decodeURIComponent(url.pathname), args };
  }
  if (value.startsWith('file://')) return { kind: 'file', path: decodeURIComponent(new URL(value).pathname) };
  if (value.startsWith('fifo://')) return { kind: 'fifo', path: value.slice('fifo://'.length) };
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) throw new UsageError(`stdio ${value}: unknown scheme`);
  return { kind: 'fifo', path: value };
}

export class ProcessIo {
  /** the process's 0, 1, 2 (the shim's copies are closed once the process has them) */
  readonly childFds: [number, number, number];
  private readonly fds: number[] = [];
  /** terminal: the stdin FIFO's reader, relayed to the pty master */
  private terminalInput = -1;
  private childFdsOpen = true;
  private logger?: ChildProcess;
  private consolePair?: [number, number];
  private relay?: TerminalRelay;

  private constructor(
    private readonly n: IoNative,
    readonly paths: StdioPaths,
  ) {
    this.childFds = [-1, -1, -1];
  }

  /** Open what the process needs; on failure nothing stays open. */
  static async open(n: IoNative, paths: StdioPaths, owner: LoggerEnv): Promise<ProcessIo> {
    const io = new ProcessIo(n, paths);
    try {
      const out = parseTarget(paths.stdout);
      if (out.kind === 'binary') {
        if (paths.terminal) throw new UsageError(`stdio ${paths.stdout}: a binary:// logger with a terminal is not supported by containerd-shim-tsrun-v2`);
        await io.openLogger(out, owner);
      } else {
        io.openAll();
      }
    } catch (err) {
      io.close();
      throw err;
    }
    return io;
  }

  /**
   * containerd's binary:// logging: the logger gets the read ends of a stdout
   * and a stderr pipe as fds 3 and 4, and fd 5, which it closes (or writes to)
   * when it is ready; its environment is CONTAINER_ID and CONTAINER_NAMESPACE.
   * The process writes to the pipes; stdin is /dev/null.
   */
  private async openLogger(t: Extract<Target, { kind: 'binary' }>, owner: LoggerEnv): Promise<void> {
    const [outR, outW] = this.n.pipe().map((fd) => this.track(fd)) as [number, number];
    const [errR, errW] = this.n.pipe().map((fd) => this.track(fd)) as [number, number];
    const [readyR, readyW] = this.n.pipe().map((fd) => this.track(fd)) as [number, number];
    let child: ChildProcess;
    try {
      child = spawn(t.path, t.args, {
        stdio: ['ignore', 'ignore', 'ignore', outR, errR, readyW],
        env: { CONTAINER_ID: owner.id, CONTAINER_NAMESPACE: owner.namespace },
      });
    } catch (err) {
      throw fromNodeError('start the logging binary', err, { path: t.path });
    }
    this.logger = child;
    for (const fd of [outR, errR, readyW]) this.untrack(fd);
    const failed = new Promise<never>((_, reject) => child.once('error', (err) => reject(fromNodeError('start the logging binary', err, { path: t.path }))));
    const ready = new Promise<void>((resolve) => {
      const r = new net.Socket({ fd: readyR, readable: true, writable: false });
      this.fds.splice(this.fds.indexOf(readyR), 1); // the socket owns it
      const done = () => {
        r.destroy();
        resolve();
      };
      r.once('data', done);
      r.once('end', done);
      r.once('error', done);
    });
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new TsrunError(`the logging binary ${t.path} did not get ready within ${LOGGER_READY_MS / 1000} s`)), LOGGER_READY_MS);
    });
    try {
      await Promise.race([ready, failed, late]);
    } finally {
      clearTimeout(timer);
    }
    this.childFds[0] = this.track(fs.openSync('/dev/null', O_RDONLY));
    this.childFds[1] = outW;
    this.childFds[2] = errW;
  }

  /** With a terminal: the socket the process sends its pty master over. */
  get consoleSocketFd(): number | undefined {
    return this.consolePair?.[1];
  }

  private openAll(): void {
    const null0 = () => this.track(fs.openSync('/dev/null', O_RDWR));
    const stdin = parseTarget(this.paths.stdin);
    const stdinFifo = stdin.kind === 'fifo' && isFifo(stdin.path) ? this.track(openFifoReader(stdin.path)) : -1;
    if (this.paths.terminal) {
      // the pty replaces 0-2; until then they are /dev/null, never the shim's own
      const devnull = null0();
      this.childFds.fill(devnull);
      this.consolePair = this.n.socketPair();
      this.fds.push(...this.consolePair);
      this.terminalInput = stdinFifo;
      return;
    }
    if (stdinFifo >= 0) {
      this.childFds[0] = stdinFifo;
    } else if (stdin.kind !== 'none') {
      this.childFds[0] = this.track(openOrFail(stdin.path, O_RDONLY, 'stdin'));
    } else {
      this.childFds[0] = null0();
    }
    this.childFds[1] = this.openOutput(parseTarget(this.paths.stdout), 'stdout', null0);
    this.childFds[2] = this.openOutput(parseTarget(this.paths.stderr), 'stderr', null0);
  }

  private openOutput(t: Target, name: string, null0: () => number): number {
    if (t.kind === 'none') return null0();
    if (t.kind === 'binary') throw new UsageError(`${name}: a binary:// logger takes stdout and stderr together (name it for stdout)`);
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
    this.relay = new TerminalRelay(master, this.paths, this.terminalInput);
    if (this.terminalInput >= 0) this.fds.splice(this.fds.indexOf(this.terminalInput), 1); // the relay owns it now
    this.terminalInput = -1;
  }

  resize(width: number, height: number): void {
    if (!this.relay) throw new UsageError('the process has no terminal');
    this.relay.resize(this.n, width, height);
  }

  /**
   * CloseIO: the client's input has ended. Without a terminal the process
   * reads end-of-file once the client has closed its end of the FIFO (it
   * holds the only writer); with one, the relay stops.
   */
  closeStdin(): void {
    this.relay?.closeStdin();
  }

  /** Terminal output is flushed (immediately true without a terminal). */
  drained(): Promise<void> {
    return this.relay?.done ?? Promise.resolve();
  }

  /** Everything goes: keepers, relays, a logger (asked to finish, then killed), whatever is left. */
  close(): void {
    this.relay?.close();
    this.relay = undefined;
    for (const fd of [...new Set(this.fds)]) this.untrack(fd);
    const logger = this.logger;
    this.logger = undefined;
    if (logger && logger.exitCode === null && logger.signalCode === null) {
      // containerd gives it 12 s to flush; the shim does not wait for it
      const kill = setTimeout(() => logger.kill('SIGKILL'), LOGGER_STOP_MS);
      kill.unref();
      logger.once('exit', () => clearTimeout(kill));
      logger.kill('SIGTERM');
    }
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
    /** the stdin FIFO's reader (-1: none) */
    input: number,
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

    if (input >= 0) {
      this.input = new net.Socket({ fd: input, readable: true, writable: false });
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
