// An overlayfs rootfs, as config.json asks for it: the annotation
// OVERLAY_ANNOTATION holds {"lowerDirs": [top first], "upperDir", "workDir"}
// (absolute host paths). The bundles of `tsrun container` carry it; any
// bundle may. The init mounts it on root.path inside the container's own
// mount namespace, so the host never holds the mount.
import * as path from 'node:path';
import type { OverlayPlan } from '../native/plan';

export const OVERLAY_ANNOTATION = 'org.tsrun.rootfs.overlay';

/** overlayfs refuses more lower layers than this (OVL_MAX_STACK). */
export const MAX_OVERLAY_LAYERS = 500;

export interface OverlaySpec {
  /** absolute, the top layer first (overlayfs order) */
  lowerDirs: string[];
  upperDir: string;
  workDir: string;
}

const JSON_PATH = `annotations["${OVERLAY_ANNOTATION}"]`;

export interface OverlayProblem {
  path: string;
  message: string;
}

/** Problems with the annotation's value, each with its JSON path; [] when it is usable. */
export function overlayProblems(value: string): OverlayProblem[] {
  let doc: unknown;
  try {
    doc = JSON.parse(value);
  } catch (e) {
    return [{ path: JSON_PATH, message: `not JSON: ${(e as Error).message}` }];
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return [{ path: JSON_PATH, message: `must be a JSON object` }];
  const o = doc as Record<string, unknown>;
  const out: OverlayProblem[] = [];
  const absolute = (v: unknown, where: string): void => {
    if (typeof v !== 'string' || !path.isAbsolute(v) || v.includes('\0') || v.includes(',') || v.includes(':')) {
      out.push({ path: `${JSON_PATH}.${where}`, message: `must be an absolute path without ',' or ':'` });
    }
  };
  for (const k of Object.keys(o)) if (!['lowerDirs', 'upperDir', 'workDir'].includes(k)) out.push({ path: `${JSON_PATH}.${k}`, message: `unknown field` });
  if (!Array.isArray(o.lowerDirs) || o.lowerDirs.length === 0) out.push({ path: `${JSON_PATH}.lowerDirs`, message: `must be a non-empty array` });
  else {
    if (o.lowerDirs.length > MAX_OVERLAY_LAYERS) {
      out.push({ path: `${JSON_PATH}.lowerDirs`, message: `${o.lowerDirs.length} layers, more than overlayfs's limit of ${MAX_OVERLAY_LAYERS}` });
    }
    o.lowerDirs.slice(0, MAX_OVERLAY_LAYERS + 1).forEach((d, i) => absolute(d, `lowerDirs[${i}]`));
  }
  absolute(o.upperDir, 'upperDir');
  absolute(o.workDir, 'workDir');
  return out;
}

/** The annotation's spec (call overlayProblems first), or undefined when there is none. */
export function overlaySpec(annotations: Record<string, string> | undefined): OverlaySpec | undefined {
  const value = annotations?.[OVERLAY_ANNOTATION];
  return value === undefined ? undefined : (JSON.parse(value) as OverlaySpec);
}

/** The deepest directory holding every path. */
function commonParent(paths: readonly string[]): string {
  let parts = path.dirname(paths[0] as string).split('/');
  for (const p of paths.slice(1)) {
    const q = path.dirname(p).split('/');
    let i = 0;
    while (i < parts.length && i < q.length && parts[i] === q[i]) i++;
    parts = parts.slice(0, i);
  }
  return parts.join('/') || '/';
}

/** The plan: lower dirs relative to their common parent, which the init chdirs to (short names for mount(2)'s one page). */
export function overlayPlan(spec: OverlaySpec, forceClassicMount = false): OverlayPlan {
  const base = commonParent(spec.lowerDirs);
  return {
    base,
    lowerDirs: spec.lowerDirs.map((d) => path.relative(base, d)),
    upperDir: spec.upperDir,
    workDir: spec.workDir,
    forceClassicMount,
  };
}
