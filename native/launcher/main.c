/* containerd-shim-tsrun-v2: what containerd executes. containerd runs
 *   containerd-shim-tsrun-v2 -namespace NS -address A -publish-binary P -id ID start
 * in the bundle of every new container and connects to the address it
 * prints. One long-lived shim (a Node process) serves a whole group of
 * containers, so this path stays in C: it finds the group's shim and answers
 * with its address without starting Node at all; only when no shim serves the
 * group does it bind the group's socket and start one, handing it the
 * listening socket as fd 3. Every other action (delete, -v) is Node's.
 *
 * Groups: the config.json annotation io.containerd.tsrun.v2.group, else the
 * pod (io.kubernetes.cri.sandbox-id), else the whole namespace. The socket is
 * /run/containerd/tsrun-shim/<sha256(address NUL namespace NUL group)>.sock.
 * A shim counts as serving only once it has answered a ttrpc call (a
 * Connect with an empty id, which also tells an idle shim not to exit yet).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include "annotations.h"
#include "sha256.h"

#define SHIM_DIR "/run/containerd/tsrun-shim"
/* what the shim keeps in a bundle while it holds the container (src/shim/records.ts) */
#define BUNDLE_RECORD "tsrun-shim.json"
#define HANDSHAKE_TIMEOUT_MS 10000
#define CONFIG_MAX (4 << 20)

static const char *const GROUP_ANNOTATIONS[] = {"io.containerd.tsrun.v2.group", "io.kubernetes.cri.sandbox-id"};

extern char **environ;

static void die(const char *what, int err) {
  if (err) fprintf(stderr, "containerd-shim-tsrun-v2: %s: %s\n", what, strerror(err));
  else fprintf(stderr, "containerd-shim-tsrun-v2: %s\n", what);
  exit(1);
}

/* Go's flag syntax: -name value, -name=value, --name; the first other word is the action. */
struct flags {
  const char *namespace, *address, *publish_binary, *id, *bundle;
  bool debug;
  const char *action;
};

static void parse_flags(int argc, char **argv, struct flags *f) {
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (a[0] != '-' || a[1] == 0) {
      f->action = a;
      return;
    }
    const char *name = a + (a[1] == '-' ? 2 : 1);
    const char *eq = strchr(name, '=');
    size_t n = eq ? (size_t)(eq - name) : strlen(name);
    const char **slot = NULL;
    if (n == 9 && !strncmp(name, "namespace", n)) slot = &f->namespace;
    else if (n == 7 && !strncmp(name, "address", n)) slot = &f->address;
    else if (n == 14 && !strncmp(name, "publish-binary", n)) slot = &f->publish_binary;
    else if (n == 2 && !strncmp(name, "id", n)) slot = &f->id;
    else if (n == 6 && !strncmp(name, "bundle", n)) slot = &f->bundle;
    else if (n == 5 && !strncmp(name, "debug", n)) {
      f->debug = true;
      continue;
    }
    if (!slot) {
      /* flags only Node knows (-v, -socket): Node's to handle */
      f->action = NULL;
      return;
    }
    if (eq) *slot = eq + 1;
    else if (i + 1 < argc) *slot = argv[++i];
  }
}

/* <root> from <root>/native/build/Release/containerd-shim-tsrun-v2 */
static void project_root(char *out, size_t cap) {
  ssize_t n = readlink("/proc/self/exe", out, cap - 1);
  if (n < 0) die("readlink /proc/self/exe", errno);
  out[n] = 0;
  for (int i = 0; i < 4; i++) {
    char *slash = strrchr(out, '/');
    if (!slash || slash == out) die("cannot find the project root from /proc/self/exe", 0);
    *slash = 0;
  }
}

