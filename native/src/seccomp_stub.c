/* Placeholder until the seccomp module lands (seccomp branch): refuses filters. */
#include <errno.h>
#include "napi_util.h"
#include "seccomp_load.h"
int tsrun_seccomp_install(const struct tsrun_seccomp_plan *p, int *notify_fd) {
  (void)p;
  *notify_fd = -1;
  errno = ENOSYS;
  return -1;
}
void tsrun_seccomp_after_install(struct child_ctx *c, int notify_fd) { (void)c; (void)notify_fd; }
bool tsrun_seccomp_from_js(napi_env env, napi_value obj, struct tsrun_seccomp_plan **out) {
  (void)obj;
  *out = NULL;
  napi_throw_error(env, NULL, "seccomp is not supported by this build yet");
  return false;
}
void tsrun_seccomp_free(struct tsrun_seccomp_plan *p) { (void)p; }
