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

/**
 * The longest text one message may carry (native/src/sync.h
 * TSRUN_SYNC_TEXT_MAX): the state JSON the init hands to its hooks must fit,
 * so create checks it before any side effect.
 */
export const SYNC_TEXT_MAX = 256 * 1024 - 1;