/* Replace this process with the Node shim: same arguments, plus any extra ones. */
static void exec_node(int argc, char **argv, const char *const *extra, int n_extra) {
  char root[PATH_MAX], script[PATH_MAX + 64];
  project_root(root, sizeof root);
  snprintf(script, sizeof script, "%s/dist/src/shim/entry.js", root);
  char **args = calloc((size_t)argc + (size_t)n_extra + 5, sizeof *args);
  int k = 0;
  args[k++] = "node";
  args[k++] = "--disable-warning=ExperimentalWarning";
  /* V8_FLAGS of src/boot/bundle-cache.ts, which says why */
  args[k++] = "--interrupt-budget=4000000";
  args[k++] = script;
  for (int i = 1; i < argc; i++) args[k++] = argv[i];
  for (int i = 0; i < n_extra; i++) args[k++] = (char *)extra[i];
  args[k] = NULL;
  /* what bin/tsrun drops too: they change what node loads or cost start-up time */
  unsetenv("NODE_OPTIONS");
  unsetenv("NODE_PATH");
  unsetenv("NODE_EXTRA_CA_CERTS");
  execvp("node", args);
  die("exec node", errno);
}

static bool read_file(const char *path, char **out, size_t *len) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  size_t cap = 65536, n = 0;
  char *buf = malloc(cap);
  for (;;) {
    if (n == cap) {
      if (cap >= CONFIG_MAX) break;
      cap *= 2;
      buf = realloc(buf, cap);
    }
    ssize_t r = read(fd, buf + n, cap - n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    n += (size_t)r;
  }
  close(fd);
  *out = buf;
  *len = n;
  return true;
}

/* The group's socket path for this container (cwd = its bundle). */
static void socket_path(const struct flags *f, char *out, size_t cap) {
  char group[512] = "";
  char *json;
  size_t len;
  if (read_file("config.json", &json, &len)) {
    for (size_t i = 0; i < sizeof GROUP_ANNOTATIONS / sizeof *GROUP_ANNOTATIONS; i++) {
      int r = config_annotation(json, len, GROUP_ANNOTATIONS[i], group, sizeof group);
      if (r < 0) die("config.json: a group annotation is too long or escaped", 0);
      if (r == 1) break;
    }
    free(json);
  }
  size_t na = strlen(f->address), nn = strlen(f->namespace), ng = strlen(group);
  char *key = malloc(na + nn + ng + 3);
  memcpy(key, f->address, na + 1);
  memcpy(key + na + 1, f->namespace, nn + 1);
  memcpy(key + na + nn + 2, group, ng + 1);
  char hex[65];
  sha256_hex((const uint8_t *)key, na + nn + ng + 2, hex);
  free(key);
  snprintf(out, cap, "%s/%s.sock", SHIM_DIR, hex);
}

static bool write_all(int fd, const void *p, size_t n) {
  const char *c = p;
  while (n > 0) {
    ssize_t w = write(fd, c, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    c += w;
    n -= (size_t)w;
  }
  return true;
}

/* ttrpc: Request{service "containerd.task.v2.Task", method "Connect"} on stream 1 */
static size_t handshake_request(uint8_t *buf) {
  static const char service[] = "containerd.task.v2.Task", method[] = "Connect";
  size_t k = 10;
  buf[k++] = 0x0a;
  buf[k++] = (uint8_t)(sizeof service - 1);
  memcpy(buf + k, service, sizeof service - 1);
  k += sizeof service - 1;
  buf[k++] = 0x12;
  buf[k++] = (uint8_t)(sizeof method - 1);
  memcpy(buf + k, method, sizeof method - 1);
  k += sizeof method - 1;
  uint32_t len = (uint32_t)(k - 10);
  buf[0] = (uint8_t)(len >> 24);
  buf[1] = (uint8_t)(len >> 16);
  buf[2] = (uint8_t)(len >> 8);
  buf[3] = (uint8_t)len;
  buf[4] = buf[5] = buf[6] = 0;
  buf[7] = 1; /* stream id */
  buf[8] = 1; /* request */
  buf[9] = 0;
  return k;
}

/* Connected to the socket and answered on stream 1: a shim is serving there. */
static bool shim_answers(const char *path) {
  int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0) return false;
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
  bool ok = false;
  uint8_t req[64], hdr[10];
  size_t n = handshake_request(req);
  if (connect(s, (struct sockaddr *)&sa, sizeof sa) == 0 && write_all(s, req, n)) {
    size_t got = 0;
    while (got < sizeof hdr) {
      struct pollfd p = {.fd = s, .events = POLLIN};
      int r = poll(&p, 1, HANDSHAKE_TIMEOUT_MS);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) break;
      ssize_t m = read(s, hdr + got, sizeof hdr - got);
      if (m < 0 && errno == EINTR) continue;
      if (m <= 0) break;
      got += (size_t)m;
    }
    ok = got == sizeof hdr && hdr[4] == 0 && hdr[5] == 0 && hdr[6] == 0 && hdr[7] == 1 && hdr[8] == 2;
  }
  close(s);
  return ok;
}

