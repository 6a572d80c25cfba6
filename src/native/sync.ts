// Message types of the parent/child sync channel: the same numbers as
// native/src/sync.h (test/unit/native-parity.test.ts checks that they agree).
export const SYNC = {
  GO: 1,
  ABORT: 2,
  USERNS_MAP: 3,
  INIT_PID: 4,
  CREATE_HOOKS: 5,
  READY: 6,
  ERROR: 7,
  WARNING: 8,
  STATE: 9,
  COMMIT: 10,
} as const;
