/* Temporary until the seccomp branch's fdpass module lands. */
#ifndef TSRUN_FDPASS_H
#define TSRUN_FDPASS_H
#include <stddef.h>
int tsrun_send_fd(int sock, const void *data, size_t len, int fd);
#endif