/* <bundle>/address, written atomically: containerd reads it to reconnect after a restart. */
static void write_address(const char *address) {
  int fd = open(".address", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0 || !write_all(fd, address, strlen(address))) die("write the address file", errno);
  close(fd);
  if (rename(".address", "address") < 0) die("rename the address file", errno);
}

static void answer(const char *path) {
  char address[sizeof(((struct sockaddr_un *)0)->sun_path) + 16];
  snprintf(address, sizeof address, "unix://%s", path);
  write_address(address);
  if (!write_all(1, address, strlen(address))) die("write the address", errno);
  exit(0);
}

/* The shim's oom_score_adj: containerd's plus one, as containerd's own shims do. */
static void adjust_oom_score(void) {
  char path[64], buf[32];
  snprintf(path, sizeof path, "/proc/%d/oom_score_adj", (int)getppid());
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return;
  buf[n] = 0;
  int score = atoi(buf);
  if (score < 1000) score++;
  fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
  if (fd < 0) return;
  n = snprintf(buf, sizeof buf, "%d", score);
  if (write(fd, buf, (size_t)n) < 0) {
    /* not fatal: an unprivileged caller may not lower it */
  }
  close(fd);
}

__attribute__((noreturn)) static void keep_and_start(int argc, char **argv, const char *path, int s);

/* Bind the group's socket and start the Node shim on it; returns in the parent. */
static void start_shim(int argc, char **argv, const char *path) {
  if (unlink(path) < 0 && errno != ENOENT) die("remove a stale shim socket", errno);
  int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0) die("socket", errno);
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  if (strlen(path) >= sizeof sa.sun_path) die("the shim socket path is too long", 0);
  strcpy(sa.sun_path, path);
  mode_t old = umask(0177);
  int r = bind(s, (struct sockaddr *)&sa, sizeof sa);
  umask(old);
  if (r < 0) die("bind the shim socket", errno);
  if (listen(s, 1024) < 0) die("listen on the shim socket", errno);
  pid_t pid = fork();
  if (pid < 0) die("fork", errno);
  if (pid == 0) {
    /* the keeper: its own session, and the subreaper above the shim, so the
       containers of a shim that dies are reaped at once (by whatever the
       host's pid 1 is, they might stay zombies for seconds, and a zombie
       container init keeps its cgroup busy) */
    setsid();
    keep_and_start(argc, argv, path, s);
  }
  close(s);
}

