import { describe, expect, it } from 'vitest';
import { MAX_OVERLAY_LAYERS, overlayPlan, overlayProblems, overlaySpec, OVERLAY_ANNOTATION } from '../../src/rootfs/overlay';

const JSON_PATH = `annotations["${OVERLAY_ANNOTATION}"]`;
const layers = (n: number): string[] => Array.from({ length: n }, (_, i) => `/var/lib/tsrun/layers/sha256/${String(i).padStart(64, '0')}/diff`);
const doc = (lowerDirs: unknown, extra: Record<string, unknown> = {}): string =>
  JSON.stringify({ lowerDirs, upperDir: '/var/lib/tsrun/containers/c/upper', workDir: '/var/lib/tsrun/containers/c/work', ...extra });

describe('overlay annotation', () => {
  it('accepts up to the kernel limit and refuses one more, naming it', () => {
    expect(overlayProblems(doc(layers(MAX_OVERLAY_LAYERS)))).toEqual([]);
    expect(overlayProblems(doc(layers(MAX_OVERLAY_LAYERS + 1)))).toEqual([
      { path: `${JSON_PATH}.lowerDirs`, message: `501 layers, more than overlayfs's limit of 500` },
    ]);
  });

  it('names bad fields by their JSON path', () => {
    expect(overlayProblems('{')[0]?.path).toBe(JSON_PATH);
    expect(overlayProblems(doc([], { upperDir: 'rel', extra: 1 })).map((p) => p.path)).toEqual([
      `${JSON_PATH}.extra`,
      `${JSON_PATH}.lowerDirs`,
      `${JSON_PATH}.upperDir`,
    ]);
    expect(overlayProblems(doc(['/a:b'])).map((p) => p.path)).toEqual([`${JSON_PATH}.lowerDirs[0]`]);
  });

  it('plans lower dirs relative to their common parent, top first', () => {
    const spec = overlaySpec({ [OVERLAY_ANNOTATION]: doc(layers(3).reverse()) });
    expect(spec).toBeDefined();
    const plan = overlayPlan(spec!);
    expect(plan.base).toBe('/var/lib/tsrun/layers/sha256');
    expect(plan.lowerDirs).toEqual(layers(3).reverse().map((l) => l.slice('/var/lib/tsrun/layers/sha256/'.length)));
    expect(plan.forceClassicMount).toBe(false);
    expect(overlaySpec({})).toBeUndefined();
  });
});
