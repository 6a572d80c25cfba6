// Attaching a container's network namespace to a network, and detaching it.
// The record <store>/attachments/<id>.json is written BEFORE the CNI ADD, so
// whatever happens next (a plugin failing half-way, tsrun SIGKILLed) the
// detach finds it and runs DEL with the same conflist, container id,
// interface and netns path: the plugins release the veth, the lease and the
// port rules (DEL is idempotent in the CNI spec, and tolerates a netns that is
// gone). Everything runs under the store's lock.
import fs from 'node:fs';
import path from 'node:path';
import { log } from '../log';
import { contains, formatIpv4, isHostAddress, parseIpv4 } from './cidr';
import { addNetworkList, delNetworkList, loopbackUp, type CniResult } from './cni';
import { DEFAULT_NETWORK, type Conflist } from './conflist';
import { hostsContent, readHostResolvConf, resolvConfContent, rewriteInPlace, type HostEntry } from './etc-files';
import { NetworkError, NetworkUsageError } from './errors';
import { ensureIsolation } from './host-rules';
import { createNetns, dropUnpinnedNetns, netnsFile, removeNetns } from './netns';
import { formatMapping, sameHostSocket, type PortMapping } from './ports';
import type { NetworkStore } from './store';

const CONTAINER_IFNAME = 'eth0';

export type NetworkMode = { kind: 'none' } | { kind: 'host' } | { kind: 'network'; network: string };

export interface AttachRequest {
  containerId: string;
  /**
   * the container's network namespace (a path that stays valid until detach);
   * absent: tsrun makes one (netns.ts), after the record is written, and removes it at detach
   */
  netns?: string;
  mode: NetworkMode;
  /** the container's name (resolvable by the other members of a user-defined network) */
  name?: string;
  hostname: string;
  ports: PortMapping[];
  ip?: string;
  dns: string[];
  /** --add-host values, parsed */
  extraHosts: HostEntry[];
}

export interface AttachmentRecord {
  containerId: string;
  name?: string;
  netns: string;
  /** the netns file is tsrun's (netns.ts): removed at detach */
  ownNetns?: boolean;
  mode: NetworkMode['kind'];
  hostname: string;
  extraHosts: HostEntry[];
  dns: string[];
  network?: {
    name: string;
    id: string;
    ifName: string;
    conflist: Conflist;
    portMappings: PortMapping[];
    requestedIp?: string;
    /** absent until the ADD succeeded */
    result?: CniResult;
  };
}

export interface AttachResult {
  record: AttachmentRecord;
  /** the container's files: bind-mount them onto /etc/hosts, /etc/resolv.conf, /etc/hostname */
  files: { hosts: string; resolvConf: string; hostname: string };
}

function recordFile(store: NetworkStore, id: string): string {
  return path.join(store.attachmentsDir, `${id}.json`);
}

function etcFiles(store: NetworkStore, id: string): AttachResult['files'] {
  const dir = path.join(store.etcDir, id);
  return { hosts: path.join(dir, 'hosts'), resolvConf: path.join(dir, 'resolv.conf'), hostname: path.join(dir, 'hostname') };
}

export function readRecord(store: NetworkStore, id: string): AttachmentRecord | undefined {
  try {
    return JSON.parse(fs.readFileSync(recordFile(store, id), 'utf8')) as AttachmentRecord;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new NetworkError(`network attachment of ${id}: ${(e as Error).message}`, { cause: e, containerId: id, path: recordFile(store, id) });
  }
}

