// The calls tsrun makes to a systemd manager (org.freedesktop.systemd1) over
// D-Bus: transient units started and stopped as jobs whose end is awaited
// (the JobRemoved signal), unit properties set at runtime, unit and manager
// properties read. One client per tsrun process and manager.
import { SystemdError } from '../errors';
import type { Native } from '../native';
import { systemdEndpoints, type AddressEnv, type ManagerScope, type SystemdEndpoint } from './address';
import { DbusCallError, DbusConnection, unixTransport, type DbusTransport } from './dbus/connection';
import type { DbusMessage } from './dbus/message';
import type { Variant } from './dbus/wire';

const SYSTEMD = 'org.freedesktop.systemd1';
const MANAGER_PATH = '/org/freedesktop/systemd1';
const MANAGER = 'org.freedesktop.systemd1.Manager';
const PROPERTIES = 'org.freedesktop.DBus.Properties';
const JOB_REMOVED_MATCH = `type='signal',sender='${SYSTEMD}',path='${MANAGER_PATH}',interface='${MANAGER}',member='JobRemoved'`;

/** A unit property as StartTransientUnit and SetUnitProperties take it: (sv). */
export type UnitProperty = [name: string, value: Variant];

/** systemd's error names tsrun reacts to */
const SYSTEMD_ERRORS = {
  noSuchUnit: 'org.freedesktop.systemd1.NoSuchUnit',
  unitExists: 'org.freedesktop.systemd1.UnitExists',
  loadFailed: 'org.freedesktop.systemd1.LoadFailed',
} as const;

function isDbusError(err: unknown, name: string): boolean {
  return err instanceof DbusCallError && err.dbusName === name;
}

export interface ClientOptions {
  env?: AddressEnv;
  /** how a socket is opened (tests: a scripted peer) */
  transport?: (socket: string) => DbusTransport;
  native?: Pick<Native, 'connectUnix' | 'waitReadable' | 'closeFd'>;
  timeoutMs?: number;
}

/** No systemd manager of `scope` could be reached: says where tsrun looked and what to do. */
export class SystemdUnavailableError extends SystemdError {
  constructor(scope: ManagerScope, tried: string[]) {
    const who = scope === 'system' ? 'the systemd system manager (systemd as PID 1)' : "your systemd user manager (a login session's user@UID.service)";
    const where = tried.length ? `: ${tried.join('; ')}` : ': XDG_RUNTIME_DIR is not set, so there is no session bus to try';
    super(
      `--systemd-cgroup: cannot reach ${who}${where}. ` +
        'The systemd cgroup driver needs a running systemd; run without --systemd-cgroup to manage cgroups directly (cgroupfs)',
    );
  }
}

export class SystemdClient {
  private constructor(
    private readonly conn: DbusConnection,
    readonly scope: ManagerScope,
    readonly endpoint: SystemdEndpoint,
  ) {}

