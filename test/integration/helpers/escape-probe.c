/* In-container attacker for the escape and seccomp tests. Built static, so
 * it runs in a busybox rootfs. Every line it prints is for the test to judge.
 *
 *   escape-probe syscall NR [ARG...] [+ NR [ARG...]]...
 *       raw syscall(NR, ARG...) with exact 64-bit arguments (decimal or 0x),
 *       one call per "+"-separated group; prints "ok <ret>" or
 *       "err <ERRNO name>" per call.
 *   escape-probe watch MS ALLOWED [STOPFILE]
 *       until STOPFILE exists (checked after every scan), or for at most MS
 *       milliseconds, scan /proc for processes other than itself and
 *       try what CVE-2019-5736 needs: open /proc/<pid>/exe (O_PATH and
 *       O_WRONLY), /proc/<pid>/mem (O_RDWR), list /proc/<pid>/map_files and
 *       /proc/<pid>/fd, readlink /proc/<pid>/cwd and root. ALLOWED is a
 *       comma-separated list of "dev:ino" of the executables that belong to
 *       the container (reaching those is fine). Prints, once per pid:
 *         "denied <pid> <errno name>"  the exe was out of reach
 *         "reached <pid> <what> <detail>" something of a non-container
 *                                       executable was opened (an escape)
 *       and at the end "done <pids seen> <attempts>". Writes "ready\n" to
 *       stderr once the first scan is over.
 *   escape-probe swap A B MS
 *       exchange paths A and B (renameat2 RENAME_EXCHANGE) in a loop for MS
 *       milliseconds, the symlink-exchange race of CVE-2021-30465; prints
 *       "swapped <count>". */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static const char *ename(int e) {
  const char *n = strerrorname_np(e);
  return n ? n : "E?";
}

static int do_syscall(int argc, char **argv) {
  int i = 0;
  while (i < argc) {
    long nr = strtol(argv[i++], NULL, 0);
    unsigned long long a[6] = {0};
    for (int k = 0; i < argc && strcmp(argv[i], "+") != 0; i++, k++)
      if (k < 6) a[k] = strtoull(argv[i], NULL, 0);
    if (i < argc) i++; /* the "+" */
    long r = syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
    if (r < 0) printf("err %s\n", ename(errno));
    else printf("ok %ld\n", r);
  }
  return 0;
}

#define MAX_ALLOWED 16
#define MAX_PIDS 4096
static struct {
  dev_t dev;
  ino_t ino;
} allowed[MAX_ALLOWED];
static int n_allowed;
static int reported[MAX_PIDS]; /* bit 0: denied printed, bits 1..: reached (per WHATS) */

static int is_allowed(const struct stat *st) {
  for (int i = 0; i < n_allowed; i++)
    if (allowed[i].dev == st->st_dev && allowed[i].ino == st->st_ino) return 1;
  return 0;
}

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static const char *const WHATS[] = {"exe", "exe-write", "mem", "map_files", "fd", "cwd", "root", NULL};

/* print once per pid and kind */
static void reach(int pid, const char *what, const char *detail) {
  int bit = 1;
  for (int i = 0; WHATS[i]; i++)
    if (strcmp(WHATS[i], what) == 0) bit = 2 << i;
  if (pid < MAX_PIDS && (reported[pid] & bit)) return;
  if (pid < MAX_PIDS) reported[pid] |= bit;
  printf("reached %d %s %s\n", pid, what, detail);
  fflush(stdout);
}

/* Reaches seen while the exe was denied: only real if the process is still
 * the same (non-dumpable) one afterwards, not a container program it has
 * exec'd into meanwhile. */
#define MAX_PENDING 8
static struct {
  const char *what;
  char detail[256];
} pending[MAX_PENDING];
static int n_pending;

static void suspect(const char *what, const char *detail) {
  if (n_pending >= MAX_PENDING) return;
  pending[n_pending].what = what;
  snprintf(pending[n_pending].detail, sizeof pending[n_pending].detail, "%s", detail);
  n_pending++;
}

static void confirm(int pid) {
  char p[64];
  snprintf(p, sizeof p, "/proc/%d/exe", pid);
  int exe = open(p, O_PATH | O_CLOEXEC);
  int e = errno;
  struct stat st;
  /* still refused: it is still the non-dumpable process we got into. Else it
     has exec'd a container program (exe reachable) or already exited
     (ENOENT), and what we saw may have been the program: not counted */
  int still_protected = exe < 0 && (e == EACCES || e == EPERM);
  if (exe >= 0 && fstat(exe, &st) == 0 && !is_allowed(&st)) still_protected = 1;
  if (exe >= 0) close(exe);
  if (still_protected)
    for (int i = 0; i < n_pending; i++) reach(pid, pending[i].what, pending[i].detail);
  n_pending = 0;
}

