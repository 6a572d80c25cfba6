// -p [HOST_IP:]HOST_PORT:CONTAINER_PORT[/tcp|udp] as Docker writes it, into
// the portMappings capability of the portmap plugin.
import { formatIpv4, parseIpv4 } from './cidr';
import { NetworkUsageError } from './errors';

export interface PortMapping {
  hostPort: number;
  containerPort: number;
  protocol: 'tcp' | 'udp';
  /** empty: every address of the host (0.0.0.0) */
  hostIP: string;
}

const FORM = '[HOST_IP:]HOST_PORT:CONTAINER_PORT[/tcp|udp]';

function port(text: string, what: string, spec: string): number {
  if (!/^\d{1,5}$/.test(text) || Number(text) < 1 || Number(text) > 65535) {
    throw new NetworkUsageError(`-p ${spec}: invalid ${what} ${JSON.stringify(text)}: a number from 1 to 65535 (expected ${FORM})`);
  }
  return Number(text);
}

export function parsePublish(spec: string): PortMapping {
  let rest = spec;
  let protocol: 'tcp' | 'udp' = 'tcp';
  const slash = rest.lastIndexOf('/');
  if (slash >= 0) {
    const p = rest.slice(slash + 1);
    if (p !== 'tcp' && p !== 'udp') throw new NetworkUsageError(`-p ${spec}: invalid protocol ${JSON.stringify(p)}: tcp or udp`);
    protocol = p;
    rest = rest.slice(0, slash);
  }
  if (rest.startsWith('[')) throw new NetworkUsageError(`-p ${spec}: IPv6 host addresses are not supported (tsrun's networks are IPv4)`);
  const parts = rest.split(':');
  if (parts.length === 1) {
    throw new NetworkUsageError(`-p ${spec}: a host port is required (expected ${FORM})`);
  }
  if (parts.length > 3) throw new NetworkUsageError(`-p ${spec}: too many ":" (expected ${FORM})`);
  let hostIP = '';
  if (parts.length === 3) {
    const ip = parseIpv4(parts[0] as string);
    if (ip === undefined) throw new NetworkUsageError(`-p ${spec}: invalid host IP ${JSON.stringify(parts[0])}: expected IPv4 (expected ${FORM})`);
    hostIP = ip === 0 ? '' : formatIpv4(ip);
  }
  const hostPort = port(parts[parts.length - 2] as string, 'host port', spec);
  const containerPort = port(parts[parts.length - 1] as string, 'container port', spec);
  return { hostPort, containerPort, protocol, hostIP };
}

/** Two mappings claim the same host socket (same protocol and port, and an address in common). */
export function sameHostSocket(a: PortMapping, b: PortMapping): boolean {
  return a.protocol === b.protocol && a.hostPort === b.hostPort && (a.hostIP === '' || b.hostIP === '' || a.hostIP === b.hostIP);
}

export function formatMapping(m: PortMapping): string {
  return `${m.hostIP || '0.0.0.0'}:${m.hostPort}->${m.containerPort}/${m.protocol}`;
}
