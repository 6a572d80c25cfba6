// google.protobuf.Timestamp from a Date (millisecond precision).
import type { Input } from './proto/codec';
import type { Timestamp } from './proto/messages';

export function timestamp(d: Date): Input<typeof Timestamp> {
  const ms = d.getTime();
  const seconds = Math.floor(ms / 1000);
  return { seconds: BigInt(seconds), nanos: (ms - seconds * 1000) * 1_000_000 };
}
