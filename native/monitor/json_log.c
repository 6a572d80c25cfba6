/* A detached container's log in the format of Docker's json-file driver, so
 * that `container logs` can give stdout and stderr back apart and in order:
 *   {"log":"hello\n","stream":"stdout","time":"2024-05-01T10:00:00.123456789Z"}
 * One record per line as it was read; the bytes of the line are a JSON string
 * (control characters escaped, invalid UTF-8 replaced with U+FFFD, as Go's
 * encoder does). */
#include "json_log.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Length of the UTF-8 sequence at p: n > 0 when valid and complete, 0 when
 * invalid, -1 when a valid start is cut off by the end of the buffer. */
static int utf8_sequence(const unsigned char *p, size_t avail) {
  unsigned char b = p[0];
  if (b < 0x80) return 1;
  int n;
  unsigned char lo = 0x80, hi = 0xbf;
  if (b >= 0xc2 && b <= 0xdf) {
    n = 2;
  } else if (b >= 0xe0 && b <= 0xef) {
    n = 3;
    if (b == 0xe0) lo = 0xa0;
    if (b == 0xed) hi = 0x9f;
  } else if (b >= 0xf0 && b <= 0xf4) {
    n = 4;
    if (b == 0xf0) lo = 0x90;
    if (b == 0xf4) hi = 0x8f;
  } else {
    return 0;
  }
  for (int i = 1; i < n; i++) {
    if ((size_t)i >= avail) return -1;
    unsigned char c = p[i];
    unsigned char min = i == 1 ? lo : 0x80, max = i == 1 ? hi : 0xbf;
    if (c < min || c > max) return 0;
  }
  return n;
}

static int write_all(int fd, const char *buf, size_t len) {
  while (len > 0) {
    ssize_t w = write(fd, buf, len);
    if (w < 0) {
      if (errno == EINTR) continue;
      return -errno;
    }
    buf += w;
    len -= (size_t)w;
  }
  return 0;
}

static int write_record(int fd, const char *stream, const unsigned char *line, size_t len) {
  char when[64];
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm;
  gmtime_r(&ts.tv_sec, &tm);
  size_t w = strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(when + w, sizeof when - w, ".%09ldZ", ts.tv_nsec);

  /* worst case: every byte becomes \u00XX or \ufffd (6 bytes) */
  size_t cap = len * 6 + strlen(stream) + sizeof when + 64;
  char *out = malloc(cap);
  if (!out) return -ENOMEM;
  size_t o = 0;
  o += (size_t)snprintf(out, cap, "{\"log\":\"");
  for (size_t i = 0; i < len;) {
    unsigned char c = line[i];
    if (c >= 0x80) {
      int n = utf8_sequence(line + i, len - i);
      if (n > 0) {
        memcpy(out + o, line + i, (size_t)n);
        o += (size_t)n;
        i += (size_t)n;
      } else {
        memcpy(out + o, "\\ufffd", 6);
        o += 6;
        i++;
      }
      continue;
    }
    const char *esc = NULL;
    switch (c) {
      case '"': esc = "\\\""; break;
      case '\\': esc = "\\\\"; break;
      case '\n': esc = "\\n"; break;
      case '\r': esc = "\\r"; break;
      case '\t': esc = "\\t"; break;
    }
    if (esc) {
      memcpy(out + o, esc, 2);
      o += 2;
    } else if (c < 0x20 || c == 0x7f) {
      o += (size_t)snprintf(out + o, cap - o, "\\u%04x", c);
    } else {
      out[o++] = (char)c;
    }
    i++;
  }
  o += (size_t)snprintf(out + o, cap - o, "\",\"stream\":\"%s\",\"time\":\"%s\"}\n", stream, when);
  int r = write_all(fd, out, o);
  free(out);
  return r;
}

int json_log_append(int fd, struct json_log_stream *s, const unsigned char *data, size_t len, int at_eof) {
  size_t total = s->ncarry + len;
  if (total == 0) return 0;
  unsigned char *buf = malloc(total);
  if (!buf) return -ENOMEM;
  memcpy(buf, s->carry, s->ncarry);
  if (len) memcpy(buf + s->ncarry, data, len);
  s->ncarry = 0;

  /* hold back a UTF-8 sequence the read cut in two (at most 3 bytes) */
  size_t end = total;
  if (!at_eof) {
    for (size_t back = 1; back <= 3 && back <= total; back++) {
      size_t at = total - back;
      if ((buf[at] & 0xc0) == 0x80) continue; /* a continuation byte: look further back */
      if (buf[at] >= 0xc0 && utf8_sequence(buf + at, back) == -1) end = at;
      break;
    }
    s->ncarry = total - end;
    memcpy(s->carry, buf + end, s->ncarry);
  }

  int r = 0;
  size_t start = 0;
  for (size_t i = 0; i < end && r == 0; i++) {
    if (buf[i] == '\n') {
      r = write_record(fd, s->name, buf + start, i + 1 - start);
      start = i + 1;
    }
  }
  if (r == 0 && start < end) r = write_record(fd, s->name, buf + start, end - start);
  free(buf);
  return r;
}
