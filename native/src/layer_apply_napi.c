/* JS-facing calls of the layer applier (layer_apply.h). Its thread reports
 * through a threadsafe function: onEvent(seq, failedOp, error, skipped) when
 * a batch is done, then onEvent(-1) once at the end. The caller keeps each
 * batch's Buffer alive until its event (the callback holds them); the ring
 * is referenced here. State ownership as in layer_decode_napi.c. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "layer_apply.h"
#include "layer_apply_napi.h"
#include "napi_util.h"

struct apply_state {
  struct layer_applier *applier; /* NULL once the thread is done and joined */
  napi_threadsafe_function tsfn;
  napi_ref ring;
  int owners; /* the handle and the threadsafe function */
};

struct apply_event {
  int64_t seq; /* -1: done */
  long failed_op;
  int err;
  int skipped;
  char *call;
  char *path;
};

static void state_unref(struct apply_state *s) {
  if (--s->owners == 0) free(s);
}

static void free_event(struct apply_event *e) {
  if (!e) return;
  free(e->call);
  free(e->path);
  free(e);
}

static void post(struct apply_state *s, struct apply_event *e) {
  if (!e || napi_call_threadsafe_function(s->tsfn, e, napi_tsfn_blocking) != napi_ok) free_event(e);
}

static void on_batch(void *ctx, uint64_t seq, long failed_op, int err, const char *call, const char *path,
                     int skipped) {
  struct apply_event *e = calloc(1, sizeof *e);
  if (e) {
    *e = (struct apply_event){.seq = (int64_t)seq, .failed_op = failed_op, .err = err, .skipped = skipped};
    if (call) e->call = strdup(call);
    if (path) e->path = strdup(path);
  }
  post(ctx, e);
}

static void on_done(void *ctx) {
  struct apply_state *s = ctx;
  struct apply_event *e = calloc(1, sizeof *e);
  if (e) *e = (struct apply_event){.seq = -1, .failed_op = -1};
  post(s, e);
  napi_release_threadsafe_function(s->tsfn, napi_tsfn_release);
}

static const struct layer_apply_events EVENTS = {.batch = on_batch, .done = on_done};

static void call_js(napi_env env, napi_value fn, void *context, void *data) {
  struct apply_event *e = data;
  if (env && fn) {
    napi_value argv[4], undefined;
    napi_get_undefined(env, &undefined);
    napi_create_int64(env, e->seq, &argv[0]);
    napi_create_int64(env, e->failed_op, &argv[1]);
    argv[2] = e->failed_op >= 0 ? tsrun_make_errno_error(env, e->err, e->call ? e->call : "", e->path) : undefined;
    napi_get_boolean(env, e->skipped != 0, &argv[3]);
    napi_call_function(env, undefined, fn, 4, argv, NULL);
  }
  free_event(e);
}

static void tsfn_finalize(napi_env env, void *data, void *hint) {
  struct apply_state *s = data;
  if (s->applier) tsrun_layer_apply_free(s->applier);
  s->applier = NULL;
  if (s->ring) napi_delete_reference(env, s->ring);
  s->ring = NULL;
  state_unref(s);
}

static void handle_finalize(napi_env env, void *data, void *hint) {
  struct apply_state *s = data;
  if (s->applier) tsrun_layer_apply_cancel(s->applier);
  state_unref(s);
}

static struct apply_state *get_state(napi_env env, napi_value handle) {
  void *p = NULL;
  if (napi_get_value_external(env, handle, &p) != napi_ok || !p) {
    napi_throw_type_error(env, NULL, "expected a layer applier handle");
    return NULL;
  }
  return p;
}

/* layerApplyStart(rootFd, ring: Buffer, onEvent) -> handle */
static napi_value js_apply_start(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  int32_t root;
  void *ring;
  size_t ring_len;
  if (!tsrun_get_args(env, info, 3, argv) || !tsrun_get_i32(env, argv[0], &root)) return NULL;
  if (napi_get_buffer_info(env, argv[1], &ring, &ring_len) != napi_ok) {
    napi_throw_type_error(env, NULL, "layerApplyStart: expected a Buffer for the ring");
    return NULL;
  }
  struct apply_state *s = calloc(1, sizeof *s);
  napi_value name, handle;
  if (!s || napi_create_reference(env, argv[1], 1, &s->ring) != napi_ok ||
      napi_create_string_utf8(env, "tsrun:layerApply", NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_create_threadsafe_function(env, argv[2], NULL, name, 0, 1, s, tsfn_finalize, s, call_js, &s->tsfn) !=
          napi_ok) {
    if (s && s->ring) napi_delete_reference(env, s->ring);
    free(s);
    return tsrun_throw(env, "layerApplyStart: cannot set up the applier");
  }
  s->owners = 1;
  s->applier = tsrun_layer_apply_start(root, ring, ring_len, &EVENTS, s);
  if (!s->applier) {
    tsrun_throw_errno(env, errno, "pthread_create", NULL);
    napi_release_threadsafe_function(s->tsfn, napi_tsfn_abort);
    return NULL;
  }
  if (napi_create_external(env, s, handle_finalize, NULL, &handle) != napi_ok) {
    tsrun_layer_apply_cancel(s->applier);
    return tsrun_throw(env, "layerApplyStart: cannot make the handle");
  }
  s->owners++;
  return handle;
}

/* layerApplySubmit(handle, batch: Buffer, seq) */
static napi_value js_apply_submit(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  void *buf;
  size_t len;
  int64_t seq;
  if (!tsrun_get_args(env, info, 3, argv)) return NULL;
  struct apply_state *s = get_state(env, argv[0]);
  if (!s) return NULL;
  if (napi_get_buffer_info(env, argv[1], &buf, &len) != napi_ok) {
    napi_throw_type_error(env, NULL, "layerApplySubmit: expected a Buffer");
    return NULL;
  }
  if (!tsrun_get_i64(env, argv[2], &seq)) return NULL;
  if (!s->applier) return tsrun_throw(env, "layerApplySubmit: the applier has ended");
  if (!tsrun_layer_apply_submit(s->applier, buf, len, (uint64_t)seq))
    return tsrun_throw_errno(env, ENOMEM, "malloc", NULL);
  return NULL;
}

static napi_value end_or_cancel(napi_env env, napi_callback_info info, void (*fn)(struct layer_applier *)) {
  napi_value argv[1];
  if (!tsrun_get_args(env, info, 1, argv)) return NULL;
  struct apply_state *s = get_state(env, argv[0]);
  if (s && s->applier) fn(s->applier);
  return NULL;
}

/* layerApplyEnd(handle): no more batches */
static napi_value js_apply_end(napi_env env, napi_callback_info info) {
  return end_or_cancel(env, info, tsrun_layer_apply_end);
}

/* layerApplyCancel(handle): skip what is queued; the last event still comes */
static napi_value js_apply_cancel(napi_env env, napi_callback_info info) {
  return end_or_cancel(env, info, tsrun_layer_apply_cancel);
}

void tsrun_register_layer_apply(napi_env env, napi_value exports) {
  static const tsrun_fn fns[] = {
      {"layerApplyStart", js_apply_start},
      {"layerApplySubmit", js_apply_submit},
      {"layerApplyEnd", js_apply_end},
      {"layerApplyCancel", js_apply_cancel},
  };
  tsrun_export(env, exports, fns, sizeof fns / sizeof fns[0]);
}
