// A foreground `run` or `exec -t` without --console-socket: tsrun itself is
// the console-socket receiver (a socket pair; the container sends the pty
// master over it exactly as it would to an engine), then relays the pty to
// its own stdio: stdin (raw mode when it is a terminal) -> master -> stdout,
// with the window size kept in sync on SIGWINCH. The container's stdio is the
// pty, so tsrun's own streams are not shared with it here.
import * as fs from 'node:fs';
import type * as Tty from 'node:tty';
import { TsrunError } from '../errors';
import type { Native } from '../native';
import { writeAllSync } from '../write-all';

/** How long to wait for the pty master after the container process was set up. */
const MASTER_TIMEOUT_MS = 10_000;
/** After the process exits: drain until the pty reports hang-up, at most this long. */
const DRAIN_LIMIT_MS = 2_000;

export interface ConsolePair {
  /** handed to the container process as its console socket (closed by us afterwards) */
  containerEnd: number;
  /** where the master arrives */
  ownEnd: number;
}

export function openConsolePair(n: Native): ConsolePair {
  const [ownEnd, containerEnd] = n.socketPair();
  return { ownEnd, containerEnd };
}

export function closeConsolePair(n: Native, pair: ConsolePair): void {
  n.closeFd(pair.containerEnd);
  n.closeFd(pair.ownEnd);
}

/** Receive the pty master (already sent when the container process was set up). */
export function receiveMaster(n: Native, pair: ConsolePair, containerId: string): number {
  try {
    return n.recvFd(pair.ownEnd, MASTER_TIMEOUT_MS).fd;
  } catch (err) {
    throw new TsrunError(`receive the container's pty master: ${(err as Error).message}`, { containerId, cause: err });
  }
}

export interface TerminalRelay {
  /** the process exited: copy what is left, restore tsrun's terminal, close the master */
  finish(): Promise<void>;
}

export interface RelayIo {
  stdin: number;
  stdout: number;
}

export function startRelay(n: Native, master: number, io: RelayIo = { stdin: 0, stdout: 1 }): TerminalRelay {
  // the read stream closes the master on EIO: from then on nothing may use
  // that fd number (it could be reused)
  let masterOpen = true;
  // window size: from whichever of our stdio is a terminal
  const syncSize = () => {
    const ws = n.getWinsize(io.stdin) ?? n.getWinsize(io.stdout);
    if (masterOpen && ws && (ws.rows || ws.cols)) {
      try {
        n.setWinsize(master, ws.rows, ws.cols);
      } catch {
        // the pty is gone
      }
    }
  };
  syncSize();
  process.on('SIGWINCH', syncSize);

  // loaded here, not at the top: node:tty (with net and streams) would cost every command ~3 ms;
  // after the size is applied, which the container's process may read at once
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const tty = require('node:tty') as typeof Tty;

  // container -> our stdout
  let ended = false;
  let onEnd: () => void = () => undefined;
  const endedP = new Promise<void>((resolve) => (onEnd = resolve));
  let lastData = Date.now();
  const out = new tty.ReadStream(master);
  out.on('data', (chunk: Buffer) => {
    lastData = Date.now();
    writeAllSync(io.stdout, chunk);
  });
  const end = () => {
    masterOpen = false;
    ended = true;
    onEnd();
  };
  // EIO: every slave fd is closed (the kernel's way of saying end of file)
  out.on('error', end);
  out.on('end', end);
  out.on('close', end);

  // our stdin -> container; a terminal goes raw (as runc does, output
  // processing too: the container's pty already turns \n into \r\n)
  let saved: Buffer | undefined;
  const restore = () => {
    if (!saved) return;
    try {
      n.restoreTerminal(io.stdin, saved);
    } catch {
      // the terminal is gone
    }
    saved = undefined;
  };
  let input: Tty.ReadStream | fs.ReadStream;
  if (tty.isatty(io.stdin)) {
    saved = n.makeRaw(io.stdin);
    process.on('exit', restore);
    input = new tty.ReadStream(io.stdin);
  } else {
    // blocking reads on the thread pool: the caller's pipe keeps its flags
    input = fs.createReadStream('', { fd: io.stdin, autoClose: false });
  }
  input.on('data', (chunk: Buffer | string) => {
    if (masterOpen) writeAllSync(master, Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  });
  input.on('error', () => undefined);

  return {
    async finish() {
      const deadline = Date.now() + DRAIN_LIMIT_MS;
      lastData = Date.now();
      while (!ended && Date.now() < deadline) {
        // a detached grandchild may hold the slave open: stop once output went quiet
        if (Date.now() - lastData > 250) break;
        await Promise.race([endedP, new Promise((r) => setTimeout(r, 50))]);
      }
      process.off('SIGWINCH', syncSize);
      restore();
      process.off('exit', restore);
      if (input instanceof tty.ReadStream) input.destroy();
      else {
        input.pause();
        input.removeAllListeners('data');
      }
      masterOpen = false;
      out.removeAllListeners('data');
      out.destroy(); // closes the master
    },
  };
}
