/* The applying thread of a layer unpack (see layer_apply.h): decode each
 * operation of a batch, bounds-checked, and carry it out with layer_fs.h. */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "layer_apply.h"
#include "layer_fs.h"

#define MAX_XATTRS 128

struct batch {
  const unsigned char *buf;
  size_t len;
  uint64_t seq;
  struct batch *next;
};

struct layer_applier {
  int root;
  const unsigned char *ring;
  size_t ring_len;
  const struct layer_apply_events *ev;
  void *ctx;
  pthread_t thread;

  pthread_mutex_t mu;
  pthread_cond_t cv;
  /* under mu */
  struct batch *head, *tail;
  bool ended, cancelled;

  /* the thread's own: the file being written in pieces (-1: none) */
  int fd;
  bool failed;
};

/* One decoded operation; strings point into the batch (NUL-terminated). */
struct op {
  uint32_t kind, major, minor, dev_type, flags;
  const char *path, *target;
  const unsigned char *data;
  size_t data_len;
  struct layer_meta meta;
  const char *names[MAX_XATTRS];
  const void *values[MAX_XATTRS];
  size_t sizes[MAX_XATTRS];
};

static uint32_t u32(const unsigned char *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static int64_t i64(const unsigned char *p) { return (int64_t)((uint64_t)u32(p) | (uint64_t)u32(p + 4) << 32); }

static void set_time(struct timespec *ts, int64_t s, int32_t ns) {
  if (ns < 0) {
    ts->tv_sec = 0;
    ts->tv_nsec = UTIME_OMIT;
  } else {
    ts->tv_sec = (time_t)s;
    ts->tv_nsec = ns;
  }
}

/* A string of len bytes at *pos followed by NUL, none inside; advances *pos. */
static const char *take_string(const unsigned char *b, size_t end, size_t *pos, uint32_t len) {
  if (len > end - *pos || end - *pos - len < 1) return NULL;
  const char *s = (const char *)b + *pos;
  if (memchr(s, 0, len) || s[len] != 0) return NULL;
  *pos += (size_t)len + 1;
  return s;
}

/* Decode the operation at *pos (advanced past it); false: malformed. */
static bool decode_op(const struct layer_applier *a, const unsigned char *b, size_t len, size_t *pos, struct op *o) {
  if (len - *pos < LAYER_OP_HEADER) return false;
  const unsigned char *h = b + *pos;
  memset(o, 0, offsetof(struct op, names));
  o->kind = u32(h);
  o->meta.uid = u32(h + 4);
  o->meta.gid = u32(h + 8);
  o->meta.mode = u32(h + 12) & 07777;
  int32_t ans = (int32_t)u32(h + 32), mns = (int32_t)u32(h + 36);
  if (ans > 999999999 || mns > 999999999) return false;
  set_time(&o->meta.times[0], i64(h + 16), ans);
  set_time(&o->meta.times[1], i64(h + 24), mns);
  o->major = u32(h + 40);
  o->minor = u32(h + 44);
  uint32_t path_len = u32(h + 48), target_len = u32(h + 52), nx = u32(h + 56), data_len = u32(h + 60);
  uint32_t in_ring = u32(h + 64), ring_offset = u32(h + 68);
  o->dev_type = u32(h + 72);
  o->flags = u32(h + 76);
  size_t p = *pos + LAYER_OP_HEADER;
  if (!(o->path = take_string(b, len, &p, path_len)) || !(o->target = take_string(b, len, &p, target_len)))
    return false;
  if (nx > MAX_XATTRS) return false;
  for (uint32_t i = 0; i < nx; i++) {
    if (len - p < 8) return false;
    uint32_t nl = u32(b + p), vl = u32(b + p + 4);
    p += 8;
    if (!(o->names[i] = take_string(b, len, &p, nl)) || vl > len - p) return false;
    o->values[i] = b + p;
    o->sizes[i] = vl;
    p += vl;
  }
  o->meta.nxattrs = nx;
  o->meta.xattr_names = o->names;
  o->meta.xattr_values = o->values;
  o->meta.xattr_sizes = o->sizes;
  if (in_ring) {
    if (ring_offset > a->ring_len || data_len > a->ring_len - ring_offset) return false;
    o->data = a->ring + ring_offset;
  } else {
    if (data_len > len - p) return false;
    o->data = b + p;
    p += data_len;
  }
  o->data_len = data_len;
  p = (p + 7) & ~(size_t)7;
  *pos = p > len ? len : p;
  return true;
}

/* Carry out one operation: >= 0, or -errno with *call set. */
static int apply_op(struct layer_applier *a, const struct op *o, const char **call) {
  int r;
  switch (o->kind) {
    case LAYER_OP_FILE: return tsrun_layer_write_file(a->root, o->path, &o->meta, o->data, o->data_len, call);
    case LAYER_OP_OPEN:
      if (a->fd >= 0) break;
      r = tsrun_layer_create_file(a->root, o->path, o->meta.mode, call);
      if (r >= 0) a->fd = r;
      return r;
    case LAYER_OP_WRITE:
      if (a->fd < 0) break;
      return tsrun_layer_write(a->fd, o->data, o->data_len, call);
    case LAYER_OP_CLOSE:
      if (a->fd < 0) break;
      r = tsrun_layer_finish_file(a->fd, &o->meta, call);
      a->fd = -1;
      return r;
    case LAYER_OP_MKDIR: return tsrun_layer_mkdir(a->root, o->path, &o->meta, call);
    case LAYER_OP_SYMLINK: return tsrun_layer_symlink(a->root, o->path, o->target, &o->meta, call);
    case LAYER_OP_HARDLINK: return tsrun_layer_hardlink(a->root, o->path, o->target, call);
    case LAYER_OP_MKNOD:
      if (o->dev_type != S_IFCHR && o->dev_type != S_IFBLK && o->dev_type != S_IFIFO) break;
      return tsrun_layer_mknod(a->root, o->path, o->dev_type, o->major, o->minor, &o->meta, call);
    case LAYER_OP_WHITEOUT: return tsrun_layer_whiteout(a->root, o->path, &o->meta, call);
    case LAYER_OP_OPAQUE: return tsrun_layer_opaque(a->root, o->path, call);
    case LAYER_OP_TIMES:
      r = tsrun_layer_set_times(a->root, o->path, o->meta.times, call);
      return r == -ENOENT && (o->flags & LAYER_OP_IGNORE_ENOENT) ? 0 : r;
    default: break;
  }
  *call = "layer operation";
  return -EINVAL;
}

static void close_file(struct layer_applier *a) {
  if (a->fd >= 0) close(a->fd);
  a->fd = -1;
}

static void run_batch(struct layer_applier *a, const struct batch *bt) {
  size_t pos = 0;
  long index = 0;
  struct op o;
  while (pos < bt->len) {
    const char *call = "";
    int r;
    const char *path = NULL;
    if (!decode_op(a, bt->buf, bt->len, &pos, &o)) {
      r = -EINVAL;
      call = "layer operation";
    } else {
      path = o.path;
      r = apply_op(a, &o, &call);
    }
    if (r < 0) {
      close_file(a);
      a->failed = true;
      a->ev->batch(a->ctx, bt->seq, index, -r, call, path, 0);
      return;
    }
    index++;
  }
  a->ev->batch(a->ctx, bt->seq, -1, 0, NULL, NULL, 0);
}

static void *run(void *arg) {
  struct layer_applier *a = arg;
  for (;;) {
    pthread_mutex_lock(&a->mu);
    while (!a->head && !a->ended && !a->cancelled) pthread_cond_wait(&a->cv, &a->mu);
    struct batch *bt = a->head;
    if (bt) {
      a->head = bt->next;
      if (!a->head) a->tail = NULL;
    }
    bool skip = a->cancelled || a->failed;
    pthread_mutex_unlock(&a->mu);
    if (!bt) break;
    if (skip) {
      close_file(a);
      a->ev->batch(a->ctx, bt->seq, -1, 0, NULL, NULL, 1);
    } else {
      run_batch(a, bt);
    }
    free(bt);
  }
  close_file(a);
  a->ev->done(a->ctx);
  return NULL;
}

struct layer_applier *tsrun_layer_apply_start(int root, const unsigned char *ring, size_t ring_len,
                                              const struct layer_apply_events *ev, void *ctx) {
  struct layer_applier *a = calloc(1, sizeof *a);
  if (!a) {
    errno = ENOMEM;
    return NULL;
  }
  *a = (struct layer_applier){.root = root, .ring = ring, .ring_len = ring_len, .ev = ev, .ctx = ctx, .fd = -1};
  pthread_mutex_init(&a->mu, NULL);
  pthread_cond_init(&a->cv, NULL);
  int e = pthread_create(&a->thread, NULL, run, a);
  if (e != 0) {
    pthread_cond_destroy(&a->cv);
    pthread_mutex_destroy(&a->mu);
    free(a);
    errno = e;
    return NULL;
  }
  pthread_setname_np(a->thread, "tsrun-apply");
  return a;
}

int tsrun_layer_apply_submit(struct layer_applier *a, const unsigned char *buf, size_t len, uint64_t seq) {
  struct batch *bt = malloc(sizeof *bt);
  if (!bt) return 0;
  *bt = (struct batch){.buf = buf, .len = len, .seq = seq};
  pthread_mutex_lock(&a->mu);
  if (a->tail) a->tail->next = bt;
  else a->head = bt;
  a->tail = bt;
  pthread_cond_signal(&a->cv);
  pthread_mutex_unlock(&a->mu);
  return 1;
}

void tsrun_layer_apply_end(struct layer_applier *a) {
  pthread_mutex_lock(&a->mu);
  a->ended = true;
  pthread_cond_signal(&a->cv);
  pthread_mutex_unlock(&a->mu);
}

void tsrun_layer_apply_cancel(struct layer_applier *a) {
  pthread_mutex_lock(&a->mu);
  a->cancelled = true;
  a->ended = true;
  pthread_cond_signal(&a->cv);
  pthread_mutex_unlock(&a->mu);
}

void tsrun_layer_apply_free(struct layer_applier *a) {
  tsrun_layer_apply_cancel(a);
  pthread_join(a->thread, NULL);
  pthread_cond_destroy(&a->cv);
  pthread_mutex_destroy(&a->mu);
  free(a);
}
