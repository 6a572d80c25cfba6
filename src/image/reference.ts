// Image references, by Docker's rules (distribution/reference, normalize.go):
// "busybox" is docker.io/library/busybox:latest; the first component is a
// registry when it has a "." or ":" or is "localhost" (or has upper case);
// a tag follows the last ":" after the last "/"; "@sha256:..." pins a digest.
import { digestProblem } from './digest';
import { ImageError } from './errors';

export const DOCKER_HUB = 'docker.io';
const DEFAULT_TAG = 'latest';

export interface ImageReference {
  /** registry host[:port], lower case; "docker.io" for Docker Hub */
  registry: string;
  /** repository path, e.g. "library/busybox" */
  repository: string;
  tag?: string;
  digest?: string;
}

const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
// a host name or an IPv4 address, optional port; or a bracketed IPv6 address
const REGISTRY = /^(?:(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?$/;
const MAX_NAME = 255;

function bad(ref: string, why: string): ImageError {
  return new ImageError(`invalid reference format: ${JSON.stringify(ref)}: ${why}`);
}

/** Parse a reference as Docker does; a missing tag and digest means :latest. */
export function parseReference(ref: string): ImageReference {
  if (ref.length === 0) throw bad(ref, 'empty');
  if (ref.length > 4096) throw bad(ref.slice(0, 64), 'too long');
  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    const problem = digestProblem(digest);
    if (problem) throw bad(ref, `digest: ${problem}`);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw bad(ref, 'a tag is up to 128 letters, digits, "_", "." and "-", not starting with "." or "-"');
  }
  let registry = DOCKER_HUB;
  let path = rest;
  const slash = rest.indexOf('/');
  if (slash >= 0) {
    const first = rest.slice(0, slash);
    if (/[.:]/.test(first) || first === 'localhost' || first !== first.toLowerCase()) {
      if (!REGISTRY.test(first)) throw bad(ref, `registry ${JSON.stringify(first)} is not a host[:port]`);
      registry = first.toLowerCase();
      path = rest.slice(slash + 1);
    }
  }
  if (registry === 'index.docker.io' || registry === 'registry-1.docker.io') registry = DOCKER_HUB;
  if (path.length === 0) throw bad(ref, 'no repository name');
  if (registry === DOCKER_HUB && !path.includes('/')) path = `library/${path}`;
  for (const c of path.split('/')) {
    if (!PATH_COMPONENT.test(c)) {
      throw bad(ref, `repository name component ${JSON.stringify(c)} must be lower case letters and digits, separated by ".", "_", "__" or dashes`);
    }
  }
  if (registry.length + 1 + path.length > MAX_NAME) throw bad(ref, `repository name longer than ${MAX_NAME} characters`);
  if (tag === undefined && digest === undefined) tag = DEFAULT_TAG;
  return { registry, repository: path, ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}) };
}

/** "docker.io/library/busybox" */
export function repositoryName(r: Pick<ImageReference, 'registry' | 'repository'>): string {
  return `${r.registry}/${r.repository}`;
}

/** The full form: "docker.io/library/busybox:latest", "host:5000/x@sha256:..." */
export function formatReference(r: ImageReference): string {
  return `${repositoryName(r)}${r.tag !== undefined ? `:${r.tag}` : ''}${r.digest !== undefined ? `@${r.digest}` : ''}`;
}

/** Docker's short form for display: "busybox:latest", "user/app:1", "host:5000/x:y". */
export function familiarName(r: Pick<ImageReference, 'registry' | 'repository'>): string {
  if (r.registry !== DOCKER_HUB) return repositoryName(r);
  return r.repository.startsWith('library/') && r.repository.split('/').length === 2 ? r.repository.slice(8) : r.repository;
}

/** The key a tag is stored under ("docker.io/library/busybox:latest"), or the digest form when there is no tag. */
export function storeKey(r: ImageReference): string {
  return r.tag !== undefined ? `${repositoryName(r)}:${r.tag}` : `${repositoryName(r)}@${r.digest}`;
}
