// Between clone and exec: the child sets itself up, one named step after another (STEPS), with
// system calls only, then execs the command. The fence steps are in fences.c.
//
// The child shares the parent's memory until it execs (vfork, or clone3 with CLONE_VM), so a
// step calls nothing that allocates or locks (async-signal-safe only): what needs a lookup
// (groups, /dev/null, the cgroup's fds) was prepared by the parent in spawn_req. All signals are
// blocked in the parent thread around the clone and stay blocked in the child until the
// "reset signals" step, so none of node's handlers can run on the shared memory (what glibc's
// posix_spawn does too). A step returns 0, or an errno: the child then records the step's name
// in `fail` and _exits, and the parent throws "STEP: strerror" with .code and .step.
//
// The order matters: the session first (a pty slave can then become its controlling terminal);
// the cgroup before anything the command could fork; the user namespace's maps before anything
// that needs an id in it; fds before chdir (a relative fd path would not be); the nice value,
// oom_score_adj and affinity while /proc is the host's; the mounts in the new mount namespace,
// then the chroot (the mounts are made at their host paths under the root), then chdir; limits
// and umask while still privileged; the bounding set cut while CAP_SETPCAP holds; groups, gid,
// uid (the steps before may need root), the ambient capabilities after the switch;
// no_new_privs and the signals back to default just before the exec. The namespaces themselves
// are made by the clone (ns_flags): the child is then pid 1 of its own pid namespace.
#include "spawn.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

static int step_setsid(const spawn_req *r, const char **at) {
  return r->setsid_ && setsid() < 0 ? errno : 0;
}

// Born there already (clone3), or writes its pid to cgroup.procs (opened by the parent).
static int step_cgroup(const spawn_req *r, const char **at) {
  if (r->cgroup_fd < 0 || r->born_in_cgroup) return 0;
  char buf[24], tmp[24];
  long pid = (long)syscall(SYS_getpid);
  int n = 0;
  do { tmp[n++] = (char)('0' + pid % 10); pid /= 10; } while (pid > 0);
  for (int i = 0; i < n; i++) buf[i] = tmp[n - 1 - i];
  buf[n++] = '\n';
  ssize_t w;
  do { w = write(r->cgroup_fd, buf, (size_t)n); } while (w < 0 && errno == EINTR);
  return w == n ? 0 : w < 0 ? errno : EIO;
}

// fd i = a dup of fds[i] (-1: /dev/null). Every source first goes above every target, so that
// no dup2 below clobbers a later source.
static int step_fds(const spawn_req *r, const char **at) {
  int high[MAX_FDS];
  for (int i = 0; i < r->nfds; i++) {
    int src = r->fds[i] < 0 ? r->null_fd : r->fds[i];
    high[i] = fcntl(src, F_DUPFD_CLOEXEC, r->nfds + 3);
    if (high[i] < 0) return errno;
  }
  for (int i = 0; i < r->nfds; i++) {
    if (dup2(high[i], i) < 0) return errno; // dup2 clears O_CLOEXEC on i
  }
  return 0;
}

static int step_ctty(const spawn_req *r, const char **at) {
  return r->ctty && ioctl(0, TIOCSCTTY, 0) < 0 ? errno : 0;
}

// And nothing else: an fd tend inherited without O_CLOEXEC must not reach the service (like
// systemd). close_range is Linux 5.9+; before it, O_CLOEXEC alone guards our own fds.
static int step_close_others(const spawn_req *r, const char **at) {
#ifdef SYS_close_range
  syscall(SYS_close_range, (unsigned)r->nfds, ~0U, 0);
#else
  (void)r;
#endif
  return 0;
}

// Under a root_dir, cwd is a path inside it: see step_chdir_after.
static int step_chdir(const spawn_req *r, const char **at) {
  return r->root == NULL && r->cwd != NULL && chdir(r->cwd) < 0 ? errno : 0;
}

// After the mounts and the chroot. Without a root, again, so that a cwd under a read-only path
// is on the read-only mount; where a mount hides it (a cwd under a private /tmp), the folder
// entered before stays the cwd.
static int step_chdir_after(const spawn_req *r, const char **at) {
  if (r->cwd == NULL) return 0;
  if (r->root != NULL) return chdir(r->cwd) < 0 ? errno : 0;
  if (r->mountns) (void)chdir(r->cwd);
  return 0;
}

