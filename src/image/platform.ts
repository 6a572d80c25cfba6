// Platforms ("linux/arm64/v8"): parsing and normalising them as containerd
// does (aarch64 = arm64, arm64 = arm64/v8, armhf = arm/v7, x86_64 = amd64),
// and choosing a manifest from an index: the exact variant first, then the
// compatible older ones (arm/v7 runs v6 and v5; amd64/v3 runs v2 and v1).
import fs from 'node:fs';
import type { Descriptor, Platform } from '../../oci-spec/image';
import { ImageError } from './errors';

export interface PlatformSpec {
  os: string;
  architecture: string;
  variant?: string;
}

const ARCH_ALIASES: Record<string, { architecture: string; variant?: string }> = {
  x86_64: { architecture: 'amd64' },
  'x86-64': { architecture: 'amd64' },
  aarch64: { architecture: 'arm64' },
  armhf: { architecture: 'arm', variant: 'v7' },
  armel: { architecture: 'arm', variant: 'v6' },
  i386: { architecture: '386' },
  i686: { architecture: '386' },
};

/** Normalise an os/architecture/variant triple (variants as "v8", arm64's default v8, arm's v7). */
export function normalizePlatform(p: { os: string; architecture: string; variant?: string }): PlatformSpec {
  const os = p.os.toLowerCase();
  let architecture = p.architecture.toLowerCase();
  let variant = p.variant?.toLowerCase() || undefined;
  const alias = ARCH_ALIASES[architecture];
  if (alias) {
    architecture = alias.architecture;
    variant ??= alias.variant;
  }
  if (variant !== undefined && /^\d+$/.test(variant)) variant = `v${variant}`;
  if (architecture === 'arm64') {
    variant ??= 'v8';
    if (variant === '8') variant = 'v8';
  } else if (architecture === 'arm') {
    variant ??= 'v7';
  } else if (architecture === 'amd64' && variant === 'v1') {
    variant = undefined;
  }
  return { os, architecture, ...(variant ? { variant } : {}) };
}

/** Parse --platform "os/arch[/variant]". */
export function parsePlatform(text: string): PlatformSpec {
  const parts = text.split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => !/^[A-Za-z0-9_.-]+$/.test(p))) {
    throw new ImageError(`--platform: expected os/arch[/variant] (e.g. linux/arm64 or linux/arm/v7), got ${JSON.stringify(text)}`);
  }
  return normalizePlatform({ os: parts[0] as string, architecture: parts[1] as string, variant: parts[2] });
}

export function formatPlatform(p: PlatformSpec): string {
  return `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ''}`;
}

const NODE_ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64', loong64: 'loong64' };

/** This machine's platform. */
export function hostPlatform(): PlatformSpec {
  const architecture = NODE_ARCH[process.arch] ?? process.arch;
  let variant: string | undefined;
  if (architecture === 'arm') variant = armVariant();
  return normalizePlatform({ os: 'linux', architecture, variant });
}

function armVariant(): string {
  try {
    const m = /CPU architecture:\s*(\d+)/.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'));
    const v = Number(m?.[1] ?? 7);
    return v >= 7 ? 'v7' : `v${v}`;
  } catch {
    return 'v7';
  }
}

/** Variants a platform runs, best first (containerd's platforms.Only). */
function acceptedVariants(p: PlatformSpec): Array<string | undefined> {
  if (p.architecture === 'arm') {
    const order = ['v8', 'v7', 'v6', 'v5'];
    const i = order.indexOf(p.variant ?? 'v7');
    return i < 0 ? [p.variant] : order.slice(i);
  }
  if (p.architecture === 'amd64') {
    const order = ['v4', 'v3', 'v2', undefined];
    const i = order.indexOf(p.variant);
    return i < 0 ? [p.variant] : order.slice(i);
  }
  return [p.variant];
}

function entryPlatform(d: Descriptor): PlatformSpec | undefined {
  const p: Platform | undefined = d.platform;
  if (!p) return undefined;
  return normalizePlatform({ os: p.os, architecture: p.architecture, variant: p.variant });
}

/** Attestation manifests (buildx provenance, SBOMs) carry unknown/unknown. */
function isAttestation(d: Descriptor): boolean {
  return d.platform?.os === 'unknown' || d.platform?.architecture === 'unknown';
}

/**
 * The index entry for `want`; throws listing what the index has when nothing
 * fits. Entries without a platform count as the host's only when they are the
 * one image of the index.
 */
export function chooseManifest(manifests: readonly Descriptor[], want: PlatformSpec, where: string): Descriptor {
  const candidates = manifests.filter((d) => !isAttestation(d));
  for (const variant of acceptedVariants(want)) {
    const hit = candidates.find((d) => {
      const p = entryPlatform(d);
      return p !== undefined && p.os === want.os && p.architecture === want.architecture && p.variant === variant;
    });
    if (hit) return hit;
  }
  if (candidates.length === 1 && !candidates[0]?.platform) return candidates[0] as Descriptor;
  const have = candidates.map((d) => {
    const p = entryPlatform(d);
    return p ? formatPlatform(p) : 'unknown platform';
  });
  throw new ImageError(
    `${where}: no image for platform ${formatPlatform(want)}; ` +
      (have.length ? `it has: ${[...new Set(have)].join(', ')}` : 'the index lists no images'),
  );
}

/** Whether an image config's platform is `want` (or one it runs). */
export function platformMatches(config: { os: string; architecture: string; variant?: string }, want: PlatformSpec): boolean {
  const p = normalizePlatform(config);
  return p.os === want.os && p.architecture === want.architecture && acceptedVariants(want).includes(p.variant);
}
