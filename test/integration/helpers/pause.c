/* The pod sandbox's process of the CRI test's pause image (the image holds
 * this static binary alone): it holds the pod's namespaces and does nothing
 * else. As the pod's init it reaps whatever is re-parented to it, and it exits
 * 0 on SIGTERM or SIGINT (the sandbox is stopped with either). */
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void on_stop(int sig) {
  (void)sig;
  _exit(0);
}

static void on_child(int sig) {
  (void)sig;
  while (waitpid(-1, NULL, WNOHANG) > 0) continue;
}

int main(void) {
  struct sigaction stop, child;
  memset(&stop, 0, sizeof(stop));
  stop.sa_handler = on_stop;
  memset(&child, 0, sizeof(child));
  child.sa_handler = on_child;
  child.sa_flags = SA_NOCLDSTOP | SA_RESTART;
  if (sigaction(SIGTERM, &stop, NULL) < 0 || sigaction(SIGINT, &stop, NULL) < 0 ||
      sigaction(SIGCHLD, &child, NULL) < 0) {
    return 1;
  }
  for (;;) pause();
}
