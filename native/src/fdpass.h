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
 * one SCM_RIGHTS cmsg with one fd, no SCM_CREDENTIALS (go-runc's console socket protocol).
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
 * connected fd. Paths of any length, as unix_addr.h explains. */
int tsrun_connect_unix(const char *path);

/* socket + bind(path) + listen(backlog), long paths as in tsrun_connect_unix.
 * The caller removes a stale socket file first. Returns the listening fd. */
int tsrun_listen_unix(const char *path, int backlog);

#endif
