// Timestamps as runc prints them: Go's time.RFC3339Nano in UTC
// ("2026-11-22T09:12:31.781515712Z", trailing fractional zeros trimmed, no
// fraction at all on a whole second).

const NS_PER_SEC = 1_000_000_000n;

/** Format nanoseconds since the Unix epoch (UTC) like Go's RFC3339Nano. */
export function formatRfc3339Nano(ns: bigint): string {
  let secs = ns / NS_PER_SEC;
  let frac = ns % NS_PER_SEC;
  if (frac < 0n) {
    frac += NS_PER_SEC;
    secs -= 1n;
  }
  const whole = new Date(Number(secs) * 1000).toISOString().replace(/\.\d{3}Z$/, '');
  const digits = frac.toString().padStart(9, '0').replace(/0+$/, '');
  return digits ? `${whole}.${digits}Z` : `${whole}Z`;
}

/** wall-clock ns minus monotonic ns, taken at the first call */
let wallMinusMono: bigint | undefined;

/**
 * Wall-clock time in nanoseconds (sub-millisecond precision from the monotonic
 * clock). Not the `performance` global: its first use loads perf_hooks, ~1.5 ms.
 */
export function nowNanos(): bigint {
  const mono = process.hrtime.bigint();
  wallMinusMono ??= BigInt(Date.now()) * 1_000_000n - mono;
  return wallMinusMono + mono;
}

/** The `created` value for a new container. */
export function createdTimestamp(): string {
  return formatRfc3339Nano(nowNanos());
}
