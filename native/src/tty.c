/* Terminal plumbing for tsrun's own side of a container's pty: the socket
 * pair over which a foreground `run`/`exec -t` receives the pty master (the
 * same one-sendmsg protocol as --console-socket), and window sizes. */
#include <errno.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>
#include "napi_util.h"
#include "tty.h"

/* socketPair() -> [fd, fd]: AF_UNIX SOCK_STREAM, both close-on-exec */
static napi_value js_socket_pair(napi_env env, napi_callback_info info) {
  (void)info;
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
    return tsrun_throw_errno(env, errno, "socketpair", NULL);
  napi_value arr;
  napi_create_array_with_length(env, 2, &arr);
  napi_set_element(env, arr, 0, tsrun_make_i32(env, sv[0]));
  napi_set_element(env, arr, 1, tsrun_make_i32(env, sv[1]));
  return arr;
}

/* getWinsize(fd) -> { rows, cols } | null when fd is not a terminal */
static napi_value js_get_winsize(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int32_t fd;
  if (!tsrun_get_args(env, info, 1, argv) || !tsrun_get_i32(env, argv[0], &fd)) return NULL;
  struct winsize ws;
  if (ioctl(fd, TIOCGWINSZ, &ws) < 0) {
    if (errno == ENOTTY || errno == EBADF || errno == EINVAL) {
      napi_value n;
      napi_get_null(env, &n);
      return n;
    }
    return tsrun_throw_errno(env, errno, "ioctl TIOCGWINSZ", NULL);
  }
  napi_value o;
  napi_create_object(env, &o);
  napi_set_named_property(env, o, "rows", tsrun_make_i32(env, ws.ws_row));
  napi_set_named_property(env, o, "cols", tsrun_make_i32(env, ws.ws_col));
  return o;
}

/* setWinsize(fd, rows, cols) */
static napi_value js_set_winsize(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  int32_t fd, rows, cols;
  if (!tsrun_get_args(env, info, 3, argv) || !tsrun_get_i32(env, argv[0], &fd) || !tsrun_get_i32(env, argv[1], &rows) ||
      !tsrun_get_i32(env, argv[2], &cols))
    return NULL;
  struct winsize ws = {.ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols};
  if (ioctl(fd, TIOCSWINSZ, &ws) < 0) return tsrun_throw_errno(env, errno, "ioctl TIOCSWINSZ", NULL);
  return NULL;
}

/* makeRaw(fd) -> Buffer holding the previous termios: cfmakeraw, so output
 * processing (ONLCR) is off too and the container's own pty does it */
static napi_value js_make_raw(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int32_t fd;
  if (!tsrun_get_args(env, info, 1, argv) || !tsrun_get_i32(env, argv[0], &fd)) return NULL;
  struct termios old;
  if (tcgetattr(fd, &old) < 0) return tsrun_throw_errno(env, errno, "tcgetattr", NULL);
  struct termios raw = old;
  cfmakeraw(&raw);
  raw.c_cc[VMIN] = 1;
  raw.c_cc[VTIME] = 0;
  if (tcsetattr(fd, TCSANOW, &raw) < 0) return tsrun_throw_errno(env, errno, "tcsetattr", NULL);
  napi_value buf;
  void *data;
  napi_create_buffer_copy(env, sizeof old, &old, &data, &buf);
  return buf;
}

/* restoreTerminal(fd, saved): put back what makeRaw returned */
static napi_value js_restore_terminal(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  int32_t fd;
  if (!tsrun_get_args(env, info, 2, argv) || !tsrun_get_i32(env, argv[0], &fd)) return NULL;
  void *data;
  size_t len;
  if (napi_get_buffer_info(env, argv[1], &data, &len) != napi_ok || len != sizeof(struct termios)) {
    napi_throw_type_error(env, NULL, "restoreTerminal: expected the Buffer makeRaw returned");
    return NULL;
  }
  if (tcsetattr(fd, TCSANOW, (const struct termios *)data) < 0) return tsrun_throw_errno(env, errno, "tcsetattr", NULL);
  return NULL;
}

void tsrun_register_tty(napi_env env, napi_value exports) {
  static const tsrun_fn fns[] = {
      {"socketPair", js_socket_pair}, {"getWinsize", js_get_winsize},           {"setWinsize", js_set_winsize},
      {"makeRaw", js_make_raw},       {"restoreTerminal", js_restore_terminal},
  };
  tsrun_export(env, exports, fns, sizeof fns / sizeof fns[0]);
}
