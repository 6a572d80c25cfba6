/* json-log-harness: feeds tsrun-monitor's log writer (native/monitor/json_log.c)
 * chunks given as hex on the command line, as if each had come from one read
 * of the stream, and writes the records to stdout. The last chunk is passed
 * with at_eof. usage: json-log-harness STREAM HEX... */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "json_log.h"

static size_t unhex(const char *hex, unsigned char *out) {
  size_t n = 0;
  for (; hex[0] && hex[1]; hex += 2) {
    char byte[3] = {hex[0], hex[1], 0};
    out[n++] = (unsigned char)strtoul(byte, NULL, 16);
  }
  return n;
}

int main(int argc, char **argv) {
  if (argc < 3) return 2;
  struct json_log_stream s = {.name = argv[1]};
  for (int i = 2; i < argc; i++) {
    unsigned char buf[4096];
    if (strlen(argv[i]) / 2 > sizeof buf) return 2;
    size_t n = unhex(argv[i], buf);
    if (json_log_append(1, &s, buf, n, i == argc - 1) != 0) return 1;
  }
  return 0;
}
