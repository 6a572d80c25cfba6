/* A console-socket receiver checked the way go-runc's recvFd checks it:
 * listen on PATH, accept one connection, receive one message with room for
 * many fds and credentials, then report what arrived as one JSON line:
 *   {"bytes":N,"name":"...","controllen":N,"oneFdControllen":N,"cmsgs":N,
 *    "rightsFds":N,"otherCmsgs":N,"truncated":0|1,"eofAfter":0|1,"isPtyMaster":0|1}
 * (go-runc accepts only controllen == CMSG_SPACE(sizeof(int)), one cmsg, one fd).
 * (eofAfter: the next read sees end of file, so it was the only sendmsg).
 * Then it acts as the terminal: stdin goes to the master, the master's output
 * to stdout, until the pty hangs up.
 *   console-receiver PATH */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc != 2) return 2;
  int ls = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un a = {.sun_family = AF_UNIX};
  strncpy(a.sun_path, argv[1], sizeof a.sun_path - 1);
  unlink(argv[1]);
  if (bind(ls, (struct sockaddr *)&a, sizeof a) < 0 || listen(ls, 1) < 0) {
    perror("console-receiver: bind/listen");
    return 1;
  }
  printf("listening\n");
  fflush(stdout);
  int s = accept4(ls, NULL, NULL, SOCK_CLOEXEC);
  if (s < 0) {
    perror("console-receiver: accept");
    return 1;
  }
  char name[8192];
  char ctl[CMSG_SPACE(sizeof(int) * 16) + CMSG_SPACE(sizeof(struct ucred))];
  struct iovec iov = {.iov_base = name, .iov_len = sizeof name - 1};
  struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl};
  ssize_t n = recvmsg(s, &m, MSG_CMSG_CLOEXEC);
  if (n < 0) {
    perror("console-receiver: recvmsg");
    return 1;
  }
  name[n] = 0;
  int cmsgs = 0, rights = 0, other = 0, master = -1;
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
    cmsgs++;
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
      int k = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
      rights += k;
      if (k > 0 && master < 0) memcpy(&master, CMSG_DATA(c), sizeof(int));
    } else {
      other++;
    }
  }
  char extra[16];
  ssize_t more = read(s, extra, sizeof extra);
  unsigned ptn = 0;
  int is_master = master >= 0 && ioctl(master, TIOCGPTN, &ptn) == 0;
  /* names here are short file names without quotes or backslashes */
  printf(
      "{\"bytes\":%zd,\"name\":\"%s\",\"controllen\":%zu,\"oneFdControllen\":%zu,\"cmsgs\":%d,\"rightsFds\":%d,"
      "\"otherCmsgs\":%d,"
      "\"truncated\":%d,\"eofAfter\":%d,\"isPtyMaster\":%d}\n",
      n, name, (size_t)m.msg_controllen, (size_t)CMSG_SPACE(sizeof(int)), cmsgs, rights, other,
      (m.msg_flags & MSG_CTRUNC) ? 1 : 0, more == 0, is_master);
  fflush(stdout);
  close(s);
  if (!is_master) return 1;
  struct pollfd p[2] = {{.fd = 0, .events = POLLIN}, {.fd = master, .events = POLLIN}};
  char buf[4096];
  for (;;) {
    if (poll(p, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return 1;
    }
    if (p[1].revents) {
      ssize_t r = read(master, buf, sizeof buf);
      if (r <= 0) return 0; /* EIO: the container side hung up */
      if (write(1, buf, (size_t)r) < 0) return 1;
    }
    if (p[0].revents) {
      ssize_t r = read(0, buf, sizeof buf);
      if (r <= 0) p[0].fd = -1;
      else if (write(master, buf, (size_t)r) < 0) return 1;
    }
  }
}
