/* Decoding a layer blob on its own thread (see layer_decode.h): read and
 * decompress into the ring's slots (zlib and OpenSSL are node's own, zstd
 * the system's libzstd); a second thread hashes each slot once it is filled,
 * while the consumer reads it, so decompressing and hashing (each about
 * half of a layer's decoding) run at once. */
#include <errno.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "layer_decode.h"

/* compressed bytes read at a time (a small buffer: its pages are touched once) */
#define READ_CHUNK (128 * 1024)

struct layer_decoder {
  int fd;
  enum layer_compression compression;
  unsigned char *ring;
  size_t slot_size;
  unsigned slots;
  const struct layer_decode_events *ev;
  void *ctx;
  pthread_t thread;
  pthread_t hasher;
  /* per slot: the bytes it holds, set before the slot is published */
  size_t *lengths;

  pthread_mutex_t mu;
  pthread_cond_t cv;
  /* under mu, counted in slots since the start: a slot is free again once
   * the consumer gave it back and the hasher is done with it */
  uint64_t published;
  uint64_t hashed;
  uint64_t released;
  bool input_done; /* nothing more will be published */
  bool cancelled;
  bool hash_failed;

  /* the decoding thread's own */
  int cur; /* the slot being filled, -1 for none */
  size_t used;
  uint64_t read;
  /* the hasher's own until it is joined */
  EVP_MD_CTX *hash;
  char error[256];
};

static bool fail(struct layer_decoder *d, const char *what, const char *detail) {
  if (d->error[0] == '\0')
    snprintf(d->error, sizeof d->error, "%s%s%s", what, detail ? ": " : "", detail ? detail : "");
  return false;
}

/* Hand the current slot over to the hasher and the consumer (also when
 * empty: the consumer gives it back). */
static void publish(struct layer_decoder *d) {
  if (d->cur < 0) return;
  d->lengths[d->cur] = d->used;
  pthread_mutex_lock(&d->mu);
  d->published++;
  pthread_cond_broadcast(&d->cv);
  pthread_mutex_unlock(&d->mu);
  d->ev->filled(d->ctx, (unsigned)d->cur, d->used, d->read);
  d->cur = -1;
}

static uint64_t min_u64(uint64_t a, uint64_t b) { return a < b ? a : b; }

/* The unfilled rest of the current slot, taking the next free one when
 * needed (waiting for the consumer and the hasher); NULL when cancelled. */
static unsigned char *space(struct layer_decoder *d, size_t *avail) {
  if (d->cur < 0) {
    pthread_mutex_lock(&d->mu);
    while (d->published - min_u64(d->released, d->hashed) >= d->slots && !d->cancelled && !d->hash_failed)
      pthread_cond_wait(&d->cv, &d->mu);
    bool cancelled = d->cancelled, hash_failed = d->hash_failed;
    d->cur = (int)(d->published % d->slots);
    pthread_mutex_unlock(&d->mu);
    if (cancelled || hash_failed) {
      d->cur = -1;
      /* a hash failure is named by run(), once the hasher is joined */
      if (cancelled) fail(d, "cancelled", NULL);
      return NULL;
    }
    d->used = 0;
  }
  *avail = d->slot_size - d->used;
  return d->ring + (size_t)d->cur * d->slot_size + d->used;
}

/* n bytes were written at space(): publish a full slot. */
static void produced(struct layer_decoder *d, size_t n) {
  d->used += n;
  if (d->used == d->slot_size) publish(d);
}

/* The hashing thread: each published slot in order, until the decoder is
 * done (or cancelled). */
static void *hash_slots(void *arg) {
  struct layer_decoder *d = arg;
  pthread_mutex_lock(&d->mu);
  for (;;) {
    while (d->hashed == d->published && !d->input_done && !d->cancelled) pthread_cond_wait(&d->cv, &d->mu);
    if (d->cancelled || d->hashed == d->published) break;
    unsigned slot = (unsigned)(d->hashed % d->slots);
    pthread_mutex_unlock(&d->mu);
    bool ok = EVP_DigestUpdate(d->hash, d->ring + (size_t)slot * d->slot_size, d->lengths[slot]) == 1;
    pthread_mutex_lock(&d->mu);
    if (!ok) {
      d->hash_failed = true;
      pthread_cond_broadcast(&d->cv);
      break;
    }
    d->hashed++;
    pthread_cond_broadcast(&d->cv);
  }
  pthread_mutex_unlock(&d->mu);
  return NULL;
}

