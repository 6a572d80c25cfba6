// /etc/hosts, /etc/resolv.conf and /etc/hostname of a container, as Docker
// writes them. Name resolution between containers of a user-defined network
// is through /etc/hosts: each member's file lists every other member, and is
// rewritten in place (same inode, so a bind mount of it sees the change)
// when a container joins or leaves (docs/networks.md says why).
import fs from 'node:fs';
import net from 'node:net';
import { parseIpv4 } from './cidr';
import { NetworkUsageError } from './errors';

export interface HostEntry {
  name: string;
  ip: string;
}

const HOSTNAME = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const FALLBACK_DNS = ['8.8.8.8', '8.8.4.4'];
const LOCALHOST_LINES = [
  '127.0.0.1\tlocalhost',
  '::1\tlocalhost ip6-localhost ip6-loopback',
  'fe00::0\tip6-localnet',
  'ff00::0\tip6-mcastprefix',
  'ff02::1\tip6-allnodes',
  'ff02::2\tip6-allrouters',
];

/** --add-host NAME:IP (Docker also takes NAME=IP); "host-gateway" is the network's gateway. */
export function parseAddHost(value: string, gateway: string | undefined): HostEntry {
  const sep = value.includes('=') ? value.indexOf('=') : value.indexOf(':');
  const name = sep > 0 ? value.slice(0, sep) : '';
  let ip = sep > 0 ? value.slice(sep + 1) : '';
  if (!HOSTNAME.test(name)) throw new NetworkUsageError(`--add-host ${value}: invalid host name ${JSON.stringify(name)} (expected NAME:IP)`);
  if (ip === 'host-gateway') {
    if (!gateway) throw new NetworkUsageError(`--add-host ${value}: host-gateway needs a network with a gateway`);
    ip = gateway;
  }
  if (ip.startsWith('[') && ip.endsWith(']')) ip = ip.slice(1, -1);
  if (net.isIP(ip) === 0) throw new NetworkUsageError(`--add-host ${value}: invalid IP address ${JSON.stringify(ip)} (expected NAME:IP)`);
  return { name, ip };
}

export function parseDns(value: string): string {
  if (net.isIP(value) === 0) throw new NetworkUsageError(`--dns ${value}: not an IP address`);
  return value;
}

export interface HostsInput {
  hostname: string;
  /** the container's own address on its network (none for --network none) */
  ip?: string;
  extraHosts: HostEntry[];
  /** other members of a user-defined network: name(s) per address */
  peers: Array<{ ip: string; names: string[] }>;
}

export function hostsContent(h: HostsInput): string {
  const lines = [...LOCALHOST_LINES];
  for (const e of h.extraHosts) lines.push(`${e.ip}\t${e.name}`);
  lines.push(`${h.ip ?? '127.0.1.1'}\t${h.hostname}`);
  for (const p of h.peers) lines.push(`${p.ip}\t${p.names.join(' ')}`);
  return `${lines.join('\n')}\n`;
}

/**
 * Docker's rules: --dns replaces the host's nameservers (search and options
 * are kept); the host's loopback nameservers cannot be reached from another
 * network namespace, so they are dropped, and if none remain Google's public
 * ones are used. With the host's network the host's file is used as it is.
 */
export function resolvConfContent(hostText: string, dns: string[], hostNetwork: boolean): string {
  if (hostNetwork && dns.length === 0) return hostText;
  const kept: string[] = [];
  const servers: string[] = [];
  for (const line of hostText.split('\n')) {
    const t = line.trim();
    const m = /^nameserver\s+(\S+)/.exec(t);
    if (m) {
      const ip = m[1] as string;
      const v4 = parseIpv4(ip);
      const loopback = (v4 !== undefined && v4 >>> 24 === 127) || ip === '::1';
      if (!loopback || hostNetwork) servers.push(ip);
    } else if (/^(search|domain|options)\s/.test(t)) kept.push(t);
  }
  const chosen = dns.length > 0 ? dns : servers.length > 0 ? servers : FALLBACK_DNS;
  return `${[...chosen.map((s) => `nameserver ${s}`), ...kept].join('\n')}\n`;
}

export function readHostResolvConf(): string {
  try {
    return fs.readFileSync('/etc/resolv.conf', 'utf8');
  } catch {
    return '';
  }
}

/** Replace a file's content keeping its inode (a bind mount of it shows the new content). */
export function rewriteInPlace(file: string, content: string): void {
  const fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_NOFOLLOW, 0o644);
  try {
    const buf = Buffer.from(content);
    fs.writeSync(fd, buf, 0, buf.length, 0);
    fs.ftruncateSync(fd, buf.length);
  } finally {
    fs.closeSync(fd);
  }
}