/* The keeper: fork the Node shim, then reap every child until none is left. */
__attribute__((noreturn)) static void keep_and_start(int argc, char **argv, const char *path, int s) {
  prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
  /* not killed by what is sent to containerd's session; SIGKILL still works */
  signal(SIGINT, SIG_IGN);
  signal(SIGHUP, SIG_IGN);
  signal(SIGTERM, SIG_IGN);
  pid_t pid = fork();
  if (pid < 0) _exit(1);
  if (pid == 0) {
    /* the shim: the socket as fd 3, stdio off containerd's pipes (containerd
       waits for them to close); stderr is the bundle's log FIFO, which
       containerd reads, so a failing start-up is seen */
    signal(SIGINT, SIG_DFL);
    signal(SIGHUP, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    adjust_oom_score();
    int devnull = open("/dev/null", O_RDWR);
    int log = open("log", O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (devnull < 0) _exit(1);
    dup2(devnull, 0);
    dup2(devnull, 1);
    if (log >= 0) {
      fcntl(log, F_SETFL, fcntl(log, F_GETFL) & ~O_NONBLOCK);
      dup2(log, 2);
    } else {
      dup2(devnull, 2);
    }
    if (dup2(s, 3) < 0) _exit(1);
    for (int fd = 4; fd < 1024; fd++) close(fd);
    /* the same flags, the socket, and "daemon" for the final "start" */
    const char *extra[] = {"-socket", path, "daemon"};
    exec_node(argc - 1, argv, extra, 3);
  }
  close(s);
  int devnull = open("/dev/null", O_RDWR);
  if (devnull >= 0) {
    dup2(devnull, 0);
    dup2(devnull, 1);
    dup2(devnull, 2);
  }
  for (int fd = 3; fd < 1024; fd++) close(fd);
  for (;;) {
    pid_t r = wait(NULL);
    if (r < 0 && errno == ECHILD) _exit(0);
  }
}

static bool exists(const char *path) { return access(path, F_OK) == 0 || errno != ENOENT; }

/* Launchers (and a shim removing its socket) take turns under this lock. */
static int lock_shim_dir(void) {
  if (mkdir("/run/containerd", 0711) < 0 && errno != EEXIST) die("mkdir /run/containerd", errno);
  if (mkdir(SHIM_DIR, 0700) < 0 && errno != EEXIST) die("mkdir " SHIM_DIR, errno);
  int dir = open(SHIM_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) die("open " SHIM_DIR, errno);
  while (flock(dir, LOCK_EX) < 0)
    if (errno != EINTR) die("flock " SHIM_DIR, errno);
  return dir;
}

static size_t put_varint(uint8_t *p, uint64_t v) {
  size_t k = 0;
  while (v >= 0x80) {
    p[k++] = (uint8_t)(v | 0x80);
    v >>= 7;
  }
  p[k++] = (uint8_t)v;
  return k;
}

/* `delete` after a container the shim deleted itself (its record in the
 * bundle is gone): containerd runs this for every task whose connection
 * closes, a normal delete included. Nothing is left to clean, so answer
 * here, without starting Node: DeleteResponse{exit_status 137, exited_at now}. */
static void delete_nothing_left(void) {
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  uint8_t ts[24], out[48];
  size_t t = 0, k = 0;
  ts[t++] = 0x08;
  t += put_varint(ts + t, (uint64_t)now.tv_sec);
  if (now.tv_nsec) {
    ts[t++] = 0x10;
    t += put_varint(ts + t, (uint64_t)now.tv_nsec);
  }
  out[k++] = 0x10; /* exit_status = 128 + SIGKILL, as runc's shim answers */
  k += put_varint(out + k, 137);
  out[k++] = 0x1a; /* exited_at */
  out[k++] = (uint8_t)t;
  memcpy(out + k, ts, t);
  k += t;
  if (!write_all(1, out, k)) die("write the delete response", errno);
  exit(0);
}

int main(int argc, char **argv) {
  struct flags f = {0};
  parse_flags(argc, argv, &f);
  if (f.action && !strcmp(f.action, "delete") && !strcmp(argv[argc - 1], "delete")) {
    char record[PATH_MAX];
    snprintf(record, sizeof record, "%s/" BUNDLE_RECORD, f.bundle ? f.bundle : ".");
    if (!exists(record)) delete_nothing_left();
    if (!f.namespace || !*f.namespace) die("shim namespace cannot be empty", 0);
    if (!f.address) f.address = "";
    if (f.bundle && chdir(f.bundle) < 0) die("chdir to the bundle", errno);
    char path[sizeof(((struct sockaddr_un *)0)->sun_path) + 64];
    socket_path(&f, path, sizeof path);
    /* the shim died holding it. Under the lock, the first delete cleans up
       everything the shim held; the deletes containerd runs at the same time
       for its other containers then find nothing left */
    int dir = lock_shim_dir();
    if (!exists(record)) delete_nothing_left();
    if (shim_answers(path)) exec_node(argc, argv, NULL, 0);
    fcntl(dir, F_SETFD, 0); /* the lock stays held while Node works */
    const char *extra[] = {"-socket", path, "delete"};
    exec_node(argc - 1, argv, extra, 3);
  }
  if (!f.action || strcmp(f.action, "start") != 0 || strcmp(argv[argc - 1], "start") != 0) {
    exec_node(argc, argv, NULL, 0);
  }
  if (!f.namespace || !*f.namespace) die("shim namespace cannot be empty", 0);
  if (!f.address) f.address = "";
  char path[sizeof(((struct sockaddr_un *)0)->sun_path) + 64];
  socket_path(&f, path, sizeof path);
  if (shim_answers(path)) answer(path);

  /* none serving: under the directory's lock, so one launcher starts it */
  lock_shim_dir();
  if (shim_answers(path)) answer(path);
  start_shim(argc, argv, path);
  answer(path);
}
