// IPv4 addresses and prefixes as numbers: parsing with errors that name the
// flag, overlap and containment for --subnet, --gateway and --ip.
import { NetworkUsageError } from './errors';

export interface Ipv4Prefix {
  /** network address (host bits cleared) as an unsigned 32-bit number */
  base: number;
  bits: number;
}

const OCTET = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

/** The address as a number, or undefined when it is not dotted-quad IPv4. */
export function parseIpv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4 || !parts.every((p) => OCTET.test(p))) return undefined;
  return parts.reduce((n, p) => n * 256 + Number(p), 0);
}

export function formatIpv4(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}

function mask(bits: number): number {
  return bits === 0 ? 0 : (0xffffffff - (2 ** (32 - bits) - 1)) >>> 0;
}

/** "10.1.0.0/16" -> its prefix; host bits set are refused, as Docker does ("invalid subnet"). */
export function parseCidr(text: string, flag: string): Ipv4Prefix {
  const m = /^([^/]+)\/(\d{1,2})$/.exec(text);
  const addr = m ? parseIpv4(m[1] as string) : undefined;
  const bits = m ? Number(m[2]) : NaN;
  if (addr === undefined || !(bits >= 0 && bits <= 32)) {
    throw new NetworkUsageError(`${flag}: invalid subnet ${JSON.stringify(text)}: expected an IPv4 CIDR such as 10.89.0.0/24`);
  }
  const base = (addr & mask(bits)) >>> 0;
  if (base !== addr) {
    throw new NetworkUsageError(`${flag}: invalid subnet ${text}: host bits are set (did you mean ${formatIpv4(base)}/${bits}?)`);
  }
  if (bits > 30) throw new NetworkUsageError(`${flag}: subnet ${text} is too small: a bridge network needs at least a /30`);
  return { base, bits };
}

export function formatCidr(p: Ipv4Prefix): string {
  return `${formatIpv4(p.base)}/${p.bits}`;
}

function size(p: Ipv4Prefix): number {
  return 2 ** (32 - p.bits);
}

export function contains(p: Ipv4Prefix, addr: number): boolean {
  return addr >= p.base && addr < p.base + size(p);
}

export function overlaps(a: Ipv4Prefix, b: Ipv4Prefix): boolean {
  return a.base < b.base + size(b) && b.base < a.base + size(a);
}

/** An address that can be given to a host of the subnet (not the network or broadcast address). */
export function isHostAddress(p: Ipv4Prefix, addr: number): boolean {
  return contains(p, addr) && addr !== p.base && addr !== p.base + size(p) - 1;
}
