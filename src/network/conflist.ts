// A network is one CNI network configuration list (conflist) file: the
// plugins containerd and Kubernetes use (bridge + host-local, portmap,
// firewall), and tsrun's own facts about it under the key "tsrun", which
// libcni and the plugins ignore. Every fact is read back from the file; the
// host-local state directory is not in it (it is added at invocation, under
// the root in use).
import { formatCidr, formatIpv4, parseCidr, parseIpv4, type Ipv4Prefix } from './cidr';
import { NetworkError } from './errors';

const CNI_VERSION = '1.0.0';
/** Docker's predefined network and its address range (docker0 is tsrun0 here) */
export const DEFAULT_NETWORK = 'bridge';
export const DEFAULT_BRIDGE_DEVICE = 'tsrun0';
export const DEFAULT_SUBNET = '172.17.0.0/16';
/** every tsrun bridge device starts with this (iptables matches them with "tsrun+") */
export const BRIDGE_DEVICE_PREFIX = 'tsrun';
/** the names Docker refuses for user networks: they are modes of --network */
export const RESERVED_NAMES = ['bridge', 'host', 'none', 'default', 'container'];

export interface NetworkSpec {
  name: string;
  id: string;
  created: string;
  bridge: string;
  subnet: Ipv4Prefix;
  gateway: number;
  internal: boolean;
  /** containers resolve each other by name (user-defined networks; not the default bridge, as in Docker) */
  nameResolution: boolean;
}

export interface PluginConf {
  type: string;
  capabilities?: Record<string, boolean>;
  [key: string]: unknown;
}

export interface Conflist {
  cniVersion: string;
  name: string;
  plugins: PluginConf[];
  tsrun: { id: string; created: string; nameResolution: boolean; internal: boolean };
}

export function buildConflist(s: NetworkSpec): Conflist {
  const ipam = {
    type: 'host-local',
    ranges: [[{ subnet: formatCidr(s.subnet), gateway: formatIpv4(s.gateway) }]],
    // an internal network has no way out: no default route, no gateway address on the bridge
    routes: s.internal ? [] : [{ dst: '0.0.0.0/0' }],
  };
  const plugins: PluginConf[] = [
    { type: 'bridge', bridge: s.bridge, isGateway: !s.internal, ipMasq: !s.internal, hairpinMode: true, ipam },
  ];
  if (!s.internal) {
    plugins.push({ type: 'portmap', snat: true, capabilities: { portMappings: true } });
    plugins.push({ type: 'firewall', backend: 'iptables' });
  }
  return {
    cniVersion: CNI_VERSION,
    name: s.name,
    plugins,
    tsrun: { id: s.id, created: s.created, nameResolution: s.nameResolution, internal: s.internal },
  };
}

/** Read a stored conflist back into its spec; a file tsrun did not write is refused with its path. */
export function specOf(c: unknown, file: string): NetworkSpec {
  const bad = (why: string) => new NetworkError(`network config ${file}: ${why}`);
  if (typeof c !== 'object' || c === null) throw bad('not a JSON object');
  const list = c as Partial<Conflist>;
  const bridge = list.plugins?.[0];
  const range = (bridge?.ipam as { ranges?: Array<Array<{ subnet?: string; gateway?: string }>> } | undefined)?.ranges?.[0]?.[0];
  if (typeof list.name !== 'string' || !list.tsrun || bridge?.type !== 'bridge' || typeof bridge.bridge !== 'string' || !range?.subnet) {
    throw bad('not a tsrun bridge network (plugins[0] must be a bridge with host-local ranges, and "tsrun" must be set)');
  }
  const gateway = parseIpv4(range.gateway ?? '');
  if (gateway === undefined) throw bad(`plugins[0].ipam.ranges[0][0].gateway: not an IPv4 address`);
  return {
    name: list.name,
    id: list.tsrun.id,
    created: list.tsrun.created,
    bridge: bridge.bridge,
    subnet: parseCidr(range.subnet, `${file}: plugins[0].ipam.ranges[0][0].subnet`),
    gateway,
    internal: list.tsrun.internal,
    nameResolution: list.tsrun.nameResolution,
  };
}
