/* The differential probe: run as the container process (by runc and by
 * tsrun, with the same config), it prints one JSON object describing what
 * the process sees. Raw facts only; normalisation (ids, pids, inode numbers,
 * the caller's namespaces) is the harness's job (test/differential/).
 * Built statically so it runs in a rootfs that holds nothing else.
 *
 *   probe [--masked P]... [--readonly P]... [--sysctl KEY]... [--exit N]
 *   probe --hook NAME LOG [--sleep MS]   (a hook: appends one JSON line to LOG)
 *   probe --host                         (the caller's view: namespaces, keyring)
 *
 * The container run writes its JSON to stdout between two marker lines, so the
 * harness tells "the probe ran" from "the runtime refused" and from output the
 * runtime itself printed. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/keyctl.h>
#include <linux/openat2.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define MAX_LIST 64

/* ---- JSON output into one buffer, written at the end with one write(2) loop ---- */
static char *out;
static size_t out_len, out_cap;

static void put_n(const char *s, size_t n) {
  if (out_len + n + 1 > out_cap) {
    size_t cap = out_cap ? out_cap : 65536;
    while (out_len + n + 1 > cap) cap *= 2;
    char *p = realloc(out, cap);
    if (!p) _exit(97);
    out = p;
    out_cap = cap;
  }
  memcpy(out + out_len, s, n);
  out_len += n;
}
static void put(const char *s) { put_n(s, strlen(s)); }
static void putf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void putf(const char *fmt, ...) {
  char tmp[512];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  if (n > 0) put_n(tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}
static void put_str(const char *s) {
  put("\"");
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (*p == '"' || *p == '\\') {
      char e[2] = {'\\', (char)*p};
      put_n(e, 2);
    } else if (*p < 0x20 || *p >= 0x7f) {
      putf("\\u%04x", *p);
    } else {
      put_n((const char *)p, 1);
    }
  }
  put("\"");
}
static void put_key(const char *k) {
  put_str(k);
  put(":");
}
static void put_errno(int e) {
  const char *n = strerrorname_np(e);
  put_str(n ? n : "E?");
}

static void flush_all(int fd, const char *buf, size_t len) {
  while (len > 0) {
    ssize_t w = write(fd, buf, len);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) _exit(98);
    buf += w;
    len -= (size_t)w;
  }
}

/* read a whole small file; NULL (errno set) on failure */
static char *slurp(const char *path, size_t *len) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return NULL;
  size_t cap = 4096, n = 0;
  char *buf = malloc(cap + 1);
  for (;;) {
    if (n == cap) {
      cap *= 2;
      buf = realloc(buf, cap + 1);
    }
    ssize_t r = read(fd, buf + n, cap - n);
    if (r < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      free(buf);
      close(fd);
      errno = e;
      return NULL;
    }
    if (r == 0) break;
    n += (size_t)r;
  }
  close(fd);
  buf[n] = 0;
  if (len) *len = n;
  return buf;
}

/* the value of "Key:\t..." in /proc/self/status, trimmed */
static const char *status_field(const char *status, const char *key, char *val, size_t cap) {
  if (!status) return NULL;
  size_t kl = strlen(key);
  for (const char *l = status; *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : l + strlen(l)) {
    if (strncmp(l, key, kl) == 0 && l[kl] == ':') {
      const char *v = l + kl + 1;
      while (*v == ' ' || *v == '\t') v++;
      size_t n = strcspn(v, "\n");
      if (n >= cap) n = cap - 1;
      memcpy(val, v, n);
      val[n] = 0;
      return val;
    }
  }
  return NULL;
}

static void put_status(const char *status, const char *key, const char *json_key) {
  char v[256];
  put_key(json_key);
  if (status_field(status, key, v, sizeof v)) put_str(v);
  else put("null");
}

/* ---- sections ---- */

static void section_ids(void) {
  uid_t r, e, s;
  gid_t gr, ge, gs;
  getresuid(&r, &e, &s);
  getresgid(&gr, &ge, &gs);
  put_key("uid");
  putf("[%u,%u,%u,%d]", r, e, s, setfsuid(-1));
  put(",");
  put_key("gid");
  putf("[%u,%u,%u,%d]", gr, ge, gs, setfsgid(-1));
  put(",");
  gid_t groups[256];
  int n = getgroups(256, groups);
  put_key("groups");
  put("[");
  for (int i = 0; i < n; i++) putf("%s%u", i ? "," : "", groups[i]);
  put("]");
}

