/* Benchmark helper: run one command and report what it cost, precisely.
 *
 *   measure [--mntns FILE] [--out FILE] -- CMD ARG...
 *     prints "wall_us user_us sys_us maxrss_kb status" on stdout, where the
 *     CPU figures and max RSS come from wait4() on CMD: CMD itself plus every
 *     descendant it reaped (so `run` counts the container init; `create` does
 *     not, since the init outlives it). status is the exit code, or 128+signal.
 *     CMD gets /dev/null as stdin and FILE (default /dev/null) as stdout and
 *     stderr: a container must never hold the caller's pipe. --mntns: setns()
 *     into that mount namespace first (crun's hybrid-cgroup workaround).
 *
 *   measure --reaper -- CMD ARG...
 *     become a child subreaper, run CMD, reap the orphans that reparent to
 *     us (detached container inits) while CMD runs, exit with CMD's status.
 *     The bench driver runs under it, the way containerd's shim runs its
 *     runtime; anything still alive when CMD exits is left to init.
 *
 * Written for bench/run-true.js; built on demand with the system C compiler.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

static int status_code(int st) {
  if (WIFEXITED(st)) return WEXITSTATUS(st);
  if (WIFSIGNALED(st)) return 128 + WTERMSIG(st);
  return 255;
}

static int run_reaper(char **cmd) {
  if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0) {
    perror("measure: PR_SET_CHILD_SUBREAPER");
    return 125;
  }
  pid_t pid = fork();
  if (pid < 0) {
    perror("measure: fork");
    return 125;
  }
  if (pid == 0) {
    execvp(cmd[0], cmd);
    fprintf(stderr, "measure: exec %s: %s\n", cmd[0], strerror(errno));
    _exit(127);
  }
  for (;;) {
    int st;
    pid_t w = waitpid(-1, &st, 0);
    if (w < 0) {
      if (errno == EINTR) continue;
      return 125;
    }
    if (w == pid) return status_code(st);
  }
}

int main(int argc, char **argv) {
  const char *mntns = NULL;
  const char *out = "/dev/null";
  int reaper = 0;
  int i = 1;
  for (; i < argc; i++) {
    if (strcmp(argv[i], "--") == 0) {
      i++;
      break;
    } else if (strcmp(argv[i], "--reaper") == 0) {
      reaper = 1;
    } else if (strcmp(argv[i], "--mntns") == 0 && i + 1 < argc) {
      mntns = argv[++i];
    } else if (strcmp(argv[i], "--out") == 0 && i + 1 < argc) {
      out = argv[++i];
    } else {
      fprintf(stderr, "measure: unknown option %s\n", argv[i]);
      return 125;
    }
  }
  if (i >= argc) {
    fprintf(stderr, "usage: measure [--reaper | --mntns FILE] [--out FILE] -- CMD ARG...\n");
    return 125;
  }
  char **cmd = argv + i;
  if (reaper) return run_reaper(cmd);

  int nsfd = -1;
  if (mntns && (nsfd = open(mntns, O_RDONLY | O_CLOEXEC)) < 0) {
    fprintf(stderr, "measure: open %s: %s\n", mntns, strerror(errno));
    return 125;
  }
  char cwd[4096];
  if (!getcwd(cwd, sizeof cwd)) cwd[0] = 0;

  long long t0 = now_us();
  pid_t pid = fork();
  if (pid < 0) {
    perror("measure: fork");
    return 125;
  }
  if (pid == 0) {
    if (nsfd >= 0) {
      if (setns(nsfd, CLONE_NEWNS) < 0) {
        fprintf(stderr, "measure: setns %s: %s\n", mntns, strerror(errno));
        _exit(126);
      }
      /* setns(mnt) moves the cwd to the namespace's root */
      if (cwd[0] && chdir(cwd) < 0) _exit(126);
    }
    int in = open("/dev/null", O_RDONLY);
    int o = open(out, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (in < 0 || o < 0) _exit(126);
    dup2(in, 0);
    dup2(o, 1);
    dup2(o, 2);
    if (in > 2) close(in);
    if (o > 2) close(o);
    execvp(cmd[0], cmd);
    dprintf(2, "measure: exec %s: %s\n", cmd[0], strerror(errno));
    _exit(127);
  }
  int st;
  struct rusage ru;
  while (wait4(pid, &st, 0, &ru) < 0) {
    if (errno != EINTR) {
      perror("measure: wait4");
      return 125;
    }
  }
  long long wall = now_us() - t0;
  long long user = (long long)ru.ru_utime.tv_sec * 1000000LL + ru.ru_utime.tv_usec;
  long long sys = (long long)ru.ru_stime.tv_sec * 1000000LL + ru.ru_stime.tv_usec;
  printf("%lld %lld %lld %ld %d\n", wall, user, sys, ru.ru_maxrss, status_code(st));
  return 0;
}
