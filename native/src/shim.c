/* What the containerd shim (src/shim) needs beyond the container lifecycle:
 * mounting the rootfs containerd hands over in Create (and unmounting it),
 * noticing exited children it did not start itself (orphans of a container
 * whose pid namespace is shared, reparented to the subreaper), and the pipes
 * a binary:// logger reads. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>
#include "shim.h"
#include "napi_util.h"

/* mount(source, target, fstype, flags, data, chdir): one mount(2). With a
 * non-empty chdir the call is made by a short-lived child standing in that
 * directory, so relative paths in data (overlay lowerdirs shortened to fit
 * a page) resolve there; the shim's own cwd never changes. */
static napi_value js_mount(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  char *source = NULL, *target = NULL, *fstype = NULL, *data = NULL, *dir = NULL;
  int64_t flags;
  napi_value out = NULL;
  if (!tsrun_get_args(env, info, 6, argv) || !tsrun_get_string(env, argv[0], &source) ||
      !tsrun_get_string(env, argv[1], &target) || !tsrun_get_string(env, argv[2], &fstype) ||
      !tsrun_get_i64(env, argv[3], &flags) || !tsrun_get_string(env, argv[4], &data) ||
      !tsrun_get_string(env, argv[5], &dir))
    goto done;
  const char *fs = *fstype ? fstype : NULL;
  const void *d = *data ? data : NULL;
  if (!*dir) {
    if (mount(source, target, fs, (unsigned long)flags, d) < 0) tsrun_throw_errno(env, errno, "mount", target);
    goto done;
  }
  pid_t pid = fork();
  if (pid < 0) {
    tsrun_throw_errno(env, errno, "fork", NULL);
    goto done;
  }
  if (pid == 0) {
    if (chdir(dir) < 0) _exit(errno & 0xff);
    _exit(mount(source, target, fs, (unsigned long)flags, d) < 0 ? (errno & 0xff) : 0);
  }
  int status;
  pid_t r;
  do r = waitpid(pid, &status, 0);
  while (r < 0 && errno == EINTR);
  if (r < 0) tsrun_throw_errno(env, errno, "waitpid", NULL);
  else if (!WIFEXITED(status)) tsrun_throw_errno(env, EINTR, "mount", target);
  else if (WEXITSTATUS(status)) tsrun_throw_errno(env, WEXITSTATUS(status), "mount", target);
done:
  free(source);
  free(target);
  free(fstype);
  free(data);
  free(dir);
  return out;
}

/* unmount(target, flags) -> false when nothing was mounted there (EINVAL) */
static napi_value js_unmount(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  char *target = NULL;
  int32_t flags;
  if (!tsrun_get_args(env, info, 2, argv) || !tsrun_get_string(env, argv[0], &target) ||
      !tsrun_get_i32(env, argv[1], &flags))
    return NULL;
  napi_value out = NULL;
  if (umount2(target, flags) == 0) {
    napi_get_boolean(env, true, &out);
  } else if (errno == EINVAL || errno == ENOENT) {
    napi_get_boolean(env, false, &out);
  } else {
    tsrun_throw_errno(env, errno, "umount2", target);
  }
  free(target);
  return out;
}

/* exitedChild() -> pid of some child that has exited (left unreaped), or 0 */
static napi_value js_exited_child(napi_env env, napi_callback_info info) {
  (void)info;
  siginfo_t si;
  memset(&si, 0, sizeof si);
  int r;
  do r = waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT);
  while (r < 0 && errno == EINTR);
  if (r < 0 && errno != ECHILD) return tsrun_throw_errno(env, errno, "waitid", NULL);
  return tsrun_make_i32(env, r < 0 ? 0 : si.si_pid);
}

/* pipe() -> [readFd, writeFd], both close-on-exec (for binary:// loggers) */
static napi_value js_pipe(napi_env env, napi_callback_info info) {
  (void)info;
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) < 0) return tsrun_throw_errno(env, errno, "pipe2", NULL);
  napi_value arr;
  napi_create_array_with_length(env, 2, &arr);
  napi_set_element(env, arr, 0, tsrun_make_i32(env, fds[0]));
  napi_set_element(env, arr, 1, tsrun_make_i32(env, fds[1]));
  return arr;
}

void tsrun_register_shim(napi_env env, napi_value exports) {
  static const tsrun_fn fns[] = {
      {"mount", js_mount},
      {"unmount", js_unmount},
      {"exitedChild", js_exited_child},
      {"pipe", js_pipe},
  };
  tsrun_export(env, exports, fns, sizeof fns / sizeof fns[0]);
}
