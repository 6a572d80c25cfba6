/* tsrun-monitor: the parent of a detached container's init, like conmon, so
 * that no Node process stays alive while the container runs. It becomes a
 * child subreaper, runs `tsrun create` (whose init is then reparented to it),
 * tells the caller on READY_FD whether the create worked, waits for the init,
 * records its exit status in EXIT_FILE (atomically: a temporary file renamed)
 * and finally execs ON_EXIT (e.g. `tsrun container rm` for --rm), if any.
 * Before anything else it records itself in MONITOR_FILE ({"pid","startTime"},
 * start time in clock ticks as /proc/<pid>/stat has it): `tsrun container rm`
 * and `start` stop a monitor, guarded against pid reuse, so that its late exit
 * record or ON_EXIT never lands on a container removed or made anew.
 *
 * The container's output: with --log FILE, its stdout and stderr are two
 * pipes that the monitor copies into FILE as Docker's json-file records
 * (json_log.c), so `container logs` gives them back apart and in order. With
 * --console-socket PATH (the container has a terminal, `run -dt`), the monitor
 * listens there for the pty master that `tsrun create --console-socket PATH`
 * sends, keeps it open and copies what the container writes to it into FILE
 * as stdout. --stdin-open: the container's stdin is a pipe the monitor holds
 * open and never writes (`-i` with nobody attached, as Docker).
 *
 * usage: tsrun-monitor [--log FILE] [--console-socket PATH] [--stdin-open]
 *          MONITOR_FILE EXIT_FILE PID_FILE READY_FD N CREATE_ARGV[N] [ON_EXIT_ARGV...]
 * The ready message is "ok\n", or "create failed: <status or reason>\n". */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "json_log.h"

static void say(int fd, const char *msg) {
  if (fd < 0) return;
  ssize_t r = write(fd, msg, strlen(msg));
  (void)r;
}

static pid_t read_pid(const char *file) {
  char buf[32] = {0};
  int fd = open(file, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return -1;
  long v = strtol(buf, NULL, 10);
  return v > 0 ? (pid_t)v : -1;
}

/* Field 22 of /proc/self/stat (after the command name, which may hold spaces and parentheses). */
static unsigned long long own_start_time(void) {
  char buf[1024] = {0};
  int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return 0;
  char *p = strrchr(buf, ')');
  if (!p) return 0;
  /* p + 2 is field 3 (state); skip 19 more fields to reach field 22 */
  p += 2;
  for (int field = 3; field < 22; field++) {
    p = strchr(p, ' ');
    if (!p) return 0;
    p++;
  }
  return strtoull(p, NULL, 10);
}

/* Write `text` to `file` through a temporary name, so readers see all of it or nothing. */
static int write_atomic(const char *file, const char *text) {
  char tmp[4096];
  snprintf(tmp, sizeof tmp, "%s.tmp", file);
  FILE *f = fopen(tmp, "we");
  if (!f) return -1;
  fputs(text, f);
  if (fclose(f) != 0) return -1;
  return rename(tmp, file);
}

static int status_code(int st) {
  if (WIFEXITED(st)) return WEXITSTATUS(st);
  if (WIFSIGNALED(st)) return 128 + WTERMSIG(st);
  return 255;
}

static void write_exit(const char *file, int code) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm;
  gmtime_r(&ts.tv_sec, &tm);
  char when[64];
  strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
  char text[256];
  snprintf(text, sizeof text, "{\"code\":%d,\"finishedAt\":\"%s.%03ldZ\"}\n", code, when, ts.tv_nsec / 1000000);
  write_atomic(file, text);
}

/* A listening AF_UNIX socket at path. The path may be longer than sun_path:
 * it is bound by its last component from inside its directory. */
static int listen_unix(const char *path) {
  char *copy_dir = strdup(path), *copy_base = strdup(path);
  int here = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int ok = copy_dir && copy_base && here >= 0 && fd >= 0;
  if (ok) {
    const char *base = basename(copy_base);
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    ok = strlen(base) < sizeof addr.sun_path && chdir(dirname(copy_dir)) == 0;
    if (ok) {
      strcpy(addr.sun_path, base);
      unlink(base);
      ok = bind(fd, (struct sockaddr *)&addr, sizeof addr) == 0 && listen(fd, 1) == 0;
      if (fchdir(here) < 0) ok = 0;
    }
  }
  free(copy_dir);
  free(copy_base);
  if (here >= 0) close(here);
  if (!ok && fd >= 0) {
    close(fd);
    fd = -1;
  }
  return fd;
}

/* The pty master that `tsrun create --console-socket` sent before it exited:
 * its connection is queued already, so nothing waits here. -1 if none came. */