static void section_status(const char *status) {
  put_key("caps");
  put("{");
  put_status(status, "CapInh", "inheritable");
  put(",");
  put_status(status, "CapPrm", "permitted");
  put(",");
  put_status(status, "CapEff", "effective");
  put(",");
  put_status(status, "CapBnd", "bounding");
  put(",");
  put_status(status, "CapAmb", "ambient");
  put("},");
  put_status(status, "NoNewPrivs", "noNewPrivs");
  put(",");
  put_status(status, "Seccomp", "seccomp");
  put(",");
  put_status(status, "Seccomp_filters", "seccompFilters");
  put(",");
  put_status(status, "Umask", "umaskStatus");
  put(",");
  /* the prctl view too: status needs /proc */
  putf("\"nnpPrctl\":%d,\"seccompPrctl\":%d,\"dumpable\":%d", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0),
       prctl(PR_GET_SECCOMP, 0, 0, 0, 0), prctl(PR_GET_DUMPABLE, 0, 0, 0, 0));
}

static const struct {
  int res;
  const char *name;
} RLIMITS[] = {
    {RLIMIT_AS, "RLIMIT_AS"},           {RLIMIT_CORE, "RLIMIT_CORE"},         {RLIMIT_CPU, "RLIMIT_CPU"},
    {RLIMIT_DATA, "RLIMIT_DATA"},       {RLIMIT_FSIZE, "RLIMIT_FSIZE"},       {RLIMIT_LOCKS, "RLIMIT_LOCKS"},
    {RLIMIT_MEMLOCK, "RLIMIT_MEMLOCK"}, {RLIMIT_MSGQUEUE, "RLIMIT_MSGQUEUE"}, {RLIMIT_NICE, "RLIMIT_NICE"},
    {RLIMIT_NOFILE, "RLIMIT_NOFILE"},   {RLIMIT_NPROC, "RLIMIT_NPROC"},       {RLIMIT_RSS, "RLIMIT_RSS"},
    {RLIMIT_RTPRIO, "RLIMIT_RTPRIO"},   {RLIMIT_RTTIME, "RLIMIT_RTTIME"},     {RLIMIT_SIGPENDING, "RLIMIT_SIGPENDING"},
    {RLIMIT_STACK, "RLIMIT_STACK"},
};

static void put_lim(rlim_t v) {
  if (v == RLIM_INFINITY) put("\"unlimited\"");
  else putf("\"%llu\"", (unsigned long long)v);
}

static void section_rlimits(void) {
  put_key("rlimits");
  put("{");
  for (size_t i = 0; i < sizeof RLIMITS / sizeof RLIMITS[0]; i++) {
    struct rlimit rl;
    if (i) put(",");
    put_key(RLIMITS[i].name);
    if (getrlimit(RLIMITS[i].res, &rl) < 0) {
      put_errno(errno);
      continue;
    }
    put("[");
    put_lim(rl.rlim_cur);
    put(",");
    put_lim(rl.rlim_max);
    put("]");
  }
  put("}");
}

static void section_process(void) {
  mode_t m = umask(0);
  umask(m);
  putf("\"umask\":\"%04o\",", m);
  char cwd[4096];
  put_key("cwd");
  if (getcwd(cwd, sizeof cwd)) put_str(cwd);
  else put_errno(errno);
  put(",");
  put_key("env");
  put("[");
  for (char **e = environ; *e; e++) {
    if (e != environ) put(",");
    put_str(*e);
  }
  put("],");
  struct utsname u;
  uname(&u);
  put_key("hostname");
  put_str(u.nodename);
  put(",");
  put_key("domainname");
  put_str(u.domainname);
  put(",");
  putf("\"pid\":%d,\"ppid\":%d,", getpid(), getppid());
  int pgid = getpgid(0), sid = getsid(0);
  putf("\"pgidIsPid\":%s,\"sidIsPid\":%s,", pgid == getpid() ? "true" : "false", sid == getpid() ? "true" : "false");
  put_key("oomScoreAdj");
  char *o = slurp("/proc/self/oom_score_adj", NULL);
  if (o) {
    o[strcspn(o, "\n")] = 0;
    put_str(o);
    free(o);
  } else {
    put_errno(errno);
  }
  put(",");
  put_key("personality");
  putf("%ld", syscall(SYS_personality, 0xffffffffUL));
  put(",");
  int sched = sched_getscheduler(0);
  putf("\"scheduler\":%d,\"nice\":%d", sched, getpriority(PRIO_PROCESS, 0));
}

