/* Security labels for the program the container process is about to exec:
 * the AppArmor profile ("exec <profile>" to the thread's attr/apparmor/exec,
 * or attr/exec on kernels without LSM stacking) and the SELinux process
 * label (attr/exec). Both take effect at the next execve. The attribute file
 * is opened through the checked procfs lookup, so a /proc planted or
 * redirected by the image cannot swallow the write and leave the process
 * unconfined (CVE-2025-52881). Whether the host has the LSM at all is
 * checked in TypeScript before anything starts (config checks). */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include "lsm.h"
#include "procfs.h"

static void write_attr(struct child_ctx *c, int fd, const char *text, size_t len, const char *what, const char *label) {
  ssize_t w;
  do w = write(fd, text, len);
  while (w < 0 && errno == EINTR);
  if (w < 0) child_fail(c, errno, what, label);
  close(fd);
}

static void apply_apparmor(struct child_ctx *c, const char *profile) {
  int fd = open_proc_file(c, "thread-self/attr/apparmor/exec", O_WRONLY);
  if (fd < 0 && errno == ENOENT) fd = open_proc_file(c, "thread-self/attr/exec", O_WRONLY);
  if (fd < 0) fail_proc_file(c, errno, "write the AppArmor profile to", "thread-self/attr/apparmor/exec");
  char text[4200];
  struct sbuf b;
  sb_init(&b, text, sizeof text);
  sb_add(&b, "exec ");
  sb_add(&b, profile);
  if (b.len != 5 + c_strlen(profile)) child_fail(c, ENAMETOOLONG, "AppArmor profile", profile);
  write_attr(c, fd, text, b.len, "apply AppArmor profile", profile);
}

static void apply_selinux(struct child_ctx *c, const char *label) {
  int fd = open_proc_file(c, "thread-self/attr/exec", O_WRONLY);
  if (fd < 0) fail_proc_file(c, errno, "write the SELinux label to", "thread-self/attr/exec");
  write_attr(c, fd, label, c_strlen(label), "apply SELinux label", label);
}

void lsm_apply_exec_labels(struct child_ctx *c) {
  const struct tsrun_process *pr = c->process;
  if (pr->apparmor_profile && *pr->apparmor_profile) apply_apparmor(c, pr->apparmor_profile);
  if (pr->selinux_label && *pr->selinux_label) apply_selinux(c, pr->selinux_label);
}