// Soft and hard; unprivileged (or above fs.nr_open): the soft limit as far as the hard one allows.
static int step_nofile(const spawn_req *r, const char **at) {
  if (r->nofile < 0) return 0;
  struct rlimit rl = {(rlim_t)r->nofile, (rlim_t)r->nofile};
  if (setrlimit(RLIMIT_NOFILE, &rl) == 0) return 0;
  struct rlimit cur;
  if (getrlimit(RLIMIT_NOFILE, &cur) < 0) return errno;
  cur.rlim_cur = (rlim_t)r->nofile < cur.rlim_max ? (rlim_t)r->nofile : cur.rlim_max;
  return setrlimit(RLIMIT_NOFILE, &cur) < 0 ? errno : 0;
}

static int step_umask(const spawn_req *r, const char **at) {
  if (r->umask_ >= 0) umask((mode_t)r->umask_);
  return 0;
}

// Raw system calls: glibc's setgroups/setgid/setuid would signal the parent's threads (they
// share this memory) to change their credentials too.
static int step_groups(const spawn_req *r, const char **at) {
  return r->ngroups >= 0 && syscall(SYS_setgroups, r->ngroups, r->groups) < 0 ? errno : 0;
}

static int step_gid(const spawn_req *r, const char **at) {
  return r->gid >= 0 && syscall(SYS_setresgid, r->gid, r->gid, r->gid) < 0 ? errno : 0;
}

static int step_uid(const spawn_req *r, const char **at) {
  return r->uid >= 0 && syscall(SYS_setresuid, r->uid, r->uid, r->uid) < 0 ? errno : 0;
}

// Every handler back to SIG_DFL (node ignores SIGPIPE, and an ignored signal stays ignored
// across exec) and an empty mask (blocked by the parent around the clone).
static int step_signals(const spawn_req *r, const char **at) {
  (void)r;
  struct sigaction dfl;
  memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; sig++) sigaction(sig, &dfl, NULL); // EINVAL for KILL/STOP/glibc's own: fine
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  return 0;
}

// In its own pid namespace, tend-init (init.c) from its fd slot, which starts the command as
// its child; should that exec fail, the command itself, as pid 1.
static int step_exec(const spawn_req *r, const char **at) {
  if (r->init_slot >= 0) {
    fcntl(r->init_slot, F_SETFD, FD_CLOEXEC);
    syscall(SYS_execveat, r->init_slot, "", r->init_argv, r->envp, AT_EMPTY_PATH);
    close(r->init_slot);
  }
  execve(r->file, r->argv, r->envp);
  return errno;
}

// The set-up, in order. A name is what an error says: "spawn CMD: cannot NAME: strerror".
static const struct step {
  const char *name;
  int (*run)(const spawn_req *r, const char **at);
} STEPS[] = {
    {"setsid", step_setsid},
    {"join the cgroup", step_cgroup},
    {"set up fds", step_fds},
    {"set the controlling terminal", step_ctty},
    {"close other fds", step_close_others},
    {"chdir", step_chdir},
    {"map root to tend's user in the user namespace", step_userns},
    {"set the nice value", step_nice},
    {"set oom_score_adj", step_oom},
    {"set the CPU affinity", step_affinity},
    {"make the mounts private", step_mount_private},
    {"mount a fresh /proc on", step_proc},
    {"mount a private /tmp on", step_private_tmp},
    {"make read-only", step_read_only},
    {"make inaccessible", step_inaccessible},
    {"chroot to", step_chroot},
    {"set the hostname", step_hostname},
    {"bring up lo", step_lo},
    {"chdir", step_chdir_after},
    {"set RLIMIT_NOFILE", step_nofile},
    {"set the resource limit", step_rlimits},
    {"set the umask", step_umask},
    {"drop capabilities from the bounding set", step_capbset},
    {"keep capabilities", step_keepcaps},
    {"setgroups", step_groups},
    {"setgid", step_gid},
    {"setuid", step_uid},
    {"raise ambient capabilities", step_ambient},
    {"set no_new_privs", step_no_new_privs},
    {"reset signals", step_signals},
    {"exec", step_exec},
};

typedef struct {
  const spawn_req *r;
  spawn_fail *f;
} child_args;