static int receive_console(int listen_fd) {
  int conn = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
  if (conn < 0) return -1;
  char data[4096];
  struct iovec iov = {.iov_base = data, .iov_len = sizeof data};
  union {
    struct cmsghdr h;
    char buf[CMSG_SPACE(sizeof(int))];
  } control;
  struct msghdr msg = {
      .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf, .msg_controllen = sizeof control.buf};
  ssize_t n;
  do n = recvmsg(conn, &msg, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  close(conn);
  struct cmsghdr *c = n > 0 ? CMSG_FIRSTHDR(&msg) : NULL;
  if (!c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS || c->cmsg_len != CMSG_LEN(sizeof(int)))
    return -1;
  int master;
  memcpy(&master, CMSG_DATA(c), sizeof master);
  return master;
}

/* What the monitor copies into the log: the stdout and stderr pipes, or the pty master. */
struct source {
  int fd;
  struct json_log_stream stream;
};

enum { SRC_STDOUT, SRC_STDERR, SRC_TTY, NSRC };

static int log_fd = -1;
static struct source sources[NSRC] = {
    [SRC_STDOUT] = {.fd = -1, .stream = {.name = "stdout"}},
    [SRC_STDERR] = {.fd = -1, .stream = {.name = "stderr"}},
    [SRC_TTY] = {.fd = -1, .stream = {.name = "stdout"}},
};

/* Copy what one source has into the log; closes it at EOF (or EIO: a pty
 * whose other side is gone). Returns whether anything was read. */
static int pump(struct source *s) {
  unsigned char buf[65536];
  ssize_t n = read(s->fd, buf, sizeof buf);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return 0;
  if (n <= 0) {
    json_log_append(log_fd, &s->stream, NULL, 0, 1);
    close(s->fd);
    s->fd = -1;
    return 0;
  }
  json_log_append(log_fd, &s->stream, buf, (size_t)n, 0);
  return 1;
}

/* Read every source until it has nothing more right now. */
static void drain_available(void) {
  for (int i = 0; i < NSRC; i++)
    while (sources[i].fd >= 0 && pump(&sources[i])) {
    }
}

/* After the init's exit: the container's other processes die with it (its pid
 * namespace), closing their ends. Copy until every source is at EOF, or
 * nothing came for a while (a writer outside the namespace keeps one open). */
static void drain_to_end(void) {
  for (;;) {
    struct pollfd p[NSRC];
    int n = 0;
    for (int i = 0; i < NSRC; i++)
      if (sources[i].fd >= 0) p[n++] = (struct pollfd){.fd = sources[i].fd, .events = POLLIN};
    if (n == 0) return;
    int r = poll(p, (nfds_t)n, 2000);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    drain_available();
  }
  for (int i = 0; i < NSRC; i++)
    if (sources[i].fd >= 0) json_log_append(log_fd, &sources[i].stream, NULL, 0, 1);
}

int main(int argc, char **argv) {
  const char *log_file = NULL, *console_socket = NULL;
  int stdin_open = 0;
  int a = 1;
  for (; a < argc && strncmp(argv[a], "--", 2) == 0; a++) {
    if (strcmp(argv[a], "--log") == 0 && a + 1 < argc) {
      log_file = argv[++a];
    } else if (strcmp(argv[a], "--console-socket") == 0 && a + 1 < argc) {
      console_socket = argv[++a];
    } else if (strcmp(argv[a], "--stdin-open") == 0) {
      stdin_open = 1;
    } else {
      break;
    }
  }
  if (argc - a < 6) {
    fprintf(stderr,
            "usage: tsrun-monitor [--log FILE] [--console-socket PATH] [--stdin-open] MONITOR_FILE EXIT_FILE "
            "PID_FILE READY_FD N CREATE_ARGV[N] [ON_EXIT_ARGV...]\n");
    return 2;
  }
  const char *monitor_file = argv[a], *exit_file = argv[a + 1], *pid_file = argv[a + 2];
  int ready = atoi(argv[a + 3]);
  int n = atoi(argv[a + 4]);
  if (n < 1 || a + 5 + n > argc) return 2;
  char **create = calloc((size_t)n + 1, sizeof(char *));
  if (!create) return 2;
  for (int i = 0; i < n; i++) create[i] = argv[a + 5 + i];
  char **on_exit = argv + a + 5 + n; /* NULL-terminated by argv itself */
  fcntl(ready, F_SETFD, FD_CLOEXEC);

  unsigned long long start_time = own_start_time();
  char me[128];
  snprintf(me, sizeof me, "{\"pid\":%d,\"startTime\":%llu}\n", (int)getpid(), start_time);
  if (start_time == 0 || write_atomic(monitor_file, me) < 0) {
    say(ready, "create failed: cannot record the monitor\n");
    return 1;
  }

  if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) {
    say(ready, "create failed: prctl(PR_SET_CHILD_SUBREAPER)\n");
    return 1;
  }
  int out[2] = {-1, -1}, err[2] = {-1, -1}, in[2] = {-1, -1};
  if (log_file) {
    log_fd = open(log_file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (log_fd < 0 || pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0) {
      say(ready, "create failed: cannot open the log\n");
      return 1;
    }
  }
  if (stdin_open && pipe2(in, O_CLOEXEC) < 0) {
    say(ready, "create failed: cannot make the stdin pipe\n");
    return 1;
  }
  int listen_fd = -1;
  if (console_socket && (listen_fd = listen_unix(console_socket)) < 0) {
    say(ready, "create failed: cannot listen on the console socket\n");
    return 1;
  }
  /* SIGCHLD through a signalfd, so one poll waits for output and exits alike */
  sigset_t chld, old;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  sigprocmask(SIG_BLOCK, &chld, &old);
  int sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sfd < 0) {
    say(ready, "create failed: signalfd\n");
    return 1;
  }

  pid_t child = fork();
  if (child < 0) {
    say(ready, "create failed: fork\n");
    return 1;
  }
  if (child == 0) {
    sigprocmask(SIG_SETMASK, &old, NULL);
    if ((in[0] >= 0 && dup2(in[0], 0) < 0) || (out[1] >= 0 && dup2(out[1], 1) < 0) ||
        (err[1] >= 0 && dup2(err[1], 2) < 0))
      _exit(127);
    execv(create[0], create);
    _exit(127);
  }
  /* the write end of stdin stays open, unwritten, until the monitor is done */
  if (in[0] >= 0) close(in[0]);
  if (out[1] >= 0) close(out[1]);
  if (err[1] >= 0) close(err[1]);
  sources[SRC_STDOUT].fd = out[0];
  sources[SRC_STDERR].fd = err[0];
  for (int i = 0; i < NSRC; i++)
    if (sources[i].fd >= 0) fcntl(sources[i].fd, F_SETFL, O_NONBLOCK);

  int created = 0, finished = 0, code = 255;
  pid_t init = -1;
  /* children reaped before the init's pid was known (it can be killed before the create has exited) */
  struct {
    pid_t pid;
    int status;
  } early[32];
  int nearly = 0;
  while (!finished) {
    struct pollfd p[NSRC + 1] = {{.fd = sfd, .events = POLLIN}};
    int np = 1;
    for (int i = 0; i < NSRC; i++)
      if (sources[i].fd >= 0) p[np++] = (struct pollfd){.fd = sources[i].fd, .events = POLLIN};
    if (poll(p, (nfds_t)np, -1) < 0 && errno != EINTR) break;
    drain_available();
    struct signalfd_siginfo si;
    while (read(sfd, &si, sizeof si) == sizeof si) {
    }
    for (;;) {
      int st;
      pid_t w = waitpid(-1, &st, WNOHANG);
      if (w == 0) break;
      if (w < 0) {
        /* no child left: the init was not ours to wait for */
        if (errno == ECHILD && created) finished = 1;
        if (errno != EINTR) break;
        continue;
      }
      if (w == child) {
        /* the create's own messages are in the log before the caller reads it */
        drain_available();
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
          char msg[64];
          snprintf(msg, sizeof msg, "create failed: %d\n", status_code(st));
          say(ready, msg);
          return 1;
        }
        init = read_pid(pid_file);
        if (init < 0) {
          say(ready, "create failed: no pid file\n");
          return 1;
        }
        if (listen_fd >= 0) {
          int master = receive_console(listen_fd);
          close(listen_fd);
          listen_fd = -1;
          unlink(console_socket);
          if (master < 0) {
            say(ready, "create failed: no terminal came on the console socket\n");
            return 1;
          }
          fcntl(master, F_SETFL, O_NONBLOCK);
          sources[SRC_TTY].fd = master;
        }
        created = 1;
        say(ready, "ok\n");
        close(ready);
        ready = -1;
        for (int i = 0; i < nearly; i++) {
          if (early[i].pid == init) {
            code = status_code(early[i].status);
            finished = 1;
          }
        }
      } else if (w == init) {
        code = status_code(st);
        finished = 1;
      } else if (init < 0 && nearly < (int)(sizeof early / sizeof early[0])) {
        early[nearly].pid = w;
        early[nearly].status = st;
        nearly++;
      }
    }
  }
  if (log_fd >= 0) drain_to_end();
  write_exit(exit_file, code);
  if (on_exit[0]) {
    sigprocmask(SIG_SETMASK, &old, NULL);
    execv(on_exit[0], on_exit);
    return 127;
  }
  return 0;
}
