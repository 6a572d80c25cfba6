/* The container's terminal: a pty allocated on the container's own devpts
 * (after pivot_root), the master sent over the console socket in exactly one
 * sendmsg with one SCM_RIGHTS fd, the slave made the controlling terminal and
 * fds 0-2. For `create`, the slave is also bound over /dev/console. */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <termios.h>
#include <unistd.h>
#include "console.h"
#include "fdpass.h"
#include "rootfs.h"

/* The bind target is /dev/console itself, never what a symlink there points
 * at: a planted link would put the pty over any file of the container, e.g.
 * a procfs file that masking or a read-only path protects (CVE-2025-52565). */
static int open_console_target(struct child_ctx *c) {
  int target = open_in_root("/dev/console", O_PATH | O_NOFOLLOW);
  if (target < 0 && errno == ENOENT) {
    target = mkdir_in_root_for_file("/dev/console");
    if (target < 0) child_fail(c, errno, "create", "/dev/console");
    close(target);
    target = open_in_root("/dev/console", O_PATH | O_NOFOLLOW);
  }
  if (target < 0) child_fail(c, errno, "open", "/dev/console");
  struct stat st;
  if (fstat(target, &st) < 0) child_fail(c, errno, "stat", "/dev/console");
  if (!S_ISREG(st.st_mode) && !S_ISCHR(st.st_mode))
    child_fail(c, EPERM, "refusing to bind the console over /dev/console: it is not a regular file or a device",
               S_ISLNK(st.st_mode) ? "(a symbolic link)" : NULL);
  return target;
}

static void bind_slave_to_console(struct child_ctx *c, int slave) {
  int target = open_console_target(c);
  int tree = open_tree(slave, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
  if (tree < 0) child_fail(c, errno, "bind pty to", "/dev/console");
  if (move_mount(tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
    child_fail(c, errno, "bind pty to", "/dev/console");
  close(tree);
  close(target);
}

void console_setup(struct child_ctx *c, int sock, bool bind_console) {
  if (sock < 0) child_fail(c, EINVAL, "terminal requested without a console socket", NULL);
  int ptmx = open_in_root("/dev/pts/ptmx", O_RDWR | O_NOCTTY);
  if (ptmx < 0) child_fail(c, errno, "open", "/dev/pts/ptmx");
  struct statfs sf;
  if (fstatfs(ptmx, &sf) < 0 || sf.f_type != DEVPTS_SUPER_MAGIC)
    child_fail(c, EXDEV, "/dev/pts/ptmx is not on a devpts filesystem", NULL);
  int unlock = 0;
  if (ioctl(ptmx, TIOCSPTLCK, &unlock) < 0) child_fail(c, errno, "unlock pty", NULL);
  int slave = ioctl(ptmx, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave < 0) child_fail(c, errno, "open pty peer", NULL);
  if (c->process->console_height || c->process->console_width) {
    struct winsize ws = {.ws_row = (unsigned short)c->process->console_height,
                         .ws_col = (unsigned short)c->process->console_width};
    if (ioctl(slave, TIOCSWINSZ, &ws) < 0) child_fail(c, errno, "set console size", NULL);
  }
  if (bind_console) bind_slave_to_console(c, slave);
  unsigned n = 0;
  char name[64];
  struct sbuf b;
  sb_init(&b, name, sizeof name);
  sb_add(&b, "/dev/pts/");
  if (ioctl(ptmx, TIOCGPTN, &n) == 0) sb_add_int(&b, n);
  else sb_add(&b, "ptmx");
  if (tsrun_send_fd(sock, name, b.len, ptmx) < 0) child_fail(c, errno, "send pty master over the console socket", NULL);
  close(sock);
  close(ptmx);
  /* the container process is a session leader already (init.c, exec.c) */
  if (getsid(0) != getpid() && setsid() < 0) child_fail(c, errno, "setsid", NULL);
  if (ioctl(slave, TIOCSCTTY, 0) < 0) child_fail(c, errno, "set controlling terminal", NULL);
  for (int fd = 0; fd < 3; fd++)
    if (dup2(slave, fd) < 0) child_fail(c, errno, "dup pty onto stdio", NULL);
  if (slave > 2) close(slave);
}