static void section_namespaces(void) {
  static const char *const ns[] = {
      "cgroup", "ipc", "mnt", "net", "pid", "pid_for_children", "time", "time_for_children", "user", "uts"};
  put_key("ns");
  put("{");
  for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++) {
    char path[64], target[128];
    snprintf(path, sizeof path, "/proc/self/ns/%s", ns[i]);
    ssize_t n = readlink(path, target, sizeof target - 1);
    if (i) put(",");
    put_key(ns[i]);
    if (n < 0) {
      put_errno(errno);
      continue;
    }
    target[n] = 0;
    put_str(target);
  }
  put("}");
}

/* mountinfo, one object per line: mount point, fstype, source, root inside
 * its fs, per-mount options, superblock options, propagation fields */
static void section_mounts(void) {
  put_key("mounts");
  char *mi = slurp("/proc/self/mountinfo", NULL);
  if (!mi) {
    put_errno(errno);
    return;
  }
  put("[");
  bool first = true;
  for (char *line = strtok(mi, "\n"); line; line = strtok(NULL, "\n")) {
    char *f[64];
    int nf = 0;
    for (char *s = line, *tok; nf < 64 && (tok = strsep(&s, " ")) != NULL;) f[nf++] = tok;
    int sep = -1;
    for (int i = 6; i < nf; i++)
      if (strcmp(f[i], "-") == 0) {
        sep = i;
        break;
      }
    if (sep < 0 || sep + 3 >= nf + 1) continue;
    if (!first) put(",");
    first = false;
    put("{");
    put_key("target");
    put_str(f[4]);
    put(",");
    put_key("root");
    put_str(f[3]);
    put(",");
    put_key("opts");
    put_str(f[5]);
    put(",");
    put_key("optional");
    put("[");
    for (int i = 6; i < sep; i++) {
      if (i > 6) put(",");
      put_str(f[i]);
    }
    put("],");
    put_key("fstype");
    put_str(sep + 1 < nf ? f[sep + 1] : "");
    put(",");
    put_key("source");
    put_str(sep + 2 < nf ? f[sep + 2] : "");
    put(",");
    put_key("super");
    put_str(sep + 3 < nf ? f[sep + 3] : "");
    put("}");
  }
  put("]");
  free(mi);
}

static char type_char(mode_t m) {
  if (S_ISDIR(m)) return 'd';
  if (S_ISCHR(m)) return 'c';
  if (S_ISBLK(m)) return 'b';
  if (S_ISLNK(m)) return 'l';
  if (S_ISFIFO(m)) return 'p';
  if (S_ISSOCK(m)) return 's';
  return 'f';
}

static bool first_dev;

static void walk_dev(const char *dir, int depth) {
  DIR *d = opendir(dir);
  if (!d) return;
  struct dirent *e;
  char *names[512];
  int n = 0;
  while ((e = readdir(d)) && n < 512) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    names[n++] = strdup(e->d_name);
  }
  closedir(d);
  /* sorted: readdir order is the filesystem's */
  for (int i = 1; i < n; i++)
    for (int j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
      char *t = names[j];
      names[j] = names[j - 1];
      names[j - 1] = t;
    }
  for (int i = 0; i < n; i++) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, names[i]);
    struct stat st;
    if (lstat(path, &st) < 0) continue;
    if (!first_dev) put(",");
    first_dev = false;
    put("{");
    put_key("path");
    put_str(path);
    putf(",\"type\":\"%c\",\"mode\":\"%04o\",\"uid\":%u,\"gid\":%u", type_char(st.st_mode), st.st_mode & 07777,
         st.st_uid, st.st_gid);
    if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
      putf(",\"rdev\":\"%u:%u\"", major(st.st_rdev), minor(st.st_rdev));
      /* what the device cgroup (and the node's mode) let us open */
      int dfd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
      put(",\"open\":");
      if (dfd >= 0) {
        put("\"ok\"");
        close(dfd);
      } else {
        put_errno(errno);
      }
    }
    if (S_ISLNK(st.st_mode)) {
      char t[4096];
      ssize_t l = readlink(path, t, sizeof t - 1);
      if (l >= 0) {
        t[l] = 0;
        put(",");
        put_key("link");
        put_str(t);
      }
    }
    put("}");
    /* /dev's own directories (pts, shm, mqueue), not what is mounted deeper */
    if (S_ISDIR(st.st_mode) && depth < 2 && strcmp(names[i], "pts") != 0) walk_dev(path, depth + 1);
    free(names[i]);
  }
}