function writeRecord(store: NetworkStore, r: AttachmentRecord): void {
  const file = recordFile(store, r.containerId);
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = fs.openSync(tmp, 'w', 0o600);
  try {
    fs.writeSync(fd, JSON.stringify(r, null, 2));
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
}

export function listRecords(store: NetworkStore): AttachmentRecord[] {
  return fs
    .readdirSync(store.attachmentsDir)
    .filter((f) => f.endsWith('.json'))
    .flatMap((f) => readRecord(store, f.slice(0, -'.json'.length)) ?? []);
}

/** The container's IPv4 address on its network, once attached ("10.89.0.2"). */
export function addressOf(r: AttachmentRecord): string | undefined {
  return r.network?.result?.ips?.[0]?.address.split('/')[0];
}

function checkRequest(store: NetworkStore, req: AttachRequest, others: AttachmentRecord[]): AttachmentRecord['network'] {
  if (req.mode.kind !== 'network') {
    if (req.ip) throw new NetworkUsageError(`--ip: needs a user-defined network (--network ${req.mode.kind} has no addresses to choose)`);
    return undefined;
  }
  const net = store.get(req.mode.network);
  if (req.ip !== undefined) {
    if (net.spec.name === DEFAULT_NETWORK) throw new NetworkUsageError('--ip: user specified IP address is supported on user defined networks only');
    const ip = parseIpv4(req.ip);
    if (ip === undefined) throw new NetworkUsageError(`--ip: invalid IPv4 address ${JSON.stringify(req.ip)}`);
    if (!contains(net.spec.subnet, ip) || !isHostAddress(net.spec.subnet, ip) || ip === net.spec.gateway) {
      throw new NetworkUsageError(`--ip: ${req.ip} is not a free host address of network ${net.spec.name} (${formatIpv4(net.spec.subnet.base)}/${net.spec.subnet.bits}, gateway ${formatIpv4(net.spec.gateway)})`);
    }
    const holder = others.find((o) => addressOf(o) === req.ip && o.network?.name === net.spec.name);
    if (holder) throw new NetworkError(`--ip: address ${req.ip} is already in use by container ${holder.containerId}`);
  }
  if (net.spec.internal && req.ports.length > 0) log.warn(`network ${net.spec.name} is internal: published ports are not reachable from outside it`);
  for (const m of req.ports) {
    const mine = req.ports.filter((p) => sameHostSocket(p, m));
    if (mine.length > 1) throw new NetworkUsageError(`-p: ${formatMapping(m)} is given twice for the same host port`);
    for (const o of others) {
      const clash = o.network?.portMappings.find((p) => sameHostSocket(p, m));
      if (clash) {
        throw new NetworkError(`Bind for ${m.hostIP || '0.0.0.0'}:${m.hostPort} failed: port is already allocated (by container ${o.containerId}: ${formatMapping(clash)})`);
      }
    }
  }
  return {
    name: net.spec.name,
    id: net.spec.id,
    ifName: CONTAINER_IFNAME,
    conflist: net.conflist,
    portMappings: net.spec.internal ? [] : req.ports,
    ...(req.ip ? { requestedIp: req.ip } : {}),
  };
}

/**
 * Attach: lo up, then the network's conflist ADD (eth0), the isolation
 * rules, and the container's /etc files. On failure everything done is
 * undone (DEL) and the error is thrown. --network host adds nothing to the
 * namespace (it is the caller's); -p is ignored there with a warning, as Docker does.
 */
export function attach(store: NetworkStore, req: AttachRequest): AttachResult {
  return store.withLock(() => {
    if (fs.existsSync(recordFile(store, req.containerId))) {
      throw new NetworkError(`container ${req.containerId} is already attached to a network (detach it first)`, { containerId: req.containerId });
    }
    if (req.mode.kind !== 'network' && req.ports.length > 0) {
      log.warn(req.mode.kind === 'host' ? 'Published ports are discarded when using host network mode' : 'Published ports are discarded with --network none');
    }
    const others = listRecords(store);
    const network = checkRequest(store, req, others);
    const record: AttachmentRecord = {
      containerId: req.containerId,
      ...(req.name ? { name: req.name } : {}),
      netns: req.netns ?? (req.mode.kind === 'host' ? '' : netnsFile(store, req.containerId)),
      ...(req.netns === undefined && req.mode.kind !== 'host' ? { ownNetns: true } : {}),
      mode: req.mode.kind,
      hostname: req.hostname,
      extraHosts: req.extraHosts,
      dns: req.dns,
      ...(network ? { network } : {}),
    };
    writeRecord(store, record);
    try {
      if (record.ownNetns) createNetns(store, req.containerId);
      if (req.mode.kind !== 'host') loopbackUp({ containerId: req.containerId, netns: record.netns });
      if (network) {
        network.result = addNetworkList(network.conflist, runtimeOf(record), path.join(store.ipamDir));
        writeRecord(store, record);
        ensureIsolation(store.get(network.name).spec);
      }
      const files = writeEtcFiles(store, record);
      if (network) refreshPeers(store, network.name, req.containerId);
      return { record, files };
    } catch (e) {
      try {
        release(store, record);
      } catch (undo) {
        log.warn(`undoing the attachment of ${req.containerId}: ${(undo as Error).message}`);
      }
      throw e;
    }
  });
}

function runtimeOf(r: AttachmentRecord) {
  const n = r.network as NonNullable<AttachmentRecord['network']>;
  return {
    containerId: r.containerId,
    netns: r.netns,
    ifName: n.ifName,
    ...(n.requestedIp ? { args: { IP: n.requestedIp } } : {}),
    runtimeConfig: { portMappings: n.portMappings },
  };
}

/** DEL, then the record and the files; a DEL that fails keeps the record (detach can be run again). */
function release(store: NetworkStore, r: AttachmentRecord): void {
  if (r.ownNetns) dropUnpinnedNetns(store, r.containerId);
  if (r.network) delNetworkList(r.network.conflist, runtimeOf(r), store.ipamDir, r.network.result);
  if (r.ownNetns) removeNetns(store, r.containerId);
  fs.rmSync(recordFile(store, r.containerId), { force: true });
  fs.rmSync(path.join(store.etcDir, r.containerId), { recursive: true, force: true });
  if (r.network) refreshPeers(store, r.network.name, r.containerId);
}

/** Detach from the record (works after a crash: DEL is always run). False when there was nothing attached. */
export function detach(store: NetworkStore, containerId: string): boolean {
  return store.withLock(() => {
    const r = readRecord(store, containerId);
    if (!r) return false;
    release(store, r);
    return true;
  });
}

function peersOf(store: NetworkStore, r: AttachmentRecord, all: AttachmentRecord[]): Array<{ ip: string; names: string[] }> {
  if (!r.network) return [];
  const net = store.get(r.network.name).spec;
  if (!net.nameResolution) return [];
  return all
    .filter((o) => o.containerId !== r.containerId && o.network?.name === r.network?.name && addressOf(o))
    .map((o) => ({ ip: addressOf(o) as string, names: [...new Set([...(o.name ? [o.name] : []), o.hostname, o.containerId.slice(0, 12)])] }));
}

function hostsOf(store: NetworkStore, r: AttachmentRecord, all: AttachmentRecord[]): string {
  if (r.mode === 'host') {
    let host = '';
    try {
      host = fs.readFileSync('/etc/hosts', 'utf8');
    } catch {
      host = '127.0.0.1\tlocalhost\n';
    }
    return host + r.extraHosts.map((e) => `${e.ip}\t${e.name}\n`).join('');
  }
  const ip = addressOf(r);
  return hostsContent({ hostname: r.hostname, ...(ip ? { ip } : {}), extraHosts: r.extraHosts, peers: peersOf(store, r, all) });
}

function writeEtcFiles(store: NetworkStore, r: AttachmentRecord): AttachResult['files'] {
  const files = etcFiles(store, r.containerId);
  fs.mkdirSync(path.dirname(files.hosts), { recursive: true, mode: 0o711 });
  rewriteInPlace(files.hosts, hostsOf(store, r, listRecords(store)));
  rewriteInPlace(files.resolvConf, resolvConfContent(readHostResolvConf(), r.dns, r.mode === 'host'));
  rewriteInPlace(files.hostname, `${r.hostname}\n`);
  return files;
}

/** Rewrite the hosts file of every other member of a network that resolves names. */
function refreshPeers(store: NetworkStore, network: string, except: string): void {
  const all = listRecords(store);
  for (const r of all) {
    if (r.containerId === except || r.network?.name !== network) continue;
    const file = etcFiles(store, r.containerId).hosts;
    if (fs.existsSync(file)) rewriteInPlace(file, hostsOf(store, r, all));
  }
}
