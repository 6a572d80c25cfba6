// Content digests ("sha256:<64 hex>"). A digest comes from a registry, a
// manifest or an archive, and becomes a URL and a file name: it is validated
// here, before either, and only these forms ever reach a path.
import crypto from 'node:crypto';
import { ImageError } from './errors';

export type DigestAlgorithm = 'sha256' | 'sha512';

const HEX_LENGTH: Record<DigestAlgorithm, number> = { sha256: 64, sha512: 128 };
const DIGEST = /^(sha256|sha512):([a-f0-9]+)$/;

export interface ParsedDigest {
  algorithm: DigestAlgorithm;
  hex: string;
}

/** The reason a digest is malformed, or undefined. */
export function digestProblem(digest: string): string | undefined {
  const m = DIGEST.exec(digest);
  if (!m) return 'expected sha256:<64 lowercase hex digits> (or sha512:<128>)';
  const algorithm = m[1] as DigestAlgorithm;
  if ((m[2] as string).length !== HEX_LENGTH[algorithm]) return `a ${algorithm} digest has ${HEX_LENGTH[algorithm]} hex digits`;
  return undefined;
}

/** Parse a digest, throwing an error that says where it came from. */
export function parseDigest(digest: unknown, where: string): ParsedDigest {
  if (typeof digest !== 'string') throw new ImageError(`${where}: expected a digest string`);
  const problem = digestProblem(digest);
  if (problem) throw new ImageError(`${where}: invalid digest ${JSON.stringify(digest.slice(0, 200))}: ${problem}`);
  const i = digest.indexOf(':');
  return { algorithm: digest.slice(0, i) as DigestAlgorithm, hex: digest.slice(i + 1) };
}

export function isDigest(s: string): boolean {
  return digestProblem(s) === undefined;
}

export function newHash(algorithm: DigestAlgorithm): crypto.Hash {
  return crypto.createHash(algorithm);
}

export function digestOf(data: Buffer | string, algorithm: DigestAlgorithm = 'sha256'): string {
  return `${algorithm}:${crypto.createHash(algorithm).update(data).digest('hex')}`;
}

/** The first 12 hex digits, as Docker shows layer and image ids. */
export function shortId(digest: string): string {
  const i = digest.indexOf(':');
  return digest.slice(i + 1, i + 13);
}

/**
 * The chain ids of a list of diff_ids (OCI image spec, "Layer ChainID"):
 * chain(L0) = diff(L0); chain(Ln) = sha256(chain(Ln-1) + " " + diff(Ln)).
 */
export function chainIds(diffIds: readonly string[]): string[] {
  const out: string[] = [];
  for (const d of diffIds) {
    const prev = out[out.length - 1];
    out.push(prev === undefined ? d : digestOf(`${prev} ${d}`));
  }
  return out;
}
