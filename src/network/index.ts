// The network commands, and attach/detach for the container commands. This
// module and what it imports load only through import(): `tsrun state` never
// pays for them.
import { defaultImageRoot } from '../data-root';
import { log } from '../log';
import { addressOf, attach, detach, listRecords, readRecord, type AttachmentRecord, type NetworkMode } from './attach';
import { formatCidr, formatIpv4 } from './cidr';
import { DEFAULT_NETWORK } from './conflist';
import { NetworkError, NetworkUsageError } from './errors';
import { parseAddHost, parseDns } from './etc-files';
import { removeNetworkHostParts } from './host-rules';
import { formatMapping, parsePublish } from './ports';
import { NetworkStore, type StoredNetwork } from './store';

export { attach, detach, addressOf } from './attach';
export { parsePublish } from './ports';

export interface NetworkEnv {
  /** --image-root, or undefined for the default */
  imageRoot?: string;
  out(text: string): void;
  euid: number;
  env: NodeJS.ProcessEnv;
}

export function openNetworkStore(e: Pick<NetworkEnv, 'imageRoot' | 'euid' | 'env'>): NetworkStore {
  return NetworkStore.open(e.imageRoot ?? defaultImageRoot(e.euid, e.env));
}

export function createCommand(e: NetworkEnv, o: { name: string; subnet?: string; gateway?: string; internal: boolean }): number {
  const n = openNetworkStore(e).create(o);
  e.out(`${n.spec.id}\n`);
  return 0;
}

function membersOf(n: StoredNetwork, records: AttachmentRecord[]): AttachmentRecord[] {
  return records.filter((r) => r.network?.name === n.spec.name);
}

export function listCommand(e: NetworkEnv, o: { quiet: boolean; format: 'table' | 'json' }): number {
  const nets = openNetworkStore(e).list();
  if (o.quiet) {
    e.out(nets.map((n) => `${n.spec.id.slice(0, 12)}\n`).join(''));
    return 0;
  }
  const rows = nets.map((n) => ({
    ID: n.spec.id.slice(0, 12),
    Name: n.spec.name,
    Driver: 'bridge',
    Scope: 'local',
    Subnet: formatCidr(n.spec.subnet),
    Internal: n.spec.internal,
  }));
  if (o.format === 'json') {
    e.out(rows.map((r) => `${JSON.stringify(r)}\n`).join(''));
    return 0;
  }
  const table = [['NETWORK ID', 'NAME', 'DRIVER', 'SCOPE', 'SUBNET'], ...rows.map((r) => [r.ID, r.Name, r.Driver, r.Scope, r.Subnet])];
  const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
  e.out(table.map((row) => `${row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i]! + 3))).join('')}\n`).join(''));
  return 0;
}

function inspectOne(n: StoredNetwork, records: AttachmentRecord[]): object {
  const s = n.spec;
  return {
    Name: s.name,
    Id: s.id,
    Created: s.created,
    Scope: 'local',
    Driver: 'bridge',
    EnableIPv6: false,
    IPAM: { Driver: 'host-local', Config: [{ Subnet: formatCidr(s.subnet), Gateway: formatIpv4(s.gateway) }] },
    Internal: s.internal,
    NameResolution: s.nameResolution,
    Containers: Object.fromEntries(
      membersOf(n, records).map((r) => [
        r.containerId,
        {
          Name: r.name ?? r.containerId,
          IPv4Address: r.network?.result?.ips?.[0]?.address ?? '',
          MacAddress: r.network?.result?.interfaces?.find((i) => i.sandbox)?.mac ?? '',
          Ports: (r.network?.portMappings ?? []).map(formatMapping),
        },
      ]),
    ),
    Options: { 'com.docker.network.bridge.name': s.bridge },
    ConfigFile: n.file,
  };
}

export function inspectCommand(e: NetworkEnv, o: { names: string[] }): number {
  const store = openNetworkStore(e);
  const records = listRecords(store);
  const found: object[] = [];
  let missing: unknown;
  for (const name of o.names) {
    try {
      found.push(inspectOne(store.get(name), records));
    } catch (err) {
      log.error((err as Error).message);
      missing ??= err;
    }
  }
  e.out(`${JSON.stringify(found, null, 4)}\n`);
  if (missing) throw missing;
  return 0;
}

function removeOne(store: NetworkStore, name: string): StoredNetwork {
  return store.withLock(() => {
    const n = store.get(name);
    if (n.spec.name === DEFAULT_NETWORK) throw new NetworkError(`${DEFAULT_NETWORK} is a pre-defined network and cannot be removed`);
    const members = membersOf(n, listRecords(store));
    if (members.length > 0) {
      throw new NetworkError(
        `error while removing network: network ${n.spec.name} id ${n.spec.id} has active endpoints (${members.map((m) => m.name ?? m.containerId).join(', ')})`,
      );
    }
    removeNetworkHostParts(n.spec);
    store.removeFile(n);
    return n;
  });
}

/** Docker: each name is tried; the names removed are printed, the first error ends the command with status 1. */
export function removeCommand(e: NetworkEnv, o: { names: string[] }): number {
  const store = openNetworkStore(e);
  let failed: unknown;
  for (const name of o.names) {
    try {
      removeOne(store, name);
      e.out(`${name}\n`);
    } catch (err) {
      if (failed) log.error((err as Error).message);
      failed ??= err;
    }
  }
  if (failed) throw failed;
  return 0;
}