/* read(2) up to len bytes; -1 on error (d->error set), 0 at the end. */
static ssize_t read_some(struct layer_decoder *d, unsigned char *buf, size_t len) {
  for (;;) {
    ssize_t n = read(d->fd, buf, len);
    if (n >= 0) {
      d->read += (uint64_t)n;
      return n;
    }
    if (errno != EINTR) {
      fail(d, "reading the blob", strerror(errno));
      return -1;
    }
  }
}

static bool decode_plain(struct layer_decoder *d) {
  for (;;) {
    size_t avail;
    unsigned char *out = space(d, &avail);
    if (!out) return false;
    ssize_t n = read_some(d, out, avail);
    if (n < 0) return false;
    if (n == 0) return true;
    produced(d, (size_t)n);
  }
}

/* gzip members one after another, as gunzip takes them; zero bytes after a
 * member are padding (node's zlib and GNU gzip ignore them too). */
static bool decode_gzip(struct layer_decoder *d, unsigned char *in) {
  z_stream z;
  memset(&z, 0, sizeof z);
  if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) return fail(d, "gzip", "inflateInit2 failed");
  bool ok = true, in_member = true;
  for (;;) {
    if (z.avail_in == 0) {
      ssize_t n = read_some(d, in, READ_CHUNK);
      if (n < 0) {
        ok = false;
        break;
      }
      if (n == 0) break;
      z.next_in = in;
      z.avail_in = (uInt)n;
    }
    if (!in_member) {
      while (z.avail_in > 0 && *z.next_in == 0) z.next_in++, z.avail_in--;
      if (z.avail_in == 0) continue;
      inflateReset(&z);
      in_member = true;
    }
    size_t avail;
    unsigned char *out = space(d, &avail);
    if (!out) {
      ok = false;
      break;
    }
    z.next_out = out;
    z.avail_out = (uInt)avail;
    int r = inflate(&z, Z_NO_FLUSH);
    produced(d, avail - z.avail_out);
    if (r == Z_STREAM_END) {
      in_member = false;
    } else if (r != Z_OK && r != Z_BUF_ERROR) {
      ok = fail(d, "gzip", z.msg ? z.msg : "inflate failed");
      break;
    }
  }
  if (ok && in_member) ok = fail(d, "gzip", "unexpected end of file");
  inflateEnd(&z);
  return ok;
}

static bool decode_zstd(struct layer_decoder *d, unsigned char *in) {
  ZSTD_DCtx *z = ZSTD_createDCtx();
  if (!z) return fail(d, "zstd", "out of memory");
  ZSTD_inBuffer src = {in, 0, 0};
  size_t last = 0; /* 0: between frames */
  bool ok = true;
  for (;;) {
    if (src.pos == src.size) {
      ssize_t n = read_some(d, in, READ_CHUNK);
      if (n < 0) {
        ok = false;
        break;
      }
      if (n == 0) break;
      src.size = (size_t)n;
      src.pos = 0;
    }
    size_t avail;
    unsigned char *out = space(d, &avail);
    if (!out) {
      ok = false;
      break;
    }
    ZSTD_outBuffer dst = {out, avail, 0};
    last = ZSTD_decompressStream(z, &dst, &src);
    if (ZSTD_isError(last)) {
      ok = fail(d, "zstd", ZSTD_getErrorName(last));
      break;
    }
    produced(d, dst.pos);
  }
  /* the decoder may still hold output of the last frame */
  while (ok && last != 0) {
    size_t avail;
    unsigned char *out = space(d, &avail);
    if (!out) {
      ok = false;
      break;
    }
    ZSTD_outBuffer dst = {out, avail, 0};
    ZSTD_inBuffer none = {in, 0, 0};
    last = ZSTD_decompressStream(z, &dst, &none);
    if (ZSTD_isError(last)) {
      ok = fail(d, "zstd", ZSTD_getErrorName(last));
      break;
    }
    produced(d, dst.pos);
    if (last != 0 && dst.pos < dst.size) {
      /* no more output without more input */
      ok = fail(d, "zstd", "the stream ends in the middle of a frame");
    }
  }
  ZSTD_freeDCtx(z);
  return ok;
}

