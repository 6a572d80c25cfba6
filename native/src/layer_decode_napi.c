/* JS-facing calls of the layer decoder (layer_decode.h). The decoding thread
 * reports through a threadsafe function, so its events run as callbacks on
 * the JS thread: onEvent(slot, length, read) for a filled slot, then
 * onEvent(-1, 0, read, digest, error) once at the end. The state outlives
 * whichever of its two owners goes first: the JS handle (an external) and
 * the threadsafe function (finalized after the thread's last event). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "layer_decode.h"
#include "layer_decode_napi.h"
#include "napi_util.h"

struct decode_state {
  struct layer_decoder *decoder; /* NULL once the thread is done and joined */
  napi_threadsafe_function tsfn;
  napi_ref ring; /* keeps the ring's memory alive while the thread writes to it */
  int owners;    /* the handle and the threadsafe function */
};

struct decode_event {
  long slot; /* -1: done */
  size_t length;
  uint64_t read;
  char *digest;
  char *error;
};

static void state_unref(struct decode_state *s) {
  if (--s->owners == 0) free(s);
}

static void post(struct decode_state *s, struct decode_event *e) {
  if (!e || napi_call_threadsafe_function(s->tsfn, e, napi_tsfn_blocking) != napi_ok) {
    if (e) {
      free(e->digest);
      free(e->error);
    }
    free(e);
  }
}

static void on_filled(void *ctx, unsigned slot, size_t len, uint64_t read) {
  struct decode_event *e = calloc(1, sizeof *e);
  if (e) *e = (struct decode_event){.slot = (long)slot, .length = len, .read = read};
  post(ctx, e);
}

static void on_done(void *ctx, const char *digest, const char *error, uint64_t read) {
  struct decode_state *s = ctx;
  struct decode_event *e = calloc(1, sizeof *e);
  if (e) {
    *e = (struct decode_event){.slot = -1, .read = read};
    if (digest) e->digest = strdup(digest);
    if (error) e->error = strdup(error);
  }
  post(s, e);
  napi_release_threadsafe_function(s->tsfn, napi_tsfn_release);
}

static const struct layer_decode_events EVENTS = {.filled = on_filled, .done = on_done};

/* On the JS thread: the event as a call of onEvent. */
static void call_js(napi_env env, napi_value fn, void *context, void *data) {
  struct decode_event *e = data;
  if (env && fn) {
    napi_value argv[5], undefined;
    napi_get_undefined(env, &undefined);
    napi_create_int64(env, e->slot, &argv[0]);
    napi_create_double(env, (double)e->length, &argv[1]);
    napi_create_double(env, (double)e->read, &argv[2]);
    argv[3] = e->digest ? tsrun_make_string(env, e->digest) : undefined;
    argv[4] = e->error ? tsrun_make_string(env, e->error) : undefined;
    napi_call_function(env, undefined, fn, 5, argv, NULL);
  }
  free(e->digest);
  free(e->error);
  free(e);
}

/* The thread made its last call: join it, let go of the ring. */
static void tsfn_finalize(napi_env env, void *data, void *hint) {
  struct decode_state *s = data;
  if (s->decoder) tsrun_layer_decode_free(s->decoder);
  s->decoder = NULL;
  if (s->ring) napi_delete_reference(env, s->ring);
  s->ring = NULL;
  state_unref(s);
}

/* The handle was collected: a decoder nobody reads from any more stops. */
static void handle_finalize(napi_env env, void *data, void *hint) {
  struct decode_state *s = data;
  if (s->decoder) tsrun_layer_decode_cancel(s->decoder);
  state_unref(s);
}

static struct decode_state *get_state(napi_env env, napi_value handle) {
  void *p = NULL;
  if (napi_get_value_external(env, handle, &p) != napi_ok || !p) {
    napi_throw_type_error(env, NULL, "expected a layer decoder handle");
    return NULL;
  }
  return p;
}

