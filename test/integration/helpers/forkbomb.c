/* A fork bomb that never gives up: every process forks forever and ignores
 * failures (EAGAIN at the pids limit), so the cgroup stays at its limit until
 * the processes are killed. Built static and copied into a test rootfs. */
#include <unistd.h>

int main(void) {
  for (;;) {
    (void)fork();
  }
}
