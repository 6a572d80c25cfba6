// A scripted D-Bus peer for the systemd client's unit tests: it speaks the
// SASL handshake, decodes the calls tsrun writes and answers them through a
// handler, which may also emit signals (JobRemoved) before or after a reply.
import type { DbusTransport } from '../../../src/systemd/dbus/connection';
import { decodeMessage, encodeMessage, messageLength, MESSAGE_TYPE, type DbusMessage } from '../../../src/systemd/dbus/message';

export interface PeerReply {
  /** body of a method return (with its signature) */
  signature?: string;
  body?: unknown[];
  /** an error reply instead */
  error?: { name: string; text: string };
  /** signals sent before the reply */
  signalsBefore?: Array<Partial<DbusMessage>>;
  /** signals sent after it */
  signalsAfter?: Array<Partial<DbusMessage>>;
}

export class FakePeer implements DbusTransport {
  /** every call received, in order */
  readonly calls: DbusMessage[] = [];
  /** the AUTH line received */
  authLine = '';
  closed = false;
  private inbox: Buffer = Buffer.alloc(0);
  private outbox: Buffer[] = [];
  private authenticated = false;
  private serial = 1000;

  constructor(private readonly handler: (call: DbusMessage) => PeerReply) {}

  write(bytes: Buffer): void {
    this.inbox = Buffer.concat([this.inbox, bytes]);
    if (!this.authenticated) {
      for (;;) {
        const end = this.inbox.indexOf('\r\n');
        if (end < 0) return;
        const line = this.inbox.toString('latin1', 0, end);
        this.inbox = this.inbox.subarray(end + 2);
        if (line.startsWith('\0AUTH ')) {
          this.authLine = line.slice(1);
          this.outbox.push(Buffer.from('OK 0123456789abcdef0123456789abcdef\r\n'));
        } else if (line === 'BEGIN') {
          this.authenticated = true;
          break;
        }
      }
    }
    for (;;) {
      const total = messageLength(this.inbox);
      if (total === undefined || this.inbox.length < total) return;
      const call = decodeMessage(this.inbox.subarray(0, total));
      this.inbox = this.inbox.subarray(total);
      this.calls.push(call);
      const r = this.handler(call);
      for (const s of r.signalsBefore ?? []) this.send(signal(s, ++this.serial));
      if (r.error) {
        this.send({ type: MESSAGE_TYPE.error, flags: 0, serial: ++this.serial, replySerial: call.serial, errorName: r.error.name, signature: 's', body: [r.error.text] });
      } else {
        this.send({ type: MESSAGE_TYPE.methodReturn, flags: 0, serial: ++this.serial, replySerial: call.serial, signature: r.signature ?? '', body: r.body ?? [] });
      }
      for (const s of r.signalsAfter ?? []) this.send(signal(s, ++this.serial));
    }
  }

  private send(m: DbusMessage): void {
    const bytes = encodeMessage(m);
    // in small pieces: the client must reassemble messages across reads
    for (let i = 0; i < bytes.length; i += 7) this.outbox.push(bytes.subarray(i, i + 7));
  }

  read(): Buffer | undefined {
    return this.outbox.shift();
  }

  close(): void {
    this.closed = true;
  }
}

function signal(s: Partial<DbusMessage>, serial: number): DbusMessage {
  return { type: MESSAGE_TYPE.signal, flags: 0, serial, signature: '', body: [], ...s };
}

/** systemd's JobRemoved(id, job, unit, result). */
export function jobRemoved(job: string, unit: string, result = 'done'): Partial<DbusMessage> {
  return {
    path: '/org/freedesktop/systemd1',
    interface: 'org.freedesktop.systemd1.Manager',
    member: 'JobRemoved',
    signature: 'uoss',
    body: [Number(job.split('/').pop()), job, unit, result],
  };
}

/** A systemd that answers the manager calls; `units` holds the loaded units and their ActiveState. */
export function fakeSystemd(units: Map<string, string>, opts: { startResult?: string; existsOnce?: boolean } = {}) {
  let job = 0;
  let exists = opts.existsOnce ?? false;
  return new FakePeer((call) => {
    const [name] = call.body as [string];
    switch (call.member) {
      case 'Hello':
        return { signature: 's', body: [':1.9'] };
      case 'AddMatch':
      case 'Subscribe':
      case 'ResetFailedUnit':
      case 'SetUnitProperties':
        return {};
      case 'StartTransientUnit':
      case 'StartUnit':
      case 'StopUnit': {
        if (call.member === 'StartTransientUnit' && exists) {
          exists = false;
          return { error: { name: 'org.freedesktop.systemd1.UnitExists', text: `Unit ${name} already exists.` } };
        }
        if (call.member === 'StopUnit' && !units.has(name)) return { error: { name: 'org.freedesktop.systemd1.NoSuchUnit', text: `Unit ${name} not loaded.` } };
        const path = `/org/freedesktop/systemd1/job/${++job}`;
        if (call.member === 'StopUnit') units.delete(name);
        else units.set(name, 'active');
        // the job's end comes after the reply, as systemd runs jobs on its next loop turn
        return { signature: 'o', body: [path], signalsAfter: [jobRemoved(`/org/freedesktop/systemd1/job/${job + 100}`, 'other.service'), jobRemoved(path, name, call.member === 'StopUnit' ? 'done' : (opts.startResult ?? 'done'))] };
      }
      case 'GetUnit':
        return units.has(name) ? { signature: 'o', body: [`/org/freedesktop/systemd1/unit/${name.replace(/[^A-Za-z0-9]/g, '_')}`] } : { error: { name: 'org.freedesktop.systemd1.NoSuchUnit', text: `Unit ${name} not loaded.` } };
      case 'Get': {
        const [, prop] = call.body as [string, string];
        if (prop === 'Version') return { signature: 'v', body: [{ signature: 's', value: '252.39-1~deb12u2' }] };
        if (prop === 'ControlGroup') return { signature: 'v', body: [{ signature: 's', value: '/user.slice/user-1000.slice/user@1000.service' }] };
        const unit = [...units.keys()].find((u) => call.path!.endsWith(u.replace(/[^A-Za-z0-9]/g, '_')));
        return { signature: 'v', body: [{ signature: 's', value: unit ? units.get(unit) : 'inactive' }] };
      }
      default:
        return { error: { name: 'org.freedesktop.DBus.Error.UnknownMethod', text: call.member ?? '' } };
    }
  });
}
