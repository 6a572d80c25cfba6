// Small host facts the cgroup code needs: CPU/node lists and hugepage sizes.
import * as fs from 'node:fs';

/** "0-3,5" → {0,1,2,3,5}; undefined when the text is not a CPU/node list. */
export function parseCpuList(text: string): Set<number> | undefined {
  const out = new Set<number>();
  const t = text.trim();
  if (t === '') return out;
  for (const part of t.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) return undefined;
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    if (to < from || to - from > 65536) return undefined;
    for (let i = from; i <= to; i++) out.add(i);
  }
  return out;
}

/** kB count → runtime-spec page size name: 2048 → "2MB", 1048576 → "1GB", 64 → "64KB". */
export function hugePageSizeName(kB: number): string {
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = kB;
  let u = 0;
  while (v >= 1024 && v % 1024 === 0 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v}${units[u]}`;
}

export function readCpuSet(file: string, fallback: string): Set<number> {
  let text = fallback;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    /* not NUMA / not exposed: use the fallback */
  }
  return parseCpuList(text) ?? new Set();
}

/** Hugepage sizes of this host as OCI names them ("2MB", "1GB"). */
export function hugePageSizes(): string[] {
  try {
    return fs
      .readdirSync('/sys/kernel/mm/hugepages')
      .map((d) => /^hugepages-(\d+)kB$/.exec(d))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => hugePageSizeName(Number(m[1])));
  } catch {
    return []; // no hugetlbfs support
  }
}