export function pruneCommand(e: NetworkEnv): number {
  const store = openNetworkStore(e);
  const records = listRecords(store);
  const removed: string[] = [];
  for (const n of store.list()) {
    if (n.spec.name === DEFAULT_NETWORK || membersOf(n, records).length > 0) continue;
    removeOne(store, n.spec.name);
    removed.push(n.spec.name);
  }
  if (removed.length > 0) e.out(`Deleted Networks:\n${removed.map((n) => `${n}\n`).join('')}`);
  return 0;
}

/** What `container inspect` shows under NetworkSettings. */
function networkSettings(r: AttachmentRecord | undefined): object {
  if (!r) return { Networks: {} };
  const ip = addressOf(r);
  const prefix = r.network?.result?.ips?.[0]?.address.split('/')[1];
  return {
    Networks: r.network
      ? {
          [r.network.name]: {
            NetworkID: r.network.id,
            IPAddress: ip ?? '',
            IPPrefixLen: prefix ? Number(prefix) : 0,
            Gateway: r.network.result?.ips?.[0]?.gateway ?? '',
            MacAddress: r.network.result?.interfaces?.find((i) => i.sandbox)?.mac ?? '',
            Aliases: r.name ? [r.name] : [],
          },
        }
      : { [r.mode]: {} },
    Ports: (r.network?.portMappings ?? []).map(formatMapping),
  };
}

/** The network flags of `container run`/`create`, as given. */
export interface ContainerNetworkRequest {
  containerId: string;
  /** --name: resolvable by the other members of a user-defined network */
  name?: string;
  /** --hostname (default: the first 12 characters of the id, as Docker) */
  hostname?: string;
  /** --network: bridge (default), host, none or a network's name or id */
  network?: string;
  /** -p values */
  publish: string[];
  ip?: string;
  dns: string[];
  addHosts: string[];
}

/** What the container's config.json needs. */
export interface ContainerNetworkSetup {
  /** linux.namespaces [{type: network, path}]; undefined with --network host (no network namespace) */
  netnsPath?: string;
  hostname: string;
  /** /etc/hosts, /etc/resolv.conf, /etc/hostname */
  mounts: Array<{ destination: string; type: 'bind'; source: string; options: string[] }>;
  /** the address on its network, if any */
  address?: string;
}

function modeOf(network: string | undefined): NetworkMode {
  const n = network ?? DEFAULT_NETWORK;
  if (n === 'host' || n === 'none') return { kind: n };
  if (n === 'default') return { kind: 'network', network: DEFAULT_NETWORK };
  if (n.startsWith('container:')) throw new NetworkUsageError(`--network ${n}: sharing another container's network namespace is not supported`);
  return { kind: 'network', network: n };
}

/**
 * Everything is checked (flags parsed, the network looked up) before the
 * first side effect; then the network namespace is made and attached. The
 * container is created after this, joining netnsPath; the runtime state
 * (the record) is what teardownContainerNetwork undoes, also after a crash.
 */
export function setupContainerNetwork(e: Pick<NetworkEnv, 'imageRoot' | 'euid' | 'env'>, req: ContainerNetworkRequest): ContainerNetworkSetup {
  const mode = modeOf(req.network);
  const ports = req.publish.map(parsePublish);
  const dns = req.dns.map(parseDns);
  const store = openNetworkStore(e);
  const gateway = mode.kind === 'network' ? formatIpv4(store.get(mode.network).spec.gateway) : undefined;
  const extraHosts = req.addHosts.map((h) => parseAddHost(h, gateway));
  const hostname = req.hostname ?? req.containerId.slice(0, 12);
  const r = attach(store, {
    containerId: req.containerId,
    mode,
    ...(req.name ? { name: req.name } : {}),
    hostname,
    ports,
    ...(req.ip ? { ip: req.ip } : {}),
    dns,
    extraHosts,
  });
  const options = ['rbind', 'ro', 'nosuid', 'nodev', 'noexec'];
  const address = addressOf(r.record);
  return {
    ...(mode.kind === 'host' ? {} : { netnsPath: r.record.netns }),
    hostname,
    mounts: [
      { destination: '/etc/hosts', type: 'bind', source: r.files.hosts, options },
      { destination: '/etc/resolv.conf', type: 'bind', source: r.files.resolvConf, options },
      { destination: '/etc/hostname', type: 'bind', source: r.files.hostname, options },
    ],
    ...(address ? { address } : {}),
  };
}

/** At rm (also rm -f after a killed tsrun): CNI DEL from the record, the namespace and the files. */
export function teardownContainerNetwork(e: Pick<NetworkEnv, 'imageRoot' | 'euid' | 'env'>, containerId: string): boolean {
  return detach(openNetworkStore(e), containerId);
}

/** container inspect's NetworkSettings of a container. */
export function containerNetworkSettings(e: Pick<NetworkEnv, 'imageRoot' | 'euid' | 'env'>, containerId: string): object {
  return networkSettings(readRecord(openNetworkStore(e), containerId));
}
