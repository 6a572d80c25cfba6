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
 * usage: tsrun-monitor MONITOR_FILE EXIT_FILE PID_FILE READY_FD N CREATE_ARGV[N] [ON_EXIT_ARGV...]
 * The ready message is "ok\n", or "create failed: <status>\n". */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

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

int main(int argc, char **argv) {
  if (argc < 7) {
    fprintf(stderr,
            "usage: tsrun-monitor MONITOR_FILE EXIT_FILE PID_FILE READY_FD N CREATE_ARGV[N] [ON_EXIT_ARGV...]\n");
    return 2;
  }
  const char *monitor_file = argv[1], *exit_file = argv[2], *pid_file = argv[3];
  int ready = atoi(argv[4]);
  int n = atoi(argv[5]);
  if (n < 1 || 6 + n > argc) return 2;
  char **create = calloc((size_t)n + 1, sizeof(char *));
  if (!create) return 2;
  for (int i = 0; i < n; i++) create[i] = argv[6 + i];
  char **on_exit = argv + 6 + n; /* NULL-terminated by argv itself */
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
  pid_t child = fork();
  if (child < 0) {
    say(ready, "create failed: fork\n");
    return 1;
  }
  if (child == 0) {
    execv(create[0], create);
    _exit(127);
  }
  int st;
  while (waitpid(child, &st, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
    char msg[64];
    snprintf(msg, sizeof msg, "create failed: %d\n", status_code(st));
    say(ready, msg);
    return 1;
  }
  pid_t init = read_pid(pid_file);
  if (init < 0) {
    say(ready, "create failed: no pid file\n");
    return 1;
  }
  say(ready, "ok\n");
  close(ready);
  int code = 255;
  for (;;) {
    pid_t p = waitpid(-1, &st, 0);
    if (p < 0) {
      if (errno == EINTR) continue;
      break; /* ECHILD: the init was not ours to wait for */
    }
    if (p == init) {
      code = status_code(st);
      break;
    }
  }
  write_exit(exit_file, code);
  if (on_exit[0]) {
    execv(on_exit[0], on_exit);
    return 127;
  }
  return 0;
}