  /** Connect to the system (root) or user (rootless) manager, trying its endpoints in order. */
  static connect(scope: ManagerScope, opts: ClientOptions = {}): SystemdClient {
    const env = opts.env ?? process.env;
    const open = opts.transport ?? ((socket: string) => unixTransport(socket, opts.native));
    const tried: string[] = [];
    for (const ep of systemdEndpoints(scope, env)) {
      let transport: DbusTransport;
      try {
        transport = open(ep.socket);
      } catch (err) {
        tried.push(`${ep.description}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
        continue;
      }
      const keepSignal = (m: DbusMessage) => m.member === 'JobRemoved' && m.interface === MANAGER;
      const conn = DbusConnection.open(transport, { bus: ep.bus, timeoutMs: opts.timeoutMs, peer: ep.description, keepSignal });
      const client = new SystemdClient(conn, scope, ep);
      try {
        client.subscribe();
      } catch (err) {
        conn.close();
        throw err;
      }
      return client;
    }
    throw new SystemdUnavailableError(scope, tried);
  }

  close(): void {
    this.conn.close();
  }

  /** Ask for JobRemoved: a bus delivers signals only to a match; systemd sends them only to subscribers. */
  private subscribe(): void {
    if (this.endpoint.bus) this.conn.call({ destination: 'org.freedesktop.DBus', path: '/org/freedesktop/DBus', interface: 'org.freedesktop.DBus', member: 'AddMatch', signature: 's', body: [JOB_REMOVED_MATCH] });
    this.manager('Subscribe');
  }

  private manager(member: string, signature = '', body: unknown[] = []): DbusMessage {
    return this.conn.call({ destination: SYSTEMD, path: MANAGER_PATH, interface: MANAGER, member, signature, body });
  }

  /** Wait for the job to finish; its result ("done", "failed", "canceled", "timeout", "dependency", "skipped"). */
  private waitJob(job: string, what: string): string {
    const m = this.conn.waitForSignal((s) => s.member === 'JobRemoved' && s.body[1] === job, `end of the job that ${what}`);
    return m.body[3] as string;
  }

  /** StartTransientUnit in mode "replace" and wait for its job; a leftover failed unit of the name is reset and the start retried once (runc). */
  startTransientUnit(name: string, properties: UnitProperty[]): void {
    let job: string;
    try {
      job = this.manager('StartTransientUnit', 'ssa(sv)a(sa(sv))', [name, 'replace', properties, []]).body[0] as string;
    } catch (err) {
      if (!isDbusError(err, SYSTEMD_ERRORS.unitExists)) throw err;
      this.resetFailedUnit(name);
      job = this.manager('StartTransientUnit', 'ssa(sv)a(sa(sv))', [name, 'replace', properties, []]).body[0] as string;
    }
    const result = this.waitJob(job, `starts ${name}`);
    if (result !== 'done') {
      this.resetFailedUnit(name);
      throw new SystemdError(`systemd could not start ${name}: its job ended "${result}" (see journalctl -u ${name})`);
    }
  }

  /** StartUnit in mode "replace" and wait for its job (a slice: systemd loads one without a unit file with its defaults). */
  startUnit(name: string): void {
    const job = this.manager('StartUnit', 'ss', [name, 'replace']).body[0] as string;
    const result = this.waitJob(job, `starts ${name}`);
    if (result !== 'done') throw new SystemdError(`systemd could not start ${name}: its job ended "${result}" (see journalctl -u ${name})`);
  }

  /** StopUnit and wait for its job; a unit that is not loaded counts as stopped. Then reset a failed state, so nothing of it stays. */
  stopUnit(name: string): void {
    try {
      const job = this.manager('StopUnit', 'ss', [name, 'replace']).body[0] as string;
      const result = this.waitJob(job, `stops ${name}`);
      if (result !== 'done' && result !== 'skipped') throw new SystemdError(`systemd could not stop ${name}: its job ended "${result}"`);
    } catch (err) {
      if (!isDbusError(err, SYSTEMD_ERRORS.noSuchUnit)) throw err;
    }
    this.resetFailedUnit(name);
  }

  /** ResetFailedUnit; quiet when the unit is not loaded or not failed. */
  resetFailedUnit(name: string): void {
    try {
      this.manager('ResetFailedUnit', 's', [name]);
    } catch (err) {
      if (!(err instanceof DbusCallError)) throw err;
    }
  }

  /** SetUnitProperties(runtime=true): they last until the unit goes, as the unit itself does. */
  setUnitProperties(name: string, properties: UnitProperty[]): void {
    if (properties.length === 0) return;
    this.manager('SetUnitProperties', 'sba(sv)', [name, true, properties]);
  }

  /** The unit's object path, or undefined when systemd has not loaded it. */
  unitPath(name: string): string | undefined {
    try {
      return this.manager('GetUnit', 's', [name]).body[0] as string;
    } catch (err) {
      if (isDbusError(err, SYSTEMD_ERRORS.noSuchUnit)) return undefined;
      throw err;
    }
  }

  /** org.freedesktop.systemd1.Unit.ActiveState, or undefined when the unit is not loaded. */
  activeState(name: string): string | undefined {
    const p = this.unitPath(name);
    if (!p) return undefined;
    try {
      return this.property(p, 'org.freedesktop.systemd1.Unit', 'ActiveState').value as string;
    } catch (err) {
      // unloaded between the two calls
      if (err instanceof DbusCallError) return undefined;
      throw err;
    }
  }

  /** A manager property: "Version" ("252.22-1~deb12u1"), "ControlGroup" (the user manager's cgroup). */
  managerProperty(name: string): Variant {
    return this.property(MANAGER_PATH, MANAGER, name);
  }

  /** systemd's major version (0 when it cannot be read). */
  version(): number {
    const v = this.managerProperty('Version').value;
    const m = /^"?v?(\d+)/.exec(String(v));
    return m ? Number(m[1]) : 0;
  }

  private property(objectPath: string, iface: string, name: string): Variant {
    return this.conn.call({ destination: SYSTEMD, path: objectPath, interface: PROPERTIES, member: 'Get', signature: 'ss', body: [iface, name] }).body[0] as Variant;
  }
}
