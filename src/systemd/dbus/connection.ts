// A synchronous D-Bus client connection: a unix stream socket, SASL EXTERNAL
// authentication (the kernel tells the peer our uid), method calls that block
// until their reply, and the signals that arrive meanwhile kept for whoever
// waits for one. Synchronous because the cgroup manager interface is: a
// handful of calls per container operation, made by a short-lived CLI.
//
// To a message bus (dbus-daemon) the first call is Hello; to a peer (systemd's
// private socket) there is no Hello and no bus name.
import * as fs from 'node:fs';
import { SystemdError } from '../../errors';
import { native, type Native } from '../../native';
import { decodeMessage, encodeMethodCall, messageLength, MESSAGE_TYPE, type DbusMessage, type MethodCall } from './message';

/** Bytes in and out; the real one is a unix socket, tests use a scripted peer. */
export interface DbusTransport {
  write(bytes: Buffer): void;
  /** some bytes, [] at EOF; undefined when nothing came within timeoutMs */
  read(timeoutMs: number): Buffer | undefined;
  close(): void;
}

/** The unix socket at `path` through the addon (connect, poll) and fs (read/write on the blocking fd). */
export function unixTransport(path: string, n: Pick<Native, 'connectUnix' | 'waitReadable' | 'closeFd'> = native()): DbusTransport {
  const fd = n.connectUnix(path);
  const chunk = Buffer.alloc(64 * 1024);
  let closed = false;
  return {
    write(bytes) {
      let off = 0;
      while (off < bytes.length) off += fs.writeSync(fd, bytes, off, bytes.length - off);
    },
    read(timeoutMs) {
      if (!n.waitReadable(fd, timeoutMs)) return undefined;
      const got = fs.readSync(fd, chunk, 0, chunk.length, null);
      return Buffer.from(chunk.subarray(0, got));
    },
    close() {
      if (closed) return;
      closed = true;
      n.closeFd(fd);
    },
  };
}

/** A D-Bus error reply: its name (org.freedesktop.systemd1.NoSuchUnit, ...) and text. */
export class DbusCallError extends SystemdError {
  constructor(
    readonly dbusName: string,
    readonly text: string,
    member: string,
  ) {
    super(`${member}: ${text || dbusName} (${dbusName})`);
  }
}

export interface ConnectionOptions {
  /** a message bus wants Hello first; a peer (systemd's private socket) does not */
  bus: boolean;
  /** the uid EXTERNAL authenticates as (default: our euid) */
  uid?: number;
  /** how long to wait for any one reply (default 30 s, as runc waits for systemd's jobs) */
  timeoutMs?: number;
  /** what the peer is, for errors ("systemd at /run/systemd/private") */
  peer: string;
  /** which signals arriving during a call are kept for waitForSignal (default: all); systemd sends many to a subscriber */
  keepSignal?: (m: DbusMessage) => boolean;
}

const DEFAULT_TIMEOUT_MS = 30_000;

export class DbusConnection {
  private buffered: Buffer = Buffer.alloc(0);
  private serial = 0;
  private readonly signals: DbusMessage[] = [];
  private readonly timeoutMs: number;
  private readonly peer: string;
  private readonly keepSignal: (m: DbusMessage) => boolean;

  private constructor(
    private readonly transport: DbusTransport,
    opts: ConnectionOptions,
  ) {
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.peer = opts.peer;
    this.keepSignal = opts.keepSignal ?? (() => true);
  }

  /** Authenticate over `transport` (and say Hello to a bus); closes it on failure. */
  static open(transport: DbusTransport, opts: ConnectionOptions): DbusConnection {
    const c = new DbusConnection(transport, opts);
    try {
      c.authenticate(opts.uid ?? process.geteuid?.() ?? 0);
      if (opts.bus) c.call({ destination: 'org.freedesktop.DBus', path: '/org/freedesktop/DBus', interface: 'org.freedesktop.DBus', member: 'Hello' });
      return c;
    } catch (err) {
      transport.close();
      throw err;
    }
  }

  close(): void {
    this.transport.close();
  }

  /** SASL: a NUL byte, AUTH EXTERNAL with the uid in hex-encoded ASCII, OK, BEGIN. */
  private authenticate(uid: number): void {
    const hexUid = Buffer.from(String(uid), 'ascii').toString('hex');
    this.transport.write(Buffer.from(`\0AUTH EXTERNAL ${hexUid}\r\n`, 'ascii'));
    const line = this.readLine();
    if (!line.startsWith('OK ')) throw new SystemdError(`${this.peer} refused authentication as uid ${uid}: ${line.trim() || 'no answer'}`);
    this.transport.write(Buffer.from('BEGIN\r\n', 'ascii'));
  }

  private readLine(): string {
    const deadline = Date.now() + this.timeoutMs;
    for (;;) {
      const end = this.buffered.indexOf('\r\n');
      if (end >= 0) {
        const line = this.buffered.toString('ascii', 0, end);
        this.buffered = this.buffered.subarray(end + 2);
        return line;
      }
      this.fill(deadline);
    }
  }

  /** Read more bytes into the buffer, or throw on EOF or after the deadline. */
  private fill(deadline: number): void {
    const got = this.transport.read(Math.max(0, deadline - Date.now()));
    if (got === undefined) throw new SystemdError(`${this.peer} did not answer within ${Math.round(this.timeoutMs / 1000)} s`);
    if (got.length === 0) throw new SystemdError(`${this.peer} closed the connection`);
    this.buffered = this.buffered.length ? Buffer.concat([this.buffered, got]) : got;
  }

  private nextMessage(deadline: number): DbusMessage {
    for (;;) {
      const total = messageLength(this.buffered);
      if (total !== undefined && this.buffered.length >= total) {
        const msg = decodeMessage(this.buffered.subarray(0, total));
        this.buffered = this.buffered.subarray(total);
        return msg;
      }
      this.fill(deadline);
    }
  }

  /** Call a method and wait for its reply; an error reply throws DbusCallError. Signals that arrive meanwhile are kept. */
  call(call: MethodCall): DbusMessage {
    const serial = ++this.serial;
    this.transport.write(encodeMethodCall(call, serial));
    const deadline = Date.now() + this.timeoutMs;
    for (;;) {
      const msg = this.nextMessage(deadline);
      if (msg.type === MESSAGE_TYPE.signal) {
        if (this.keepSignal(msg)) this.signals.push(msg);
        continue;
      }
      if (msg.replySerial !== serial) continue; // a reply to nothing we wait for
      if (msg.type === MESSAGE_TYPE.error) {
        const text = typeof msg.body[0] === 'string' ? msg.body[0] : '';
        throw new DbusCallError(msg.errorName ?? 'org.freedesktop.DBus.Error.Failed', text, `${call.interface}.${call.member}`);
      }
      return msg;
    }
  }

  /** The first signal (kept or arriving) that `match` accepts; throws after timeoutMs. */
  waitForSignal(match: (m: DbusMessage) => boolean, what: string, timeoutMs = this.timeoutMs): DbusMessage {
    const kept = this.signals.findIndex(match);
    if (kept >= 0) return this.signals.splice(kept, 1)[0]!;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      let msg: DbusMessage;
      try {
        msg = this.nextMessage(deadline);
      } catch (err) {
        if (err instanceof SystemdError && Date.now() >= deadline) throw new SystemdError(`${this.peer}: no ${what} within ${Math.round(timeoutMs / 1000)} s`);
        throw err;
      }
      if (msg.type !== MESSAGE_TYPE.signal) continue;
      if (match(msg)) return msg;
      if (this.keepSignal(msg)) this.signals.push(msg);
    }
  }
}
