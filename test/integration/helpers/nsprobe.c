/* Probes for the default profile: raw syscalls a shell cannot make.
 * Prints "<probe> ok" or "<probe> <ERRNO name>" per line, exit 0.
 *   nsprobe [MOUNT_TARGET]   (run it in a private mount namespace) */

#include <errno.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static void report(const char *what, long r) {
  if (r >= 0) printf("%s ok\n", what);
  else printf("%s %s\n", what, strerrorname_np(errno));
}

/* fork-like raw clone with these flags; the child exits at once */
static void probe_clone(const char *what, unsigned long flags) {
  long pid = syscall(SYS_clone, flags | SIGCHLD, 0, NULL, NULL, 0);
  if (pid == 0) _exit(0);
  if (pid > 0) waitpid((pid_t)pid, NULL, 0);
  report(what, pid);
}

int main(int argc, char **argv) {
  if (argc > 1) {
    report("mount", mount("none", argv[1], "tmpfs", 0, NULL));
    report("umount2", umount2(argv[1], MNT_DETACH));
  }
  probe_clone("clone", 0);
  probe_clone("clone_newuser", CLONE_NEWUSER);
  probe_clone("clone_newns", CLONE_NEWNS);
  struct clone_args ca;
  memset(&ca, 0, sizeof ca);
  ca.exit_signal = SIGCHLD;
  long pid = syscall(SYS_clone3, &ca, sizeof ca);
  if (pid == 0) _exit(0);
  if (pid > 0) waitpid((pid_t)pid, NULL, 0);
  report("clone3", pid);
  report("personality_linux32", syscall(SYS_personality, PER_LINUX32));
  report("personality_query", syscall(SYS_personality, 0xffffffffUL));
  report("personality_no_randomize", syscall(SYS_personality, ADDR_NO_RANDOMIZE));
  report("keyctl", syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -3, 0));
  report("bpf", syscall(SYS_bpf, 0, NULL, 0));
  report("socket_inet", socket(AF_INET, SOCK_STREAM, 0));
  report("socket_alg", socket(38 /* AF_ALG */, SOCK_SEQPACKET, 0));
  report("socket_vsock", socket(40 /* AF_VSOCK */, SOCK_STREAM, 0));
  report("io_uring_setup", syscall(SYS_io_uring_setup, 1, NULL));
  report("getrandom", syscall(SYS_getrandom, &ca, 8, 0));
  report("raw_1000", syscall(1000)); /* no such syscall: ENOSYS from the kernel or the stub */
  /* last: if it succeeds we are in a new user namespace without privileges */
  report("unshare_newuser", syscall(SYS_unshare, CLONE_NEWUSER));
  return 0;
}