static void section_dev(void) {
  put_key("dev");
  put("[");
  first_dev = true;
  walk_dev("/dev", 0);
  put("]");
}

/* what a masked or read-only path looks like from inside */
static void describe_path(const char *p) {
  struct stat st;
  put("{");
  if (lstat(p, &st) < 0) {
    put_key("error");
    put_errno(errno);
    put("}");
    return;
  }
  putf("\"type\":\"%c\",\"mode\":\"%04o\"", type_char(st.st_mode), st.st_mode & 07777);
  if (S_ISCHR(st.st_mode)) putf(",\"rdev\":\"%u:%u\"", major(st.st_rdev), minor(st.st_rdev));
  struct statvfs sv;
  if (statvfs(p, &sv) == 0) putf(",\"ro\":%s", (sv.f_flag & ST_RDONLY) ? "true" : "false");
  if (S_ISDIR(st.st_mode)) {
    DIR *d = opendir(p);
    int n = 0;
    if (d) {
      struct dirent *e;
      while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
      closedir(d);
      putf(",\"entries\":%d", n);
    } else {
      put(",\"open\":");
      put_errno(errno);
    }
  } else if (S_ISREG(st.st_mode) || S_ISCHR(st.st_mode)) {
    int fd = open(p, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
      put(",\"open\":");
      put_errno(errno);
    } else {
      char b[64];
      ssize_t r = read(fd, b, sizeof b);
      putf(",\"readable\":%zd", r < 0 ? (ssize_t)-errno : r > 0 ? (ssize_t)1 : (ssize_t)0);
      close(fd);
    }
  }
  /* can we write it? (O_WRONLY on a masked /dev/null bind succeeds, EROFS on ro) */
  int wfd = open(p, (S_ISDIR(st.st_mode) ? O_RDONLY | O_DIRECTORY : O_WRONLY) | O_CLOEXEC | O_NONBLOCK);
  if (S_ISDIR(st.st_mode)) {
    if (wfd >= 0) {
      int r = mkdirat(wfd, ".probe-write-test", 0700);
      int e = errno;
      if (r == 0) unlinkat(wfd, ".probe-write-test", AT_REMOVEDIR);
      put(",\"write\":");
      if (r == 0) put("\"ok\"");
      else put_errno(e);
    }
  } else {
    put(",\"write\":");
    if (wfd >= 0) put("\"ok\"");
    else put_errno(errno);
  }
  if (wfd >= 0) close(wfd);
  put("}");
}

static void section_paths(const char *key, char **paths, int n) {
  put_key(key);
  put("{");
  for (int i = 0; i < n; i++) {
    if (i) put(",");
    put_key(paths[i]);
    describe_path(paths[i]);
  }
  put("}");
}

static void section_sysctls(char **keys, int n) {
  put_key("sysctl");
  put("{");
  for (int i = 0; i < n; i++) {
    char path[512];
    snprintf(path, sizeof path, "/proc/sys/%s", keys[i]);
    for (char *c = path + 10; *c; c++)
      if (*c == '.') *c = '/';
    if (i) put(",");
    put_key(keys[i]);
    char *v = slurp(path, NULL);
    if (!v) {
      put_errno(errno);
      continue;
    }
    v[strcspn(v, "\n")] = 0;
    put_str(v);
    free(v);
  }
  put("}");
}

static void section_cgroup(void) {
  put_key("cgroup");
  char *cg = slurp("/proc/self/cgroup", NULL);
  if (!cg) {
    put_errno(errno);
    return;
  }
  put("[");
  bool first = true;
  for (char *line = strtok(cg, "\n"); line; line = strtok(NULL, "\n")) {
    if (!first) put(",");
    first = false;
    put_str(line);
  }
  put("]");
  free(cg);
}

