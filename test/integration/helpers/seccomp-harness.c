/* Test harness: loads a compiled seccomp filter with tsrun's own loader
 * (native/src/seccomp_load.c, linked in by the test) and execs a program,
 * the way the container init does its last step.
 *
 *   seccomp-harness [-N] [-l LISTENER_PATH -s STATE_FILE [-d]] FILTER FLAGS -- PROG ARGS...
 *
 *   -N  do not set PR_SET_NO_NEW_PRIVS (root: the CAP_SYS_ADMIN path)
 *   -l  connect to the seccomp agent socket before installing
 *   -s  file holding the container process state JSON to send
 *   -d  direct send after install (tsrun_seccomp_send_listener) instead of
 *       the helper-process hand-off (tsrun_seccomp_install_and_send)
 * Exit 125 with a message on stderr when the harness itself fails. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "fdpass.h"
#include "seccomp_load.h"

static char *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  size_t cap = 1 << 16, n = 0;
  char *buf = malloc(cap);
  size_t got;
  while ((got = fread(buf + n, 1, cap - n, f)) > 0) {
    n += got;
    if (n == cap) buf = realloc(buf, cap *= 2);
  }
  fclose(f);
  *len = n;
  return buf;
}

static int die(const char *what, int err) {
  fprintf(stderr, "harness: %s: %s\n", what, strerror(err));
  return 125;
}

int main(int argc, char **argv) {
  int nnp = 1, direct = 0, opt;
  const char *listener = NULL, *state_file = NULL;
  while ((opt = getopt(argc, argv, "+Nl:s:d")) != -1) {
    if (opt == 'N') nnp = 0;
    else if (opt == 'l') listener = optarg;
    else if (opt == 's') state_file = optarg;
    else if (opt == 'd') direct = 1;
    else return 125;
  }
  if (argc - optind < 4 || strcmp(argv[optind + 2], "--") != 0) {
    fprintf(stderr, "usage: seccomp-harness [-N] [-l PATH -s FILE [-d]] FILTER FLAGS -- PROG ARGS...\n");
    return 125;
  }
  size_t flen;
  char *filter = slurp(argv[optind], &flen);
  if (!filter) return die("read filter", errno);
  struct tsrun_seccomp_plan plan = {
      .prog = {.len = (unsigned short)(flen / sizeof(struct sock_filter)), .filter = (struct sock_filter *)filter},
      .flags = (unsigned int)strtoul(argv[optind + 1], NULL, 0),
      .listener_path = (char *)listener,
  };
  char **prog = argv + optind + 3;

  size_t slen = 0;
  char *state = NULL;
  int conn = -1;
  if (listener) {
    state = state_file ? slurp(state_file, &slen) : NULL;
    if (!state) return die("read state", errno ? errno : EINVAL);
    conn = tsrun_connect_unix(listener);
    if (conn < 0) return die("connect listener", -conn);
  }
  if (nnp && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) return die("PR_SET_NO_NEW_PRIVS", errno);

  if (listener && !direct) {
    const char *what = NULL;
    int r = tsrun_seccomp_install_and_send(&plan, conn, state, slen, &what);
    if (r < 0) return die(what ? what : "install_and_send", -r);
  } else {
    int notify = -1;
    int r = tsrun_seccomp_install(&plan, &notify);
    if (r < 0) return die("seccomp", -r);
    if (listener) {
      r = tsrun_seccomp_send_listener(conn, state, slen, notify);
      close(conn);
      close(notify);
      if (r < 0) return die("send listener", -r);
    }
  }
  execv(prog[0], prog);
  return die("execv", errno);
}
