/* console.c: the container's terminal (a pty from its devpts), its master
 * sent over the console socket. */
#ifndef TSRUN_CONSOLE_H
#define TSRUN_CONSOLE_H
#include <stdbool.h>
#include "child.h"

/* Open a pty in the container, make it the controlling terminal and stdio,
 * send the master over `console_socket_fd` (closed afterwards); the init
 * also binds it over /dev/console (`bind_console`). */
void console_setup(struct child_ctx *c, int console_socket_fd, bool bind_console);

#endif
