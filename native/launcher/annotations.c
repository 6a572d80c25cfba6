/* Reading one string out of config.json's top-level "annotations" object:
 * a small strict JSON walker (strings with escapes, numbers, literals,
 * nested arrays and objects), enough to skip everything else correctly. */
#include "annotations.h"
#include <stdbool.h>
#include <string.h>

struct cursor {
  const char *p, *end;
  int depth;
};

static void ws(struct cursor *c) {
  while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r')) c->p++;
}

/* A string at c->p; its raw bytes (escapes kept) in [*s, *e). */
static bool string_raw(struct cursor *c, const char **s, const char **e) {
  if (c->p >= c->end || *c->p != '"') return false;
  c->p++;
  *s = c->p;
  while (c->p < c->end && *c->p != '"') {
    if ((unsigned char)*c->p < 0x20) return false;
    if (*c->p == '\\') c->p++;
    c->p++;
  }
  if (c->p >= c->end) return false;
  *e = c->p++;
  return true;
}

static bool skip_value(struct cursor *c);

static bool skip_container(struct cursor *c, char open, char close) {
  if (++c->depth > 64) return false;
  c->p++; /* open */
  ws(c);
  if (c->p < c->end && *c->p == close) {
    c->p++;
    c->depth--;
    return true;
  }
  for (;;) {
    ws(c);
    if (open == '{') {
      const char *s, *e;
      if (!string_raw(c, &s, &e)) return false;
      ws(c);
      if (c->p >= c->end || *c->p++ != ':') return false;
      ws(c);
    }
    if (!skip_value(c)) return false;
    ws(c);
    if (c->p >= c->end) return false;
    if (*c->p == ',') {
      c->p++;
      continue;
    }
    if (*c->p++ != close) return false;
    c->depth--;
    return true;
  }
}

static bool skip_value(struct cursor *c) {
  ws(c);
  if (c->p >= c->end) return false;
  char ch = *c->p;
  if (ch == '{') return skip_container(c, '{', '}');
  if (ch == '[') return skip_container(c, '[', ']');
  if (ch == '"') {
    const char *s, *e;
    return string_raw(c, &s, &e);
  }
  /* number, true, false, null */
  const char *start = c->p;
  while (c->p < c->end && (strchr("+-.0123456789eEtruefalsn", *c->p) != NULL)) c->p++;
  return c->p > start;
}

static bool raw_equals(const char *s, const char *e, const char *want) {
  size_t n = strlen(want);
  return (size_t)(e - s) == n && memcmp(s, want, n) == 0;
}

/* Walk the object at c->p; call found() for the value of `key` (at depth 0 of this object). */
static bool find_member(struct cursor *c, const char *key, bool *present) {
  *present = false;
  ws(c);
  if (c->p >= c->end || *c->p != '{') return false;
  c->p++;
  ws(c);
  if (c->p < c->end && *c->p == '}') return true;
  for (;;) {
    const char *s, *e;
    ws(c);
    if (!string_raw(c, &s, &e)) return false;
    ws(c);
    if (c->p >= c->end || *c->p++ != ':') return false;
    ws(c);
    if (raw_equals(s, e, key)) {
      *present = true;
      return true; /* c->p at the value */
    }
    if (!skip_value(c)) return false;
    ws(c);
    if (c->p >= c->end) return false;
    if (*c->p == ',') {
      c->p++;
      continue;
    }
    return *c->p == '}';
  }
}

int config_annotation(const char *json, size_t len, const char *key, char *out, size_t cap) {
  struct cursor c = {json, json + len, 0};
  bool present;
  if (!find_member(&c, "annotations", &present) || !present) return 0;
  if (!find_member(&c, key, &present) || !present) return 0;
  const char *s, *e;
  if (!string_raw(&c, &s, &e)) return 0;
  size_t n = (size_t)(e - s);
  if (n + 1 > cap || memchr(s, '\\', n)) return -1; /* ids never need escapes */
  memcpy(out, s, n);
  out[n] = 0;
  return 1;
}
