// Between clone and exec: the child sets itself up, one named step after another (STEPS), with
// system calls only, then execs the command.
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
#include <limits.h>
#include <linux/capability.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
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

// --- the fences (README "Sandboxing") ----------------------------------------------------------

// A whole small text into a file of /proc (the maps of a user namespace, oom_score_adj).
static int write_file(const char *path, const char *text) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  size_t n = strlen(text);
  ssize_t w = write(fd, text, n);
  int err = w == (ssize_t)n ? 0 : w < 0 ? errno : EIO;
  close(fd);
  return err;
}

// Own user namespace (made by the clone): the child maps itself, root inside = tend's uid and
// gid outside (the one mapping a process may write without privilege in the parent namespace),
// after denying setgroups as the kernel asks for an unprivileged gid_map.
static int step_userns(const spawn_req *r, const char **at) {
  if (!r->userns) return 0;
  int err;
  if ((err = write_file("/proc/self/setgroups", "deny")) != 0) return err;
  if ((err = write_file("/proc/self/uid_map", r->uid_map)) != 0) return err;
  return write_file("/proc/self/gid_map", r->gid_map);
}

static int step_nice(const spawn_req *r, const char **at) {
  return r->nice != LONG_MIN && setpriority(PRIO_PROCESS, 0, (int)r->nice) < 0 ? errno : 0;
}

// Before the mounts and the chroot: /proc is still the host's.
static int step_oom(const spawn_req *r, const char **at) {
  if (r->oom_adj == LONG_MIN) return 0;
  char buf[16], tmp[16];
  long v = r->oom_adj < 0 ? -r->oom_adj : r->oom_adj;
  int n = 0, k = 0;
  do { tmp[k++] = (char)('0' + v % 10); v /= 10; } while (v > 0);
  if (r->oom_adj < 0) buf[n++] = '-';
  while (k > 0) buf[n++] = tmp[--k];
  buf[n] = '\0';
  return write_file("/proc/self/oom_score_adj", buf);
}

static int step_affinity(const spawn_req *r, const char **at) {
  return r->cpus.n > 0 && sched_setaffinity(0, sizeof r->cpu_set, &r->cpu_set) < 0 ? errno : 0;
}

// Own mount namespace (made by the clone): nothing mounted here propagates back to the host.
static int step_mount_private(const spawn_req *r, const char **at) {
  return r->mountns && mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ? errno : 0;
}

