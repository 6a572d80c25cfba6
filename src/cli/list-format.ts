// `list` output. The table copies runc's text/tabwriter settings (min width 12,
// padding 3, spaces): each column is as wide as its widest cell plus 3, and
// the last column (OWNER) is not padded. For stopped containers STATUS also
// says why, as one token: stopped(exited) or stopped(dead); `--format json`
// keeps "stopped" and adds a statusDetail field instead. A container whose
// state.json is damaged shows as <status>(damaged), its status taken from the
// create journal; json adds a "damage" field saying what is wrong.
import type { ListEntry } from '../container/operations';

const MIN_WIDTH = 12;
const PADDING = 3;

/** Go text/tabwriter (flags 0, padchar ' ') over tab-separated rows. */
export function tabulate(rows: readonly (readonly string[])[], minWidth = MIN_WIDTH, padding = PADDING): string {
  const widths: number[] = [];
  for (const row of rows) {
    row.slice(0, -1).forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? minWidth, runeLength(cell) + padding);
    });
  }
  return rows
    .map((row) => row.map((cell, i) => (i < row.length - 1 ? cell + ' '.repeat((widths[i] as number) - runeLength(cell)) : cell)).join(''))
    .map((line) => `${line}\n`)
    .join('');
}

function runeLength(s: string): number {
  return [...s].length;
}

export function statusColumn(e: ListEntry): string {
  if (e.damage !== undefined) return `${e.status}(damaged)`;
  return e.status === 'stopped' && e.statusDetail ? `stopped(${e.statusDetail})` : e.status;
}

export function formatListTable(entries: readonly ListEntry[]): string {
  const rows = [['ID', 'PID', 'STATUS', 'BUNDLE', 'CREATED', 'OWNER']];
  for (const e of entries) rows.push([e.id, String(e.pid), statusColumn(e), e.bundle, e.created, e.owner]);
  return tabulate(rows);
}

export function formatListJson(entries: readonly ListEntry[]): string {
  return `${JSON.stringify(entries)}\n`;
}

export function formatListQuiet(entries: readonly ListEntry[]): string {
  return entries.map((e) => `${e.id}\n`).join('');
}
