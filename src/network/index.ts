// The network commands, and attach/detach for the container commands. This
// module and what it imports load only through import(): `tsrun state` never
// pays for them.
import { defaultImageRoot } from '../data-root';
import { log } from '../log';
import { addressOf, listRecords, type AttachmentRecord } from './attach';
import { formatCidr, formatIpv4 } from './cidr';
import { DEFAULT_NETWORK } from './conflist';
import { NetworkError } from './errors';
import { removeNetworkHostParts } from './host-rules';
import { formatMapping } from './ports';
import { NetworkStore, type StoredNetwork } from './store';

export { attach, detach, readRecord, addressOf, etcFiles, type AttachRequest, type AttachResult, type AttachmentRecord, type NetworkMode } from './attach';
export { parsePublish, formatMapping, type PortMapping } from './ports';
export { parseAddHost, parseDns } from './etc-files';
export { NetworkStore } from './store';
export { NetworkError, NetworkNotFoundError, NetworkUsageError, CniPluginError } from './errors';

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
export function networkSettings(r: AttachmentRecord | undefined): object {
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
