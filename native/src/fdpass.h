/* Passing one fd over an AF_UNIX stream socket (console socket, seccomp
 * listener). Async-signal-safe: raw syscalls only, no malloc, no stdio, no
 * locks, so the container init may call these between fork and execve.
 * Every function returns a value >= 0 on success or -errno on failure. */
#ifndef TSRUN_FDPASS_H
#define TSRUN_FDPASS_H
#include <stddef.h>

/* go-runc's recvFd rejects n >= 4096: the console-socket payload limit. */
#define TSRUN_FD_MESSAGE_MAX 4096

/* Exactly one sendmsg(MSG_NOSIGNAL) carrying 1 <= len < 4096 bytes of data and
 * one SCM_RIGHTS cmsg with one fd, no SCM_CREDENTIALS (runtime-contract §6).
 * A short send is an error (-EMSGSIZE): a stream socket that takes fewer
 * bytes than asked would split the label the receiver reads in one go.
 * Retries on EINTR. Does not close anything. */
int tsrun_send_fd(int sock, const void *data, size_t len, int fd);

/* Like tsrun_send_fd for payloads of any non-zero length: the fd goes with the
 * first sendmsg and, if the socket took only part of the data, the rest follows
 * in further sendmsg calls without fds (runtime-spec "container process
 * state": "If more than one sendmsg(2) is used, the file descriptors MUST be
 * sent only in the first call"). */
int tsrun_send_fd_stream(int sock, const void *data, size_t len, int fd);

/* socket(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC) + connect(path). Returns the
 * connected fd. A path too long for sun_path (108 bytes) is reached by
 * opening its directory (O_PATH|O_DIRECTORY|O_CLOEXEC) and connecting to
 * "/proc/self/fd/<dirfd>/<name>" instead, which needs a /proc mount of this
 * or an ancestor pid namespace (true before pivot_root) and a final name
 * short enough for that form; otherwise -ENAMETOOLONG. Never changes the
 * working directory (node is multithreaded; the init may rely on its cwd). */
int tsrun_connect_unix(const char *path);

/* socket + bind(path) + listen(backlog), long paths as in tsrun_connect_unix.
 * The caller removes a stale socket file first. Returns the listening fd. */
int tsrun_listen_unix(const char *path, int backlog);

/* Fill `out` (at least 12 bytes) with the decimal form of v >= 0; returns the
 * length. Async-signal-safe replacement for snprintf("%d"). */
size_t tsrun_format_uint(unsigned int v, char *out);

#endif