static void *run(void *arg) {
  struct layer_decoder *d = arg;
  bool ok = true, hashing = false;
  unsigned char *in = NULL;
  if (d->compression != LAYER_PLAIN && !(in = malloc(READ_CHUNK))) ok = fail(d, "decoding", "out of memory");
  if (ok && (!(d->hash = EVP_MD_CTX_new()) || EVP_DigestInit_ex(d->hash, EVP_sha256(), NULL) != 1))
    ok = fail(d, "sha256", "EVP_DigestInit_ex failed");
  if (ok) {
    int e = pthread_create(&d->hasher, NULL, hash_slots, d);
    hashing = e == 0;
    if (hashing) pthread_setname_np(d->hasher, "tsrun-hash");
    else ok = fail(d, "pthread_create", strerror(e));
  }
  if (ok) {
    switch (d->compression) {
      case LAYER_PLAIN: ok = decode_plain(d); break;
      case LAYER_GZIP: ok = decode_gzip(d, in); break;
      case LAYER_ZSTD: ok = decode_zstd(d, in); break;
    }
  }
  free(in);
  if (ok) publish(d);
  pthread_mutex_lock(&d->mu);
  d->input_done = true;
  pthread_cond_broadcast(&d->cv);
  pthread_mutex_unlock(&d->mu);
  if (hashing) pthread_join(d->hasher, NULL);
  /* fail() keeps the first cause: a decoding error found before this one */
  if (d->hash_failed) ok = fail(d, "sha256", "EVP_DigestUpdate failed");
  char digest[8 + 2 * 32 + 1] = "sha256:";
  if (ok) {
    unsigned char md[32];
    unsigned int mdlen = 0;
    if (EVP_DigestFinal_ex(d->hash, md, &mdlen) != 1 || mdlen != 32) {
      ok = fail(d, "sha256", "EVP_DigestFinal_ex failed");
    } else {
      for (unsigned i = 0; i < 32; i++) snprintf(digest + 7 + 2 * i, 3, "%02x", md[i]);
    }
  }
  d->ev->done(d->ctx, ok ? digest : NULL, ok ? NULL : d->error, d->read);
  return NULL;
}

struct layer_decoder *tsrun_layer_decode_start(int fd, enum layer_compression compression, unsigned char *ring,
                                               size_t slot_size, unsigned slots, const struct layer_decode_events *ev,
                                               void *ctx) {
  struct layer_decoder *d = calloc(1, sizeof *d);
  size_t *lengths = calloc(slots, sizeof *lengths);
  if (!d || !lengths) {
    free(d);
    free(lengths);
    close(fd);
    errno = ENOMEM;
    return NULL;
  }
  *d = (struct layer_decoder){.fd = fd,
                              .compression = compression,
                              .ring = ring,
                              .slot_size = slot_size,
                              .slots = slots,
                              .ev = ev,
                              .ctx = ctx,
                              .lengths = lengths,
                              .cur = -1};
  pthread_mutex_init(&d->mu, NULL);
  pthread_cond_init(&d->cv, NULL);
  int e = pthread_create(&d->thread, NULL, run, d);
  if (e != 0) {
    pthread_cond_destroy(&d->cv);
    pthread_mutex_destroy(&d->mu);
    close(fd);
    free(lengths);
    free(d);
    errno = e;
    return NULL;
  }
  pthread_setname_np(d->thread, "tsrun-decode");
  return d;
}

void tsrun_layer_decode_release(struct layer_decoder *d) {
  pthread_mutex_lock(&d->mu);
  if (d->released < d->published) d->released++;
  pthread_cond_broadcast(&d->cv);
  pthread_mutex_unlock(&d->mu);
}

void tsrun_layer_decode_cancel(struct layer_decoder *d) {
  pthread_mutex_lock(&d->mu);
  d->cancelled = true;
  pthread_cond_broadcast(&d->cv);
  pthread_mutex_unlock(&d->mu);
}

void tsrun_layer_decode_free(struct layer_decoder *d) {
  tsrun_layer_decode_cancel(d);
  pthread_join(d->thread, NULL);
  if (d->hash) EVP_MD_CTX_free(d->hash);
  close(d->fd);
  pthread_cond_destroy(&d->cv);
  pthread_mutex_destroy(&d->mu);
  free(d->lengths);
  free(d);
}
