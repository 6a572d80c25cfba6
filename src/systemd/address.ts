// Where systemd listens, in the order tried:
//   system manager (root): systemd's private socket /run/systemd/private (a
//     direct connection: no dbus-daemon needed), then the system bus
//     ($DBUS_SYSTEM_BUS_ADDRESS, default /run/dbus/system_bus_socket);
//   user manager (rootless): the session bus ($DBUS_SESSION_BUS_ADDRESS, else
//     $XDG_RUNTIME_DIR/bus), as runc and crun use it, then the user manager's
//     own private socket $XDG_RUNTIME_DIR/systemd/private.
import * as path from 'node:path';

export type ManagerScope = 'system' | 'user';

export interface SystemdEndpoint {
  /** unix socket path */
  socket: string;
  /** a message bus (Hello, AddMatch) rather than systemd itself */
  bus: boolean;
  /** for messages: "the system bus at /run/dbus/system_bus_socket" */
  description: string;
}

export interface AddressEnv {
  DBUS_SYSTEM_BUS_ADDRESS?: string;
  DBUS_SESSION_BUS_ADDRESS?: string;
  XDG_RUNTIME_DIR?: string;
}

const SYSTEM_PRIVATE = '/run/systemd/private';
const SYSTEM_BUS = '/run/dbus/system_bus_socket';

/**
 * The unix socket paths of a D-Bus address list ("unix:path=/x,guid=...;tcp:..."):
 * only unix:path= transports (tsrun speaks to local systemd only), values
 * percent-decoded as the specification escapes them.
 */
export function unixPathsOf(address: string | undefined): string[] {
  if (!address) return [];
  const out: string[] = [];
  for (const entry of address.split(';')) {
    const colon = entry.indexOf(':');
    if (colon < 0 || entry.slice(0, colon) !== 'unix') continue;
    for (const kv of entry.slice(colon + 1).split(',')) {
      const eq = kv.indexOf('=');
      if (eq > 0 && kv.slice(0, eq) === 'path') {
        try {
          out.push(decodeURIComponent(kv.slice(eq + 1)));
        } catch {
          // a malformed escape: not an address we can use
        }
      }
    }
  }
  return out;
}

export function systemdEndpoints(scope: ManagerScope, env: AddressEnv): SystemdEndpoint[] {
  if (scope === 'system') {
    const bus = unixPathsOf(env.DBUS_SYSTEM_BUS_ADDRESS)[0] ?? SYSTEM_BUS;
    return [
      { socket: SYSTEM_PRIVATE, bus: false, description: `systemd's private socket ${SYSTEM_PRIVATE}` },
      { socket: bus, bus: true, description: `the system bus at ${bus}` },
    ];
  }
  const out: SystemdEndpoint[] = [];
  const runtime = env.XDG_RUNTIME_DIR;
  const session = unixPathsOf(env.DBUS_SESSION_BUS_ADDRESS)[0] ?? (runtime ? path.join(runtime, 'bus') : undefined);
  if (session) out.push({ socket: session, bus: true, description: `the session bus at ${session}` });
  if (runtime) {
    const own = path.join(runtime, 'systemd', 'private');
    out.push({ socket: own, bus: false, description: `the user manager's private socket ${own}` });
  }
  return out;
}
