/* Decoding one image layer blob on a thread of its own: read the blob,
 * decompress it (gzip or zstd) or take it as it is (plain tar), and hand the
 * bytes over through a ring of slots in the caller's memory, while a second
 * thread hashes every decompressed byte (sha256: the layer's diff_id). The
 * decoding thread fills a slot, reports it (filled), and takes the next free
 * one, waiting while the consumer holds them all or the hasher is behind;
 * the consumer gives each slot back (release) in the order it got them. The
 * caller's threads do the unpacking meanwhile, as `tar -xzf` runs gzip
 * beside tar.
 *
 * Nothing here parses the tar stream or touches the filesystem but to read
 * the blob. These run in the parent (node) only. */
#ifndef TSRUN_LAYER_DECODE_H
#define TSRUN_LAYER_DECODE_H
#include <stddef.h>
#include <stdint.h>

enum layer_compression { LAYER_PLAIN, LAYER_GZIP, LAYER_ZSTD };

/* Called on the decoding thread (done after the hasher has finished). */
struct layer_decode_events {
  /* slot holds len bytes of the decompressed stream, the next in order;
   * read: compressed bytes read so far */
  void (*filled)(void *ctx, unsigned slot, size_t len, uint64_t read);
  /* the last call: digest ("sha256:<64 hex>") after the whole stream, or
   * error (a message) when it failed or was cancelled */
  void (*done)(void *ctx, const char *digest, const char *error, uint64_t read);
};

struct layer_decoder;

/* Start decoding the blob open on fd (the decoder owns it from here, also on
 * failure) into ring (slots * slot_size bytes). NULL on failure, with errno. */
struct layer_decoder *tsrun_layer_decode_start(int fd, enum layer_compression compression, unsigned char *ring,
                                               size_t slot_size, unsigned slots, const struct layer_decode_events *ev,
                                               void *ctx);

/* The consumer is done with the oldest slot it holds. */
void tsrun_layer_decode_release(struct layer_decoder *d);

/* Stop soon: the thread ends with done(error "cancelled"). */
void tsrun_layer_decode_cancel(struct layer_decoder *d);

/* Wait for the thread to end (cancelling it first) and free the decoder. */
void tsrun_layer_decode_free(struct layer_decoder *d);

#endif
