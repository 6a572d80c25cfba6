/* linux.sysctl: each key written to /proc/sys/<key with dots as slashes>
 * (the planner converts the key) through the checked procfs opener. Runs in
 * the child after pivot_root and after hostname/domainname are set, so a
 * kernel.hostname sysctl wins, as in runc. */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include "procfs.h"
#include "sysctl.h"

void sysctl_write_all(struct child_ctx *c) {
  struct tsrun_plan *p = c->plan;
  for (int i = 0; i < p->n_sysctl; i++) {
    char path[512];
    struct sbuf b;
    sb_init(&b, path, sizeof path);
    sb_add(&b, "sys/");
    sb_add(&b, p->sysctl_keys[i]);
    int fd = open_proc_file(c, path, O_WRONLY);
    if (fd < 0) fail_proc_file(c, errno, "write sysctl", path);
    const char *v = p->sysctl_values[i];
    if (write(fd, v, c_strlen(v)) < 0) fail_proc_file(c, errno, "write sysctl", path);
    close(fd);
  }
}
