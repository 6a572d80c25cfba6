/* Test peer for recvFd: connects to PATH and sends DATA with N copies of
 * fd 0 in one SCM_RIGHTS message (N = 0: no fd at all).
 *   fdsend PATH N DATA */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc < 4) return 2;
  int n = atoi(argv[2]);
  int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un a = {.sun_family = AF_UNIX};
  strncpy(a.sun_path, argv[1], sizeof a.sun_path - 1);
  if (connect(s, (struct sockaddr *)&a, sizeof a) < 0) {
    perror("fdsend: connect");
    return 1;
  }
  int fds[8];
  for (int i = 0; i < n && i < 8; i++) fds[i] = 0;
  char ctl[CMSG_SPACE(sizeof fds)];
  memset(ctl, 0, sizeof ctl);
  struct iovec iov = {.iov_base = argv[3], .iov_len = strlen(argv[3])};
  struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
  if (n > 0) {
    m.msg_control = ctl;
    m.msg_controllen = CMSG_SPACE(sizeof(int) * n);
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * n);
    memcpy(CMSG_DATA(c), fds, sizeof(int) * n);
  }
  if (sendmsg(s, &m, 0) < 0) {
    perror("fdsend: sendmsg");
    return 1;
  }
  close(s);
  return 0;
}
