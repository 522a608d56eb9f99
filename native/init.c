// tend-init: pid 1 of a `private_pids` service's pid namespace (docs/config.md "Sandboxing").
//
// Why: pid 1 of a pid namespace gets only the signals it has a handler for, so a command that set
// none (sleep, and many servers that count on the default action) ignored tend's stop signal, and
// every stop waited out stop_timeout for the SIGKILL; and the namespace's orphans are handed to
// pid 1, which a command that never waits for children it did not start leaves as zombies. So
// tend execs this in the new namespace instead of the command, as `docker run --init` does with
// tini: it starts the command as its one child (pid 2 there), passes on every signal a process
// sent it, reaps whatever is handed to it, and exits as the command did: its exit code, or 128 +
// the number of the signal that killed it (pid 1 cannot die of a signal sent from inside its
// namespace, itself included). When it exits, the kernel kills what is left in the namespace, as
// it did when the command was pid 1.
//
// Usage (by the addon, native/child.c): tend-init FILE ARGV0 [ARG...]; the environment is passed
// on as it is. tend resets every signal to its default and unblocks them all before the exec
// (child.c "reset signals"): the command gets them so.
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv) {
  if (argc < 3) {
    fputs("usage: tend-init FILE ARGV0 [ARG...] (started by tend for a private_pids service)\n", stderr);
    return 2;
  }
  // its name in ps and /proc/PID/comm: exec'd from an fd, some kernels name it by the fd's number
  prctl(PR_SET_NAME, "tend-init", 0, 0, 0);
  sigset_t all, old;
  sigfillset(&all);
  sigprocmask(SIG_SETMASK, &all, &old);
  pid_t child = fork();
  if (child < 0) {
    fprintf(stderr, "tend-init: cannot fork for %s: %s\n", argv[1], strerror(errno));
    return 126;
  }
  if (child == 0) {
    sigprocmask(SIG_SETMASK, &old, NULL);
    execve(argv[1], argv + 2, environ);
    int err = errno;
    fprintf(stderr, "tend-init: cannot exec %s: %s\n", argv[1], strerror(err));
    _exit(err == ENOENT ? 127 : 126);
  }
  // Blocked signals are queued even for pid 1 (only an unblocked one without a handler is
  // dropped), and taken here one at a time.
  for (;;) {
    siginfo_t si;
    int sig = sigwaitinfo(&all, &si);
    if (sig < 0) continue; // EINTR
    if (sig != SIGCHLD) {
      // only what a process sent (kill, sigqueue: si_code <= 0): what the kernel sends to a
      // process group (^C on a tty service's terminal, a window size change) the command got too
      if (si.si_code <= 0) kill(child, sig);
      continue;
    }
    int st;
    pid_t p;
    while ((p = waitpid(-1, &st, WNOHANG)) > 0) {
      if (p != child) continue; // an orphan handed to pid 1: reaped, nothing more
      if (WIFEXITED(st)) return WEXITSTATUS(st);
      if (WIFSIGNALED(st)) return 128 + WTERMSIG(st);
    }
  }
}
