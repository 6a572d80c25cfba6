// PAX extended headers ("%d %s=%s\n" records, POSIX pax format), decoded
// from their raw bytes. tar-stream decodes values as UTF-8 text, which
// corrupts binary ones (security.capability xattrs), so the unpacker keeps
// its own copy of each PAX block and reads it here, with limits.

/** A PAX block larger than this is refused (tar-stream itself stops at 4 MiB). */
export const MAX_PAX_BYTES = 1024 * 1024;
const MAX_RECORDS = 10_000;

class PaxError extends Error {}

/** key -> raw value bytes; later records override earlier ones, as in GNU tar. */
export type PaxRecords = Map<string, Buffer>;

export function parsePax(buf: Buffer): PaxRecords {
  if (buf.length > MAX_PAX_BYTES) throw new PaxError(`PAX header of ${buf.length} bytes exceeds the ${MAX_PAX_BYTES}-byte limit`);
  const out: PaxRecords = new Map();
  let off = 0;
  let count = 0;
  while (off < buf.length) {
    // trailing NUL padding ends the block
    if (buf[off] === 0) break;
    const space = buf.indexOf(0x20, off);
    if (space < 0 || space - off > 20) throw new PaxError(`malformed PAX record at byte ${off}: no length`);
    const lenText = buf.toString('latin1', off, space);
    if (!/^[1-9][0-9]*$/.test(lenText)) throw new PaxError(`malformed PAX record at byte ${off}: bad length ${JSON.stringify(lenText)}`);
    const len = Number(lenText);
    const end = off + len;
    if (end > buf.length || buf[end - 1] !== 0x0a) throw new PaxError(`malformed PAX record at byte ${off}: length ${len} does not end at a newline`);
    const eq = buf.indexOf(0x3d, space + 1);
    if (eq < 0 || eq >= end - 1) throw new PaxError(`malformed PAX record at byte ${off}: no "="`);
    const key = buf.toString('utf8', space + 1, eq);
    if (key.length === 0) throw new PaxError(`malformed PAX record at byte ${off}: empty key`);
    out.set(key, Buffer.from(buf.subarray(eq + 1, end - 1)));
    if (++count > MAX_RECORDS) throw new PaxError(`PAX header has more than ${MAX_RECORDS} records`);
    off = end;
  }
  return out;
}

/** A PAX time ("1700000000.123456789", possibly negative) as seconds + nanoseconds. */
export function parsePaxTime(v: Buffer | undefined): { s: number; ns: number } | undefined {
  if (!v) return undefined;
  const m = /^(-?)(\d{1,19})(?:\.(\d{1,30}))?$/.exec(v.toString('latin1'));
  if (!m) return undefined;
  const neg = m[1] === '-';
  const whole = Number(m[2]);
  const ns = m[3] ? Number((m[3] + '000000000').slice(0, 9)) : 0;
  if (!Number.isSafeInteger(whole)) return undefined;
  if (!neg) return { s: whole, ns };
  // -1.25 is 1.25 s before the epoch: -2 s + 0.75 s
  return ns === 0 ? { s: -whole, ns: 0 } : { s: -whole - 1, ns: 1e9 - ns };
}