/* the container's own cgroup interface files, where the config's
 * /sys/fs/cgroup mount shows them (v2: the mount plus our path; v1: each
 * controller's mount is our cgroup) */
static const char *const CGROUP_V2_FILES[] = {"cgroup.controllers",
                                              "cgroup.type",
                                              "memory.max",
                                              "memory.low",
                                              "memory.high",
                                              "memory.min",
                                              "memory.swap.max",
                                              "memory.oom.group",
                                              "pids.max",
                                              "cpu.max",
                                              "cpu.weight",
                                              "cpu.idle",
                                              "cpu.max.burst",
                                              "cpuset.cpus",
                                              "cpuset.mems",
                                              "io.weight",
                                              "io.max",
                                              "io.bfq.weight",
                                              "hugetlb.2MB.max",
                                              "hugetlb.1GB.max",
                                              "hugetlb.2MB.rsvd.max",
                                              "rdma.max",
                                              "cgroup.freeze",
                                              "memory.swap.high"};
static const char *const CGROUP_V1_FILES[] = {"memory/memory.limit_in_bytes",
                                              "memory/memory.soft_limit_in_bytes",
                                              "memory/memory.memsw.limit_in_bytes",
                                              "memory/memory.swappiness",
                                              "memory/memory.oom_control",
                                              "memory/memory.use_hierarchy",
                                              "cpu/cpu.shares",
                                              "cpu/cpu.cfs_quota_us",
                                              "cpu/cpu.cfs_period_us",
                                              "cpu/cpu.rt_runtime_us",
                                              "cpu/cpu.rt_period_us",
                                              "cpu/cpu.idle",
                                              "cpuset/cpuset.cpus",
                                              "cpuset/cpuset.mems",
                                              "pids/pids.max",
                                              "blkio/blkio.weight",
                                              "blkio/blkio.leaf_weight",
                                              "blkio/blkio.throttle.read_bps_device",
                                              "blkio/blkio.throttle.write_bps_device",
                                              "blkio/blkio.throttle.read_iops_device",
                                              "blkio/blkio.throttle.write_iops_device",
                                              "devices/devices.list",
                                              "freezer/freezer.state",
                                              "net_cls/net_cls.classid",
                                              "net_prio/net_prio.ifpriomap",
                                              "unified/hugetlb.2MB.max",
                                              "hugetlb/hugetlb.2MB.limit_in_bytes"};

static void put_file_value(bool *first, const char *key, const char *path) {
  char *v = slurp(path, NULL);
  if (!v && errno == ENOENT) return;
  if (!*first) put(",");
  *first = false;
  put_key(key);
  if (!v) {
    put_errno(errno);
    return;
  }
  size_t n = strlen(v);
  while (n > 0 && v[n - 1] == '\n') v[--n] = 0;
  put_str(v);
  free(v);
}

static void section_cgroup_files(void) {
  put_key("cgroupFiles");
  put("{");
  bool first = true;
  struct stat st;
  if (stat("/sys/fs/cgroup/cgroup.controllers", &st) == 0) {
    /* our cgroup (/proc/self/cgroup) is at the mount point plus its path
       below the mount's root (mountinfo): "/" for a whole-tree mount or a
       cgroup namespace, the cgroup itself for a bind of it */
    char *cg = slurp("/proc/self/cgroup", NULL);
    const char *rel = "/";
    if (cg) {
      char *l = strstr(cg, "0::");
      if (l) {
        rel = l + 3;
        l[3 + strcspn(l + 3, "\n")] = 0;
      }
    }
    char root[4096] = "/";
    char *mi = slurp("/proc/self/mountinfo", NULL);
    for (char *line = mi ? strtok(mi, "\n") : NULL; line; line = strtok(NULL, "\n")) {
      char r[4096], target[4096];
      if (sscanf(line, "%*s %*s %*s %4095s %4095s", r, target) == 2 && strcmp(target, "/sys/fs/cgroup") == 0)
        snprintf(root, sizeof root, "%s", r);
    }
    free(mi);
    size_t rl = strcmp(root, "/") == 0 ? 0 : strlen(root);
    if (rl && strncmp(rel, root, rl) == 0) rel += rl;
    for (size_t i = 0; i < sizeof CGROUP_V2_FILES / sizeof CGROUP_V2_FILES[0]; i++) {
      char path[4096];
      snprintf(path, sizeof path, "/sys/fs/cgroup%s/%s", (rel[0] == 0 || strcmp(rel, "/") == 0) ? "" : rel,
               CGROUP_V2_FILES[i]);
      put_file_value(&first, CGROUP_V2_FILES[i], path);
    }
    free(cg);
  } else {
    for (size_t i = 0; i < sizeof CGROUP_V1_FILES / sizeof CGROUP_V1_FILES[0]; i++) {
      char path[4096];
      snprintf(path, sizeof path, "/sys/fs/cgroup/%s", CGROUP_V1_FILES[i]);
      put_file_value(&first, CGROUP_V1_FILES[i], path);
    }
  }
  put("}");
}