// Own pid namespace: a /proc that shows it (ps, /proc/self).
static int step_proc(const spawn_req *r, const char **at) {
  if (r->proc_at == NULL) return 0;
  *at = r->proc_at;
  return mount("proc", r->proc_at, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0 ? errno : 0;
}

static int step_private_tmp(const spawn_req *r, const char **at) {
  if (r->private_tmp == NULL) return 0;
  *at = r->private_tmp[1];
  return mount(r->private_tmp[0], r->private_tmp[1], NULL, MS_BIND | MS_REC, NULL) < 0 ? errno : 0;
}

#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif
#define TEND_AT_RECURSIVE 0x8000
#define TEND_MOUNT_ATTR_RDONLY 0x1
struct tend_mount_attr {
  uint64_t attr_set, attr_clr, propagation, userns_fd;
};

// A bind mount of p on itself, made read-only with every mount under it (mount_setattr, Linux
// 5.12+; before it, a remount of the top one, keeping the flags a user namespace locks).
static int make_read_only(const char *p) {
  if (mount(p, p, NULL, MS_BIND | MS_REC, NULL) < 0) return errno;
  struct tend_mount_attr attr = {TEND_MOUNT_ATTR_RDONLY, 0, 0, 0};
  if (syscall(SYS_mount_setattr, AT_FDCWD, p, TEND_AT_RECURSIVE, &attr, sizeof attr) == 0) return 0;
  if (errno != ENOSYS) return errno;
  struct statfs sf;
  unsigned long keep = 0;
  if (statfs(p, &sf) == 0) {
    if (sf.f_flags & ST_NOSUID) keep |= MS_NOSUID;
    if (sf.f_flags & ST_NODEV) keep |= MS_NODEV;
    if (sf.f_flags & ST_NOEXEC) keep |= MS_NOEXEC;
  }
  return mount(NULL, p, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | keep, NULL) < 0 ? errno : 0;
}

static int step_read_only(const spawn_req *r, const char **at) {
  for (char **p = r->read_only; p != NULL && *p != NULL; p++) {
    int err = make_read_only(*p);
    if (err != 0) return *at = *p, err;
  }
  return 0;
}

// A directory under an empty read-only tmpfs of mode 000, a file under /dev/null (read-only).
static int step_inaccessible(const spawn_req *r, const char **at) {
  for (char **p = r->inaccessible; p != NULL && *p != NULL; p++) {
    struct stat st;
    *at = *p;
    if (stat(*p, &st) < 0) return errno;
    if (S_ISDIR(st.st_mode)) {
      if (mount("tmpfs", *p, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=000,size=4k") < 0) return errno;
    } else {
      if (mount("/dev/null", *p, NULL, MS_BIND, NULL) < 0) return errno;
      if (mount(NULL, *p, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NOEXEC, NULL) < 0) return errno;
    }
  }
  return 0;
}

// After the mounts (made at their host paths under the root); cwd is then taken inside it.
static int step_chroot(const spawn_req *r, const char **at) {
  if (r->root == NULL) return 0;
  *at = r->root;
  if (chroot(r->root) < 0) return errno;
  return chdir("/") < 0 ? errno : 0;
}

static int step_hostname(const spawn_req *r, const char **at) {
  return r->hostname != NULL && sethostname(r->hostname, strlen(r->hostname)) < 0 ? errno : 0;
}

// Own network namespace: only lo, brought up (SIOCSIFFLAGS on a socket made in it).
static int step_lo(const spawn_req *r, const char **at) {
  if (!r->netns) return 0;
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) return errno;
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  memcpy(ifr.ifr_name, "lo", 3);
  int err = 0;
  if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0) err = errno;
  else {
    ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
    if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0) err = errno;
  }
  close(s);
  return err;
}

// Strictly: a limit the kernel refuses (a hard limit raised without privilege) fails the start.
static int step_rlimits(const spawn_req *r, const char **at) {
  for (int i = 0; i < r->nlims; i++) {
    if (setrlimit(r->lims[i].res, &r->lims[i].lim) < 0) return *at = r->rlimits[i], errno;
  }
  return 0;
}

// Every capability not kept leaves the bounding set (needs CAP_SETPCAP: root, or in a user namespace).
static int step_capbset(const spawn_req *r, const char **at) {
  if (!r->caps_set) return 0;
  for (int c = 0; c <= r->cap_last && c < 64; c++) {
    if ((r->cap_keep >> c) & 1) continue;
    if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL) return errno;
  }
  return 0;
}

// The permitted set survives the switch to a non-root uid (the effective one is cleared).
static int step_keepcaps(const spawn_req *r, const char **at) {
  return r->ambient && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0 ? errno : 0;
}

// After the switch: the kept capabilities permitted, effective, inheritable, then ambient, so
// that they survive the exec of an ordinary program by a non-root uid.
static int step_ambient(const spawn_req *r, const char **at) {
  if (!r->ambient) return 0;
  struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[2];
  memset(data, 0, sizeof data);
  for (int i = 0; i < 2; i++) {
    data[i].effective = data[i].permitted = data[i].inheritable = (uint32_t)(r->cap_keep >> (32 * i));
  }
  if (syscall(SYS_capset, &hdr, data) < 0) return errno;
  for (int c = 0; c <= r->cap_last && c < 64; c++) {
    if (((r->cap_keep >> c) & 1) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) < 0) return errno;
  }
  return 0;
}

static int step_no_new_privs(const spawn_req *r, const char **at) {
  return r->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ? errno : 0;
}

static int step_exec(const spawn_req *r, const char **at) {
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