/* layerDecodeStart(path, compression "none" | "gzip" | "zstd", ring: Buffer, slotSize, onEvent) -> handle */
static napi_value js_decode_start(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  char *path = NULL, *kind = NULL;
  uint32_t slot_size;
  void *ring;
  size_t ring_len;
  if (!tsrun_get_args(env, info, 5, argv) || !tsrun_get_string(env, argv[0], &path)) return NULL;
  napi_value out = NULL;
  enum layer_compression compression;
  if (!tsrun_get_string(env, argv[1], &kind)) goto done;
  if (strcmp(kind, "none") == 0) {
    compression = LAYER_PLAIN;
  } else if (strcmp(kind, "gzip") == 0) {
    compression = LAYER_GZIP;
  } else if (strcmp(kind, "zstd") == 0) {
    compression = LAYER_ZSTD;
  } else {
    napi_throw_type_error(env, NULL, "layerDecodeStart: compression must be none, gzip or zstd");
    goto done;
  }
  if (napi_get_buffer_info(env, argv[2], &ring, &ring_len) != napi_ok) {
    napi_throw_type_error(env, NULL, "layerDecodeStart: expected a Buffer for the ring");
    goto done;
  }
  if (!tsrun_get_u32(env, argv[3], &slot_size)) goto done;
  if (slot_size == 0 || ring_len < slot_size || ring_len % slot_size != 0) {
    napi_throw_range_error(env, NULL, "layerDecodeStart: the ring must hold whole slots");
    goto done;
  }
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    tsrun_throw_errno(env, errno, "open", path);
    goto done;
  }
  struct decode_state *s = calloc(1, sizeof *s);
  napi_value name, handle;
  if (!s || napi_create_reference(env, argv[2], 1, &s->ring) != napi_ok ||
      napi_create_string_utf8(env, "tsrun:layerDecode", NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_create_threadsafe_function(env, argv[4], NULL, name, 0, 1, s, tsfn_finalize, s, call_js, &s->tsfn) !=
          napi_ok) {
    if (s && s->ring) napi_delete_reference(env, s->ring);
    free(s);
    close(fd);
    tsrun_throw(env, "layerDecodeStart: cannot set up the decoder");
    goto done;
  }
  /* from here the threadsafe function owns s (its finalizer frees it) */
  s->owners = 1;
  s->decoder = tsrun_layer_decode_start(fd, compression, ring, slot_size, (unsigned)(ring_len / slot_size), &EVENTS, s);
  if (!s->decoder) {
    tsrun_throw_errno(env, errno, "pthread_create", path);
    napi_release_threadsafe_function(s->tsfn, napi_tsfn_abort);
    goto done;
  }
  if (napi_create_external(env, s, handle_finalize, NULL, &handle) != napi_ok) {
    tsrun_layer_decode_cancel(s->decoder);
    tsrun_throw(env, "layerDecodeStart: cannot make the handle");
    goto done;
  }
  s->owners++;
  out = handle;
done:
  free(path);
  free(kind);
  return out;
}

/* layerDecodeRelease(handle): the oldest slot held is free again */
static napi_value js_decode_release(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!tsrun_get_args(env, info, 1, argv)) return NULL;
  struct decode_state *s = get_state(env, argv[0]);
  if (s && s->decoder) tsrun_layer_decode_release(s->decoder);
  return NULL;
}

/* layerDecodeCancel(handle): stop; the last event still comes (error "cancelled") */
static napi_value js_decode_cancel(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!tsrun_get_args(env, info, 1, argv)) return NULL;
  struct decode_state *s = get_state(env, argv[0]);
  if (s && s->decoder) tsrun_layer_decode_cancel(s->decoder);
  return NULL;
}

/* Transparent huge pages: the first write to each page of the ring is a page
 * fault, and on a VM a fault costs tens of microseconds; 2 MiB pages make
 * a ring of a few MiB two or three faults instead of a thousand. */
#define RING_ALIGN (2u << 20)

static void ring_finalize(napi_env env, void *data, void *hint) { free(data); }

/* layerRingAlloc(bytes) -> Buffer: memory for a decoder's ring, huge pages
 * when the kernel gives them (MADV_HUGEPAGE), else ordinary ones */
static napi_value js_ring_alloc(napi_env env, napi_callback_info info) {
  napi_value argv[1], out;
  uint32_t len;
  if (!tsrun_get_args(env, info, 1, argv) || !tsrun_get_u32(env, argv[0], &len)) return NULL;
  if (len == 0) {
    napi_throw_range_error(env, NULL, "layerRingAlloc: the ring must not be empty");
    return NULL;
  }
  size_t size = ((size_t)len + RING_ALIGN - 1) / RING_ALIGN * RING_ALIGN;
  void *ring = NULL;
  int e = posix_memalign(&ring, RING_ALIGN, size);
  if (e != 0) {
    tsrun_throw_errno(env, e, "posix_memalign", NULL);
    return NULL;
  }
  /* a hint: without huge pages the ring works as well, only its first use costs more */
  (void)madvise(ring, size, MADV_HUGEPAGE);
  if (napi_create_external_buffer(env, len, ring, ring_finalize, NULL, &out) != napi_ok) {
    free(ring);
    tsrun_throw(env, "layerRingAlloc: cannot make the buffer");
    return NULL;
  }
  return out;
}

void tsrun_register_layer_decode(napi_env env, napi_value exports) {
  static const tsrun_fn fns[] = {
      {"layerDecodeStart", js_decode_start},
      {"layerDecodeRelease", js_decode_release},
      {"layerDecodeCancel", js_decode_cancel},
      {"layerRingAlloc", js_ring_alloc},
  };
  tsrun_export(env, exports, fns, sizeof fns / sizeof fns[0]);
}
