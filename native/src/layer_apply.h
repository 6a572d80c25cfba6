/* Applying a layer's entries on a thread of their own. The JS side parses the
 * tar stream, checks and classifies every entry, and hands over batches of
 * encoded operations (the format below), in order; this thread carries each
 * one out with the calls of layer_fs.h, relative to the layer root fd, so
 * every path is resolved inside the root anew (nothing resolved is cached).
 * It stops at the first operation that fails and reports which one.
 *
 * Batch format: operations one after another, each an 80-byte header
 * (little-endian) and its variable part, padded to 8 bytes:
 *   u32 kind, uid, gid, mode (permission bits)
 *   i64 atime, mtime; i32 atime_ns, mtime_ns (-1: leave that time alone)
 *   u32 major, minor, path_len, target_len, nxattrs, data_len,
 *       data_in_ring (1: data is ring[ring_offset..]), ring_offset,
 *       dev_type (S_IFCHR, S_IFBLK, S_IFIFO), flags (LAYER_OP_IGNORE_ENOENT)
 * then path, NUL, target, NUL, nxattrs times (u32 name_len, u32 value_len,
 * name, NUL, value), then data_len bytes unless data_in_ring. */
#ifndef TSRUN_LAYER_APPLY_H
#define TSRUN_LAYER_APPLY_H
#include <stddef.h>
#include <stdint.h>

enum layer_op_kind {
  LAYER_OP_FILE = 1,     /* a whole regular file: path, meta, data */
  LAYER_OP_OPEN = 2,     /* a regular file whose content comes in pieces: path, mode */
  LAYER_OP_WRITE = 3,    /* data for the file opened last */
  LAYER_OP_CLOSE = 4,    /* meta of the file opened last; closes it */
  LAYER_OP_MKDIR = 5,    /* path, meta */
  LAYER_OP_SYMLINK = 6,  /* path, target, meta */
  LAYER_OP_HARDLINK = 7, /* path, target */
  LAYER_OP_MKNOD = 8,    /* path, dev_type, major, minor, meta */
  LAYER_OP_WHITEOUT = 9, /* path, meta */
  LAYER_OP_OPAQUE = 10,  /* path: the directory */
  LAYER_OP_TIMES = 11,   /* path, atime, mtime */
};
#define LAYER_OP_HEADER 80
#define LAYER_OP_IGNORE_ENOENT 1u

/* Called on the applying thread. */
struct layer_apply_events {
  /* batch seq is done: failed_op -1, or the index of the operation that
   * failed (err: errno, call: the system call, path: the entry's path), or
   * skipped (after an earlier failure or a cancel, nothing of it was done) */
  void (*batch)(void *ctx, uint64_t seq, long failed_op, int err, const char *call, const char *path, int skipped);
  /* the last call, after the last batch */
  void (*done)(void *ctx);
};

struct layer_applier;

/* Start the thread. root: the layer root fd (the caller keeps it open until
 * done); ring: the decoder's ring, which data_in_ring operations refer to. */
struct layer_applier *tsrun_layer_apply_start(int root, const unsigned char *ring, size_t ring_len,
                                              const struct layer_apply_events *ev, void *ctx);
/* Queue a batch (buf stays valid until its batch event); false on ENOMEM. */
int tsrun_layer_apply_submit(struct layer_applier *a, const unsigned char *buf, size_t len, uint64_t seq);
/* No more batches: the thread ends after the queued ones. */
void tsrun_layer_apply_end(struct layer_applier *a);
/* Skip the queued batches, close any file being written, end. */
void tsrun_layer_apply_cancel(struct layer_applier *a);
/* Wait for the thread (cancelling it first) and free it. */
void tsrun_layer_apply_free(struct layer_applier *a);

#endif
