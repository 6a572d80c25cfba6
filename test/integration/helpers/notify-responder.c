/* Test seccomp agent: answers the notifications arriving on fd 3 (a seccomp
 * listener fd received by the test with Native.recvFd) until every task of
 * the filter is gone.
 *
 *   notify-responder errno N   -> the syscall fails with errno N
 *   notify-responder value V   -> the syscall "succeeds" returning V without running
 *   notify-responder continue  -> the kernel runs the syscall
 * Prints one line per notification: "nr=<syscall> pid=<pid> arg0=<hex>". */

#include <errno.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  const int fd = 3;
  long arg = argc > 2 ? strtol(argv[2], NULL, 0) : 0;
  for (;;) {
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int r = poll(&p, 1, 10000);
    if (r == 0) {
      fprintf(stderr, "responder: timeout\n");
      return 3;
    }
    if (r < 0) return 4;
    if (!(p.revents & POLLIN)) return 0; /* POLLHUP: no task left */
    struct seccomp_notif req;
    struct seccomp_notif_resp resp;
    memset(&req, 0, sizeof req);
    if (ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0) {
      if (errno == EINTR || errno == ENOENT) continue;
      perror("responder: NOTIF_RECV");
      return 5;
    }
    printf("nr=%d pid=%u arg0=%llx\n", req.data.nr, req.pid, (unsigned long long)req.data.args[0]);
    fflush(stdout);
    memset(&resp, 0, sizeof resp);
    resp.id = req.id;
    if (strcmp(argv[1], "errno") == 0) resp.error = (int)-arg;
    else if (strcmp(argv[1], "value") == 0) resp.val = arg;
    else resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
    if (ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, &resp) < 0 && errno != ENOENT) {
      perror("responder: NOTIF_SEND");
      return 6;
    }
  }
}