// The child: every step, never returns.
static void child_main(void *p) {
  child_args *a = p;
  for (size_t i = 0; i < sizeof STEPS / sizeof STEPS[0]; i++) {
    const char *at = NULL;
    int err = STEPS[i].run(a->r, &at);
    if (err != 0) {
      a->f->step = STEPS[i].name;
      a->f->detail = at;
      a->f->err = err;
      _exit(127);
    }
  }
  _exit(127); // not reached: exec either replaced us or failed above
}

#if defined(__x86_64__)
// clone3(CLONE_VM | CLONE_VFORK | CLONE_INTO_CGROUP): the child is born in its cgroup. Moving a
// process into a cgroup afterwards (writing cgroup.procs) waits for an RCU grace period in the
// kernel (cgroup_threadgroup_rwsem), ~9 ms here when the cgroup was idle: the restart of a
// service would wait that long, as the parent is suspended until the child execs.
// glibc has no clone3 wrapper; this is the one its clone3.S has: the child starts on `stack`
// and calls fn(arg), which never returns. Signals are blocked by the caller around it.
struct tend_clone_args {
  uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid, set_tid_size, cgroup;
};
#define TEND_CLONE_INTO_CGROUP 0x200000000ULL

static long clone3_call(struct tend_clone_args *args, void (*fn)(void *), void *arg) {
  long ret;
  register void *r12 __asm__("r12") = (void *)fn;
  register void *r13 __asm__("r13") = arg;
  __asm__ volatile(
      "syscall\n\t"
      "test %%rax, %%rax\n\t"
      "jnz 1f\n\t"
      "xor %%ebp, %%ebp\n\t"
      "mov %%r13, %%rdi\n\t"
      "call *%%r12\n\t"
      "mov $60, %%eax\n\t" // exit(127) if fn ever returned
      "mov $127, %%edi\n\t"
      "syscall\n\t"
      "hlt\n"
      "1:\n\t"
      : "=a"(ret)
      : "0"(435L), "D"(args), "S"(sizeof *args), "r"(r12), "r"(r13)
      : "rcx", "r11", "memory");
  return ret;
}

#endif
#define CLONE_STACK (64 * 1024)

// glibc's clone: CLONE_VM | CLONE_VFORK with the namespace flags, where clone3 is not used.
static int clone_main(void *p) {
  child_main(p);
  return 127;
}

pid_t start_child(spawn_req *r, spawn_fail *f, int cgroup_dir_fd) {
  child_args a = {r, f};
#if defined(__x86_64__)
  // a stack per call (the addon may live in several threads); free once the child has exec'd or
  // exited, which CLONE_VFORK waits for
  void *stack = cgroup_dir_fd >= 0 ? aligned_alloc(16, CLONE_STACK) : NULL;
  if (stack != NULL) {
    struct tend_clone_args ca;
    memset(&ca, 0, sizeof ca);
    ca.flags = CLONE_VM | CLONE_VFORK | TEND_CLONE_INTO_CGROUP | (uint64_t)r->ns_flags;
    ca.exit_signal = SIGCHLD;
    ca.stack = (uint64_t)(uintptr_t)stack;
    ca.stack_size = CLONE_STACK;
    ca.cgroup = (uint64_t)cgroup_dir_fd;
    r->born_in_cgroup = 1;
    long ret = clone3_call(&ca, child_main, &a);
    free(stack);
    if (ret > 0) return (pid_t)ret;
    // ENOSYS (kernel < 5.3, or a seccomp profile such as Docker's default), E2BIG/EINVAL (< 5.7:
    // no CLONE_INTO_CGROUP), EPERM (other seccomp profiles, or a namespace refused), ...: below
  }
#else
  (void)cgroup_dir_fd;
#endif
  r->born_in_cgroup = 0; // the child joins by writing cgroup.procs
  if (r->ns_flags != 0) { // namespaces are made at the clone: the child is then pid 1 of its own
    void *st = aligned_alloc(16, CLONE_STACK);
    if (st == NULL) return -1;
    pid_t pid = clone(clone_main, (char *)st + CLONE_STACK, CLONE_VM | CLONE_VFORK | r->ns_flags | SIGCHLD, &a);
    int err = errno;
    free(st);
    errno = err;
    return pid;
  }
  pid_t pid = vfork();
  if (pid == 0) child_main(&a); // never returns
  return pid;
}
