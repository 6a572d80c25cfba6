/* json_log.c: a detached container's log, one JSON object per line as
 * Docker's json-file driver writes it. */
#ifndef TSRUN_MONITOR_JSON_LOG_H
#define TSRUN_MONITOR_JSON_LOG_H
#include <stddef.h>

/* Bytes of one stream not yet written: the start of a UTF-8 sequence cut by a read. */
struct json_log_stream {
  const char *name; /* "stdout" or "stderr" */
  unsigned char carry[4];
  size_t ncarry;
};

/* Append what a read of the stream returned to the log on fd: one record
 * {"log":"...","stream":"...","time":"..."} per line (a partial line is a
 * record of its own). Invalid UTF-8 becomes U+FFFD; a sequence cut at the
 * end waits for the next call unless at_eof. Returns 0, or -errno. */
int json_log_append(int fd, struct json_log_stream *s, const unsigned char *data, size_t len, int at_eof);

#endif