static void section_keyring(void) {
  put_key("keyring");
  long id = syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0);
  if (id < 0) {
    put("{\"error\":");
    put_errno(errno);
    put("}");
    return;
  }
  char desc[512];
  long n = syscall(SYS_keyctl, KEYCTL_DESCRIBE, id, desc, sizeof desc - 1);
  putf("{\"serial\":%ld,\"describe\":", id);
  if (n < 0) {
    put_errno(errno);
  } else {
    desc[n < (long)sizeof desc ? n : (long)sizeof desc - 1] = 0;
    put_str(desc);
  }
  put("}");
}

/* open fds, with what they are (the harness normalises inode numbers) */
static void section_fds(void) {
  put_key("fds");
  put("[");
  bool first = true;
  for (int fd = 0; fd < 1024; fd++) {
    int fl = fcntl(fd, F_GETFD);
    if (fl < 0) continue;
    char path[64], target[4096];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(path, target, sizeof target - 1);
    if (n >= 0) target[n] = 0;
    else snprintf(target, sizeof target, "?%s", strerrorname_np(errno));
    int acc = fcntl(fd, F_GETFL);
    if (!first) put(",");
    first = false;
    putf("{\"fd\":%d,\"cloexec\":%s,\"acc\":%d,\"target\":", fd, (fl & FD_CLOEXEC) ? "true" : "false",
         acc >= 0 ? (acc & O_ACCMODE) : -1);
    put_str(target);
    put("}");
  }
  put("]");
}

/* What the seccomp filter does to a few syscalls of different generations.
 * Every call is harmless whether it is allowed or not. */
/* one line per call, written at once: a filter that kills the probe on a
 * call leaves the lines before it */
static void put_call(bool *first, const char *name, long r, int e) {
  (void)first;
  char line[128];
  const char *en = r >= 0 ? "ok" : strerrorname_np(e);
  int n = snprintf(line, sizeof line, "@@sys %s %s\n", name, en ? en : "E?");
  flush_all(1, line, (size_t)n);
}
#define CALL(name, expr)               \
  do {                                 \
    errno = 0;                         \
    long _r = (long)(expr);            \
    put_call(&first, name, _r, errno); \
  } while (0)

static void section_syscalls(void) {
  bool first = true;
  CALL("getppid", syscall(SYS_getppid));
  CALL("faccessat", syscall(SYS_faccessat, AT_FDCWD, "/", F_OK));
  CALL("faccessat2", syscall(SYS_faccessat2, AT_FDCWD, "/", F_OK, 0));
  struct open_how how = {.flags = O_PATH | O_CLOEXEC};
  long fd = syscall(SYS_openat2, AT_FDCWD, "/", &how, sizeof how);
  int e = errno;
  if (fd >= 0) close((int)fd);
  put_call(&first, "openat2", fd, e);
  /* clone3 with a size the kernel refuses: EINVAL when it is let through */
  CALL("clone3", syscall(SYS_clone3, NULL, 0));
  CALL("close_range", syscall(SYS_close_range, 1000000, 1000001, 0));
  CALL("personality_query", syscall(SYS_personality, 0xffffffffUL));
  CALL("unshare_none", syscall(SYS_unshare, 0));
  CALL("setns_badfd", syscall(SYS_setns, -1, 0));
  CALL("keyctl_get", syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0));
  long s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, 9 /* NETLINK_AUDIT */);
  e = errno;
  if (s >= 0) close((int)s);
  put_call(&first, "socket_netlink_audit", s, e);
  s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  e = errno;
  if (s >= 0) close((int)s);
  put_call(&first, "socket_unix", s, e);
  CALL("mount_bad", syscall(SYS_mount, NULL, NULL, NULL, 0, NULL));
  CALL("ptrace_bad", syscall(SYS_ptrace, -1, 0, 0, 0));
  CALL("bpf_bad", syscall(SYS_bpf, -1, NULL, 0));
  CALL("io_uring_setup_bad", syscall(SYS_io_uring_setup, 0, NULL));
  CALL("pidfd_open_self", ({
         long p = syscall(SYS_pidfd_open, getpid(), 0);
         int pe = errno;
         if (p >= 0) close((int)p);
         errno = pe;
         p;
       }));
  CALL("fchmodat2_bad", syscall(452 /* fchmodat2 */, -1, "", 0, 0));
  CALL("mseal_bad", syscall(462 /* mseal */, 0, 0, ~0UL));
  CALL("nr_1000", syscall(1000));
}

