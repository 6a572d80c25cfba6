/* The forked processes' tie to the tsrun that created them (lifeline.h). */
#include "lifeline.h"
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

void lifeline_arm(pid_t creator, int sync_fd) {
  prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  /* the creator may have died before we armed: then no signal comes */
  pid_t parent = getppid();
  if (parent != 0 && parent != creator) _exit(1);
  struct pollfd p = {.fd = sync_fd, .events = POLLRDHUP};
  if (poll(&p, 1, 0) > 0 && (p.revents & (POLLHUP | POLLRDHUP | POLLERR))) _exit(1);
}

void lifeline_disarm(void) { prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0); }

pid_t lifeline_fork_sibling(void) {
  /* flags then stack (0: the child runs on a copy of ours, as with fork) is
     the argument order on x86-64, arm64 and most others */
  return (pid_t)syscall(SYS_clone, CLONE_PARENT | SIGCHLD, 0, NULL, NULL, 0);
}
