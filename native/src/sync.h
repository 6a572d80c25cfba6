/* Messages between the parent (node) and the forked child over a
 * SOCK_SEQPACKET socketpair: one message per packet, a header then text.
 * src/native/sync.ts has the same numbers (test/unit/native-parity.test.ts). */
#ifndef TSRUN_SYNC_H
#define TSRUN_SYNC_H
#include <stdint.h>
#include <stddef.h>

enum tsrun_sync_type {
  SYNC_GO = 1,           /* parent -> child: continue */
  SYNC_ABORT = 2,        /* parent -> child: give up and exit */
  SYNC_USERNS_MAP = 3,   /* child -> parent: write uid/gid maps of pid `value` */
  SYNC_INIT_PID = 4,     /* child -> parent: `value` is the init's (or exec'd process's) host pid */
  SYNC_CREATE_HOOKS = 5, /* init -> parent: namespaces and mounts are ready; run create hooks */
  SYNC_READY = 6,        /* child -> parent: all done, waiting for start (init) or exec'ing (exec) */
  SYNC_ERROR = 7,        /* child -> parent: `err` is an errno (0: none), text the failing step */
  SYNC_WARNING = 8,      /* child -> parent: text */
  SYNC_STATE = 9,        /* parent -> child: text is the state JSON for startContainer hooks */
  SYNC_COMMIT = 10,      /* parent -> init, after READY: the state is stored; outlive tsrun from now on */
};

struct tsrun_sync_hdr {
  uint32_t type;
  int32_t value;
  int32_t err;
  uint32_t len; /* bytes of text that follow */
};

#define TSRUN_SYNC_MAX (256 * 1024)
/* text of one message: the receiver keeps room for a terminating NUL
 * (src/native/sync.ts SYNC_TEXT_MAX; create refuses larger states up front) */
#define TSRUN_SYNC_TEXT_MAX (TSRUN_SYNC_MAX - 1)

#endif