/* One round against one pid. */
static void attack(int pid, long *attempts) {
  char p[64], link[4096];
  (*attempts)++;
  snprintf(p, sizeof p, "/proc/%d/exe", pid);
  int exe = open(p, O_PATH | O_CLOEXEC);
  if (exe < 0) {
    int e = errno;
    if (e == ENOENT) return; /* gone */
    if (pid < MAX_PIDS && !(reported[pid] & 1)) {
      printf("denied %d %s\n", pid, ename(e));
      fflush(stdout);
      reported[pid] |= 1;
    }
    /* while the exe is out of reach, nothing else of it may be reachable */
    snprintf(p, sizeof p, "/proc/%d/mem", pid);
    int fd = open(p, O_RDWR | O_CLOEXEC);
    if (fd >= 0) {
      suspect("mem", "opened while exe was denied");
      close(fd);
    }
    snprintf(p, sizeof p, "/proc/%d/cwd", pid);
    ssize_t n = readlink(p, link, sizeof link - 1);
    if (n >= 0) {
      link[n] = 0;
      suspect("cwd", link);
    }
    snprintf(p, sizeof p, "/proc/%d/root", pid);
    n = readlink(p, link, sizeof link - 1);
    if (n >= 0) {
      link[n] = 0;
      suspect("root", link);
    }
    /* root may list the fd numbers (the directory is root's), but
       following one needs ptrace access */
    snprintf(p, sizeof p, "/proc/%d/fd", pid);
    DIR *d = opendir(p);
    if (d) {
      struct dirent *de;
      while ((de = readdir(d))) {
        if (de->d_name[0] == '.') continue;
        char fdp[300];
        snprintf(fdp, sizeof fdp, "/proc/%d/fd/%s", pid, de->d_name);
        n = readlink(fdp, link, sizeof link - 1);
        if (n >= 0) {
          link[n] = 0;
          suspect("fd", link);
        }
        int f = open(fdp, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
        if (f >= 0) {
          suspect("fd", "opened");
          close(f);
        }
      }
      closedir(d);
    }
    snprintf(p, sizeof p, "/proc/%d/map_files", pid);
    d = opendir(p);
    if (d) {
      struct dirent *de;
      while ((de = readdir(d)))
        if (de->d_name[0] != '.') {
          suspect("map_files", de->d_name);
          break;
        }
      closedir(d);
    }
    confirm(pid);
    return;
  }
  struct stat st;
  if (fstat(exe, &st) == 0 && !is_allowed(&st)) {
    ssize_t n = readlink(p, link, sizeof link - 1);
    link[n < 0 ? 0 : n] = 0;
    reach(pid, "exe", link);
    char self[64];
    snprintf(self, sizeof self, "/proc/self/fd/%d", exe);
    int w = open(self, O_WRONLY | O_CLOEXEC);
    if (w >= 0) {
      reach(pid, "exe-write", link);
      close(w);
    }
    snprintf(p, sizeof p, "/proc/%d/mem", pid);
    int m = open(p, O_RDWR | O_CLOEXEC);
    if (m >= 0) {
      reach(pid, "mem", link);
      close(m);
    }
    snprintf(p, sizeof p, "/proc/%d/map_files", pid);
    DIR *d = opendir(p);
    if (d) {
      struct dirent *de;
      while ((de = readdir(d)))
        if (de->d_name[0] != '.') {
          reach(pid, "map_files", de->d_name);
          break;
        }
      closedir(d);
    }
  }
  close(exe);
  /* the direct form of the attack: open for writing by path */
  snprintf(p, sizeof p, "/proc/%d/exe", pid);
  int w = open(p, O_WRONLY | O_CLOEXEC);
  if (w >= 0) {
    if (fstat(w, &st) == 0 && !is_allowed(&st)) reach(pid, "exe-write", "by path");
    close(w);
  }
}

static int do_watch(int argc, char **argv) {
  if (argc < 2) return 2;
  double until = now_ms() + atof(argv[0]);
  const char *stop = argc >= 3 ? argv[2] : NULL;
  for (char *s = strtok(argv[1], ","); s && n_allowed < MAX_ALLOWED; s = strtok(NULL, ",")) {
    unsigned long long dev, ino;
    if (sscanf(s, "%llu:%llu", &dev, &ino) == 2) {
      allowed[n_allowed].dev = (dev_t)dev;
      allowed[n_allowed].ino = (ino_t)ino;
      n_allowed++;
    }
  }
  int self = getpid();
  long attempts = 0;
  int seen = 0, first = 1;
  static unsigned char seen_pid[MAX_PIDS];
  while (now_ms() < until) {
    DIR *d = opendir("/proc");
    if (!d) {
      perror("opendir /proc");
      return 3;
    }
    struct dirent *de;
    while ((de = readdir(d))) {
      int pid = atoi(de->d_name);
      if (pid <= 0 || pid == self) continue;
      if (pid < MAX_PIDS && !seen_pid[pid]) {
        seen_pid[pid] = 1;
        seen++;
      }
      attack(pid, &attempts);
    }
    closedir(d);
    if (first) {
      first = 0;
      fprintf(stderr, "ready\n");
    }
    if (stop && access(stop, F_OK) == 0) break;
  }
  printf("done %d %ld\n", seen, attempts);
  return 0;
}

static int do_swap(int argc, char **argv) {
  if (argc < 3) return 2;
  double until = now_ms() + atof(argv[2]);
  long n = 0;
  while (now_ms() < until) {
    if (syscall(SYS_renameat2, AT_FDCWD, argv[0], AT_FDCWD, argv[1], 2 /* RENAME_EXCHANGE */) < 0) {
      printf("err %s\n", ename(errno));
      return 1;
    }
    n++;
  }
  printf("swapped %ld\n", n);
  return 0;
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc >= 3 && strcmp(argv[1], "syscall") == 0) return do_syscall(argc - 2, argv + 2);
  if (argc >= 3 && strcmp(argv[1], "watch") == 0) return do_watch(argc - 2, argv + 2);
  if (argc >= 5 && strcmp(argv[1], "swap") == 0) return do_swap(argc - 2, argv + 2);
  fprintf(stderr, "usage: escape-probe syscall NR [ARG...] | watch MS ALLOWED [STOPFILE] | swap A B MS\n");
  return 2;
}