/* ---- hook mode: append one line to LOG ---- */
static int hook_main(const char *name, const char *log, long sleep_ms) {
  size_t n = 0;
  char buf[65536];
  for (;;) {
    ssize_t r = read(0, buf + n, sizeof buf - 1 - n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    n += (size_t)r;
    if (n >= sizeof buf - 1) break;
  }
  buf[n] = 0;
  if (sleep_ms > 0) {
    struct timespec ts = {sleep_ms / 1000, (sleep_ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
    }
  }
  put("{");
  put_key("hook");
  put_str(name);
  put(",");
  put_key("state");
  put_str(buf);
  put(",");
  put_key("env");
  put("[");
  for (char **e = environ; *e; e++) {
    if (e != environ) put(",");
    put_str(*e);
  }
  put("],");
  char cwd[4096];
  put_key("cwd");
  if (getcwd(cwd, sizeof cwd)) put_str(cwd);
  else put_errno(errno);
  putf(",\"uid\":%u,\"gid\":%u,\"seccomp\":%d", geteuid(), getegid(), prctl(PR_GET_SECCOMP, 0, 0, 0, 0));
  put("}\n");
  int fd = open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return 2;
  flush_all(fd, out, out_len);
  close(fd);
  return 0;
}

int main(int argc, char **argv) {
  char *masked[MAX_LIST], *readonly[MAX_LIST], *sysctls[MAX_LIST];
  int n_masked = 0, n_readonly = 0, n_sysctl = 0, exit_code = 0;
  bool host = false;
  const char *hook = NULL, *hook_log = NULL;
  long sleep_ms = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(a, "--host") == 0) host = true;
    else if (strcmp(a, "--masked") == 0 && v && n_masked < MAX_LIST) masked[n_masked++] = argv[++i];
    else if (strcmp(a, "--readonly") == 0 && v && n_readonly < MAX_LIST) readonly[n_readonly++] = argv[++i];
    else if (strcmp(a, "--sysctl") == 0 && v && n_sysctl < MAX_LIST) sysctls[n_sysctl++] = argv[++i];
    else if (strcmp(a, "--exit") == 0 && v) exit_code = atoi(argv[++i]);
    else if (strcmp(a, "--sleep") == 0 && v) sleep_ms = atol(argv[++i]);
    else if (strcmp(a, "--hook") == 0 && v && i + 2 < argc) {
      hook = argv[++i];
      hook_log = argv[++i];
    }
  }
  if (hook) return hook_main(hook, hook_log, sleep_ms);

  /* fds first: anything opened below would show up */
  put("{");
  section_fds();
  put(",");
  section_ids();
  put(",");
  char *status = slurp("/proc/self/status", NULL);
  section_status(status);
  free(status);
  put(",");
  section_namespaces();
  put(",");
  section_keyring();
  if (!host) {
    put(",");
    section_rlimits();
    put(",");
    section_process();
    put(",");
    section_mounts();
    put(",");
    section_dev();
    put(",");
    section_paths("masked", masked, n_masked);
    put(",");
    section_paths("readonly", readonly, n_readonly);
    put(",");
    section_sysctls(sysctls, n_sysctl);
    put(",");
    section_cgroup();
    put(",");
    section_cgroup_files();
  }
  put("}\n");
  static const char begin[] = "\n@@probe-begin@@\n", end[] = "@@probe-end@@\n";
  flush_all(1, begin, sizeof begin - 1);
  flush_all(1, out, out_len);
  flush_all(1, end, sizeof end - 1);
  if (!host) section_syscalls();
  return exit_code;
}
