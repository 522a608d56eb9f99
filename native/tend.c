// tend_native: the system calls a supervisor needs that Node.js does not expose.
// Plain C over N-API (node_api.h), no C++ and no node-addon-api, so it builds with any
// C compiler node-gyp finds and keeps ABI stability across Node versions.
#define _GNU_SOURCE
#include <node_api.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sched.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <termios.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#define CHECK(call)                                                                    \
  do {                                                                                 \
    if ((call) != napi_ok) {                                                           \
      napi_throw_error(env, NULL, "tend_native: N-API call failed: " #call);           \
      return NULL;                                                                     \
    }                                                                                  \
  } while (0)

static napi_value throw_errno(napi_env env, const char *what, int err) {
  char msg[256];
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(err));
  napi_throw_error(env, NULL, msg);
  return NULL;
}

// ---------------------------------------------------------------------------------------------
// setChildSubreaper(): boolean
//
// Why native: prctl(2) has no Node binding. PR_SET_CHILD_SUBREAPER makes orphaned descendants
// (double-forked daemons) reparent to us instead of to PID 1, so we can see and reap them.
static napi_value set_child_subreaper(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value result;
  CHECK(napi_get_boolean(env, prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0, &result));
  return result;
}

// ---------------------------------------------------------------------------------------------
// reapOrphans(owned: Int32Array | number[], procScan?: boolean): Array<{pid, code} | {pid, signo}>
//
// Why native: Node has no waitpid(2). It reaps only the children libuv spawned.
//
// Why not waitpid(-1): libuv reaps its own children with waitpid(pid) from its SIGCHLD handler,
// and node-pty reaps its child with a blocking waitpid(pid) in a thread. A waitpid(-1) (or
// waitid(P_ALL)) here could take one of their zombies; their later waitpid(pid) then fails with
// ECHILD and node's 'exit' event never fires: the status is lost silently.
// waitid(P_ALL, WNOWAIT) can peek, but it always returns the same first waitable child, so an
// owned zombie not yet reaped by libuv would hide every orphan behind it.
//
// So: list our children from /proc/self/task/<tid>/children (every thread: an orphan is
// reparented to one thread of the subreaper), fall back to scanning /proc/<pid>/stat for ppid ==
// getpid() when that file does not exist (kernel without CONFIG_PROC_CHILDREN, or procScan set
// to test that path), and call
// waitpid(pid, WNOHANG) on each child that is NOT in `owned`. A live child returns 0 and is left
// alone; a zombie is reaped and reported.
//
// Residual race, and why it is closed: child_process.spawn() and node-pty's spawn() fork
// synchronously on the JS thread and return the pid; this function also runs on the JS thread.
// If the caller adds the pid to `owned` in the same synchronous step as spawn() returns, no call
// of this function can observe that pid unowned. The other direction: a pid stays in `owned`
// until node reports its exit, i.e. after libuv reaped it; if the kernel reuses that number for
// an orphan meanwhile, that orphan is merely skipped until the caller drops the stale pid, and
// the next call reaps it. We never reap something we do not own; at worst we reap it late.

typedef struct {
  int32_t *pids;
  size_t len;
} owned_set;

static int cmp_i32(const void *a, const void *b) {
  int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
  return (x > y) - (x < y);
}

static int is_owned(const owned_set *o, int32_t pid) {
  return o->len > 0 && bsearch(&pid, o->pids, o->len, sizeof(int32_t), cmp_i32) != NULL;
}

typedef struct {
  napi_env env;
  napi_value array;
  uint32_t count;
  const owned_set *owned;
  int failed;
} reap_ctx;

static void reap_one(reap_ctx *c, pid_t pid) {
  if (pid <= 0 || is_owned(c->owned, pid)) return;
  int status = 0;
  pid_t r;
  do {
    r = waitpid(pid, &status, WNOHANG);
  } while (r < 0 && errno == EINTR);
  if (r != pid) return; // alive (0), or not our child / already gone (-1 ECHILD)
  napi_env env = c->env;
  napi_value obj, v;
  if (napi_create_object(env, &obj) != napi_ok) { c->failed = 1; return; }
  napi_create_int32(env, pid, &v);
  napi_set_named_property(env, obj, "pid", v);
  if (WIFEXITED(status)) {
    napi_create_int32(env, WEXITSTATUS(status), &v);
    napi_set_named_property(env, obj, "code", v);
  } else if (WIFSIGNALED(status)) {
    napi_create_int32(env, WTERMSIG(status), &v);
    napi_set_named_property(env, obj, "signo", v);
  }
  napi_set_element(env, c->array, c->count++, obj);
}

// Reads a whole small /proc file into buf (NUL-terminated); returns length or -1.
static ssize_t read_small(const char *path, char *buf, size_t cap) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  size_t n = 0;
  while (n + 1 < cap) {
    ssize_t r = read(fd, buf + n, cap - 1 - n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    n += (size_t)r;
  }
  close(fd);
  buf[n] = '\0';
  return (ssize_t)n;
}

// Returns 0 when the per-thread children files were readable, -1 when the kernel lacks them.
static int reap_from_children_files(reap_ctx *c) {
  DIR *tasks = opendir("/proc/self/task");
  if (tasks == NULL) return -1;
  int any = 0;
  size_t cap = 1 << 16;
  char *buf = malloc(cap);
  if (buf == NULL) { closedir(tasks); return -1; }
  struct dirent *de;
  while ((de = readdir(tasks)) != NULL) {
    if (de->d_name[0] < '0' || de->d_name[0] > '9') continue;
    char path[300];
    snprintf(path, sizeof path, "/proc/self/task/%s/children", de->d_name);
    for (;;) {
      ssize_t n = read_small(path, buf, cap);
      if (n < 0) break;
      any = 1;
      if ((size_t)n + 1 >= cap) { // maybe truncated: grow and read again
        char *bigger = realloc(buf, cap * 2);
        if (bigger == NULL) break;
        buf = bigger;
        cap *= 2;
        continue;
      }
      char *p = buf;
      while (*p) {
        char *end;
        long pid = strtol(p, &end, 10);
        if (end == p) { p++; continue; }
        reap_one(c, (pid_t)pid);
        p = end;
      }
      break;
    }
  }
  closedir(tasks);
  free(buf);
  return any ? 0 : -1;
}

// Fallback: every /proc/<pid>/stat whose ppid is us and state is Z.
static void reap_from_proc_scan(reap_ctx *c) {
  DIR *proc = opendir("/proc");
  if (proc == NULL) return;
  pid_t self = getpid();
  struct dirent *de;
  char path[300], buf[512];
  while ((de = readdir(proc)) != NULL) {
    if (de->d_name[0] < '0' || de->d_name[0] > '9') continue;
    snprintf(path, sizeof path, "/proc/%s/stat", de->d_name);
    if (read_small(path, buf, sizeof buf) <= 0) continue;
    // "pid (comm) S ppid ...": comm may hold spaces and parens, so parse after the last ')'.
    char *rp = strrchr(buf, ')');
    if (rp == NULL) continue;
    char state;
    int ppid;
    if (sscanf(rp + 1, " %c %d", &state, &ppid) != 2) continue;
    if (ppid == self && state == 'Z') reap_one(c, (pid_t)atoi(de->d_name));
  }
  closedir(proc);
}

static napi_value reap_orphans(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  bool proc_scan = false;
  if (argc >= 2) napi_get_value_bool(env, argv[1], &proc_scan); // non-boolean: stays false

  owned_set owned = {NULL, 0};
  int32_t *heap = NULL;
  if (argc >= 1) {
    bool is_typed = false, is_array = false;
    CHECK(napi_is_typedarray(env, argv[0], &is_typed));
    CHECK(napi_is_array(env, argv[0], &is_array));
    if (is_typed) {
      napi_typedarray_type type;
      size_t len;
      void *data;
      CHECK(napi_get_typedarray_info(env, argv[0], &type, &len, &data, NULL, NULL));
      if (type != napi_int32_array) {
        napi_throw_type_error(env, NULL, "reapOrphans: owned must be an Int32Array or number[]");
        return NULL;
      }
      owned.len = len;
      if (len > 0) {
        heap = malloc(len * sizeof(int32_t));
        if (heap == NULL) return throw_errno(env, "reapOrphans: malloc", ENOMEM);
        memcpy(heap, data, len * sizeof(int32_t));
      }
    } else if (is_array) {
      uint32_t len;
      CHECK(napi_get_array_length(env, argv[0], &len));
      owned.len = len;
      if (len > 0) {
        heap = malloc(len * sizeof(int32_t));
        if (heap == NULL) return throw_errno(env, "reapOrphans: malloc", ENOMEM);
        for (uint32_t i = 0; i < len; i++) {
          napi_value el;
          int32_t v = 0;
          if (napi_get_element(env, argv[0], i, &el) != napi_ok ||
              napi_get_value_int32(env, el, &v) != napi_ok) {
            free(heap);
            napi_throw_type_error(env, NULL, "reapOrphans: owned must hold numbers only");
            return NULL;
          }
          heap[i] = v;
        }
      }
    } else {
      napi_valuetype t;
      CHECK(napi_typeof(env, argv[0], &t));
      if (t != napi_undefined) {
        napi_throw_type_error(env, NULL, "reapOrphans: owned must be an Int32Array or number[]");
        return NULL;
      }
    }
  }
  owned.pids = heap;
  if (owned.len > 1) qsort(owned.pids, owned.len, sizeof(int32_t), cmp_i32);

  reap_ctx c = {env, NULL, 0, &owned, 0};
  if (napi_create_array(env, &c.array) != napi_ok) {
    free(heap);
    napi_throw_error(env, NULL, "reapOrphans: cannot create the result array");
    return NULL;
  }
  if (proc_scan || reap_from_children_files(&c) != 0) reap_from_proc_scan(&c);
  free(heap);
  return c.array;
}

// ---------------------------------------------------------------------------------------------
// getPeerCred(fd: number): {pid, uid, gid}
//
// Why native: net.Socket exposes no getsockopt(2). SO_PEERCRED gives the kernel-checked
// credentials of the process at the other end of a unix socket, which is how the control socket
// refuses a peer of another uid (a file mode alone does not hold against root-owned fds passed on).
static napi_value get_peer_cred(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd = -1;
  if (argc < 1 || napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0) {
    napi_throw_type_error(env, NULL, "getPeerCred: expected a file descriptor (a number >= 0)");
    return NULL;
  }
  struct ucred cred;
  socklen_t len = sizeof cred;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
    char what[64];
    snprintf(what, sizeof what, "getPeerCred: getsockopt(fd %d, SO_PEERCRED)", fd);
    return throw_errno(env, what, errno);
  }
  napi_value obj, v;
  CHECK(napi_create_object(env, &obj));
  CHECK(napi_create_int32(env, cred.pid, &v));
  CHECK(napi_set_named_property(env, obj, "pid", v));
  CHECK(napi_create_uint32(env, cred.uid, &v));
  CHECK(napi_set_named_property(env, obj, "uid", v));
  CHECK(napi_create_uint32(env, cred.gid, &v));
  CHECK(napi_set_named_property(env, obj, "gid", v));
  return obj;
}

// ---------------------------------------------------------------------------------------------
// spawn(file: string, argv: string[], env: string[], cwd: string | null, fds: number[],
//       opts: {setsid?: boolean, cgroupProcs?: string, cgroupFresh?: boolean, ctty?: boolean,
//              nofile?: number, umask?: number, uid?: number, gid?: number}): number
//
// Why native: child_process.spawn() forks the whole node process (page tables of ~60 MB) and
// blocks until the child has exec'd: about 0.8 ms of the event loop per service here, and a
// service in a cgroup then needs a second exec (tend-exec) to join it. Here: vfork(2) (or clone3,
// see start_child), so no
// page tables are copied, and the child does every step itself, with system calls only, before
// the one exec of the command:
//   setsid; join the cgroup (born there by clone3(CLONE_INTO_CGROUP) when cgroupFresh, see
//   start_child; else it writes its pid to cgroup.procs, opened by the parent); fd i = a dup of
//   fds[i] (-1: /dev/null), fd 0 made the controlling terminal when ctty (a pty slave), every
//   other fd closed (close_range); chdir; RLIMIT_NOFILE; umask;
//   supplementary groups, gid, uid (raw system calls: glibc's setuid() would try to signal the
//   parent's threads, which share this memory); every signal back to SIG_DFL (node ignores
//   SIGPIPE) and an empty signal mask; execve.
// The child shares our memory until it execs, so it calls nothing that allocates or locks. All
// signals are blocked in this thread around vfork() and stay blocked in the child until its
// handlers are reset, so none of node's handlers can run on the shared memory (what glibc's
// posix_spawn does too). A failing step is written to `fail` (shared memory) and the child
// _exits; the parent reaps it here and throws "STEP: strerror" with .code (e.g. "ENOENT").
//
// The caller owns the exit status: nothing in node waits for this pid, so the orphan reaper
// (reapOrphans) reaps it and must hand its status to the spawner.
static char *dup_string(napi_env env, napi_value v, int *bad) {
  size_t len = 0;
  if (napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) { *bad = 1; return NULL; }
  char *out = malloc(len + 1);
  if (out == NULL) { *bad = 1; return NULL; }
  if (napi_get_value_string_utf8(env, v, out, len + 1, &len) != napi_ok) { free(out); *bad = 1; return NULL; }
  return out;
}

static void free_strings(char **list) {
  if (list == NULL) return;
  for (char **p = list; *p != NULL; p++) free(*p);
  free(list);
}

// A JS string[] as a NULL-terminated char*[]; NULL (with *bad set) on a wrong type or no memory.
static char **string_list(napi_env env, napi_value arr, int *bad) {
  bool is_array = false;
  uint32_t len = 0;
  if (napi_is_array(env, arr, &is_array) != napi_ok || !is_array ||
      napi_get_array_length(env, arr, &len) != napi_ok) { *bad = 1; return NULL; }
  char **out = calloc((size_t)len + 1, sizeof(char *));
  if (out == NULL) { *bad = 1; return NULL; }
  for (uint32_t i = 0; i < len; i++) {
    napi_value el;
    if (napi_get_element(env, arr, i, &el) != napi_ok) { *bad = 1; break; }
    out[i] = dup_string(env, el, bad);
    if (*bad) break;
  }
  if (*bad) { free_strings(out); return NULL; }
  return out;
}

static const char *errno_name(int err) {
  switch (err) {
    case ENOENT: return "ENOENT";
    case EACCES: return "EACCES";
    case EPERM: return "EPERM";
    case ENOTDIR: return "ENOTDIR";
    case ENOEXEC: return "ENOEXEC";
    case EAGAIN: return "EAGAIN";
    case ENOMEM: return "ENOMEM";
    case EMFILE: return "EMFILE";
    case E2BIG: return "E2BIG";
    case EINVAL: return "EINVAL";
    case EBUSY: return "EBUSY";
    default: return "ESPAWN";
  }
}

static napi_value throw_code_step(napi_env env, const char *what, int err, const char *step);
static napi_value throw_code(napi_env env, const char *what, int err) {
  return throw_code_step(env, what, err, NULL);
}

// Throws Error("WHAT: strerror") with .code = "ENOENT" etc. and, when given, .step.
static napi_value throw_code_step(napi_env env, const char *what, int err, const char *step) {
  char msg[1200];
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(err));
  napi_value m, e, c;
  if (napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &m) != napi_ok ||
      napi_create_error(env, NULL, m, &e) != napi_ok) return NULL;
  if (napi_create_string_utf8(env, errno_name(err), NAPI_AUTO_LENGTH, &c) == napi_ok) napi_set_named_property(env, e, "code", c);
  if (step != NULL && napi_create_string_utf8(env, step, NAPI_AUTO_LENGTH, &c) == napi_ok) napi_set_named_property(env, e, "step", c);
  napi_throw(env, e);
  return NULL;
}

#define MAX_FDS 64
#define MAX_GROUPS 256

typedef struct {
  const char *file;
  char **argv, **envp;
  const char *cwd;
  int fds[MAX_FDS];
  int nfds;
  int setsid_;
  int cgroup_fd;       // cgroup.procs opened O_WRONLY, or -1
  long nofile;         // -1: leave
  long umask_;         // -1: leave
  long uid, gid;       // -1: leave
  gid_t groups[MAX_GROUPS];
  int ngroups;         // -1: leave the groups alone
  int null_fd;         // /dev/null, opened by the parent when a slot needs it
  int born_in_cgroup;  // clone3 put the child in the cgroup: no migration to do
  int ctty;            // fd 0 (a pty slave) becomes the controlling terminal (after setsid)
} spawn_req;

typedef struct {
  volatile int err;
  volatile const char *step;
} spawn_fail;

static void child_fail(spawn_fail *f, const char *step, int err) {
  f->step = step;
  f->err = err;
  _exit(127);
}

// Runs in the vfork child: system calls only, never returns.
static void child_exec(const spawn_req *r, spawn_fail *f) {
  if (r->setsid_ && setsid() < 0) child_fail(f, "setsid", errno);
  if (r->cgroup_fd >= 0 && !r->born_in_cgroup) {
    char buf[24];
    long pid = (long)syscall(SYS_getpid);
    int n = 0;
    char tmp[24];
    do { tmp[n++] = (char)('0' + pid % 10); pid /= 10; } while (pid > 0);
    for (int i = 0; i < n; i++) buf[i] = tmp[n - 1 - i];
    buf[n++] = '\n';
    ssize_t w;
    do { w = write(r->cgroup_fd, buf, (size_t)n); } while (w < 0 && errno == EINTR);
    if (w != n) child_fail(f, "join the cgroup", w < 0 ? errno : EIO);
  }
  // sources first to fds above every target, so that no dup2 below clobbers a later source
  int high[MAX_FDS];
  for (int i = 0; i < r->nfds; i++) {
    int src = r->fds[i] < 0 ? r->null_fd : r->fds[i];
    high[i] = fcntl(src, F_DUPFD_CLOEXEC, r->nfds + 3);
    if (high[i] < 0) child_fail(f, "set up fds", errno);
  }
  for (int i = 0; i < r->nfds; i++) {
    if (dup2(high[i], i) < 0) child_fail(f, "set up fds", errno); // dup2 clears O_CLOEXEC on i
  }
  if (r->ctty && ioctl(0, TIOCSCTTY, 0) < 0) child_fail(f, "set the controlling terminal", errno);
  // and nothing else: an fd tend inherited without O_CLOEXEC must not reach the service (like
  // systemd). close_range is Linux 5.9+; before it, O_CLOEXEC alone guards our own fds.
#ifdef SYS_close_range
  syscall(SYS_close_range, (unsigned)r->nfds, ~0U, 0);
#endif
  if (r->cwd != NULL && chdir(r->cwd) < 0) child_fail(f, "chdir", errno);
  if (r->nofile >= 0) {
    struct rlimit rl = {(rlim_t)r->nofile, (rlim_t)r->nofile};
    if (setrlimit(RLIMIT_NOFILE, &rl) < 0) {
      struct rlimit cur;
      // unprivileged (or above fs.nr_open): the soft limit as far as the hard one allows
      if (getrlimit(RLIMIT_NOFILE, &cur) < 0) child_fail(f, "set RLIMIT_NOFILE", errno);
      cur.rlim_cur = (rlim_t)r->nofile < cur.rlim_max ? (rlim_t)r->nofile : cur.rlim_max;
      if (setrlimit(RLIMIT_NOFILE, &cur) < 0) child_fail(f, "set RLIMIT_NOFILE", errno);
    }
  }
  if (r->umask_ >= 0) umask((mode_t)r->umask_);
  if (r->ngroups >= 0 && syscall(SYS_setgroups, r->ngroups, r->groups) < 0) child_fail(f, "setgroups", errno);
  if (r->gid >= 0 && syscall(SYS_setresgid, r->gid, r->gid, r->gid) < 0) child_fail(f, "setgid", errno);
  if (r->uid >= 0 && syscall(SYS_setresuid, r->uid, r->uid, r->uid) < 0) child_fail(f, "setuid", errno);
  struct sigaction dfl;
  memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; sig++) sigaction(sig, &dfl, NULL); // EINVAL for KILL/STOP/glibc's own: fine
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  execve(r->file, r->argv, r->envp);
  child_fail(f, "exec", errno);
}

typedef struct {
  const spawn_req *r;
  spawn_fail *f;
} child_args;

static void child_main(void *p) {
  child_args *a = p;
  child_exec(a->r, a->f);
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

#define CLONE_STACK (64 * 1024)
#endif

// Starts the child: clone3 into the cgroup where it can, else vfork (the child then migrates
// itself). Returns the pid, or -1 with errno.
static pid_t start_child(spawn_req *r, spawn_fail *f, int cgroup_dir_fd) {
  child_args a = {r, f};
#if defined(__x86_64__)
  // a stack per call (the addon may live in several threads); free once the child has exec'd or
  // exited, which CLONE_VFORK waits for
  void *stack = cgroup_dir_fd >= 0 ? aligned_alloc(16, CLONE_STACK) : NULL;
  if (stack != NULL) {
    struct tend_clone_args ca;
    memset(&ca, 0, sizeof ca);
    ca.flags = CLONE_VM | CLONE_VFORK | TEND_CLONE_INTO_CGROUP;
    ca.exit_signal = SIGCHLD;
    ca.stack = (uint64_t)(uintptr_t)stack;
    ca.stack_size = CLONE_STACK;
    ca.cgroup = (uint64_t)cgroup_dir_fd;
    r->born_in_cgroup = 1;
    long ret = clone3_call(&ca, child_main, &a);
    free(stack);
    if (ret > 0) return (pid_t)ret;
    // ENOSYS (kernel < 5.3, or a seccomp profile such as Docker's default), E2BIG/EINVAL (< 5.7:
    // no CLONE_INTO_CGROUP), EPERM (other seccomp profiles), ...: vfork below always works
  }
#else
  (void)cgroup_dir_fd;
#endif
  r->born_in_cgroup = 0; // the child joins by writing cgroup.procs
  pid_t pid = vfork();
  if (pid == 0) child_main(&a); // never returns
  return pid;
}

static int get_long_prop(napi_env env, napi_value obj, const char *name, long *out) {
  bool has = false;
  napi_value v;
  napi_valuetype t;
  if (napi_has_named_property(env, obj, name, &has) != napi_ok || !has) return 0;
  if (napi_get_named_property(env, obj, name, &v) != napi_ok || napi_typeof(env, v, &t) != napi_ok) return -1;
  if (t == napi_undefined) return 0;
  int64_t x;
  if (t != napi_number || napi_get_value_int64(env, v, &x) != napi_ok || x < 0 || x > 0x7fffffff) return -1;
  *out = (long)x;
  return 1;
}

static napi_value spawn_process(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  const char *usage = "spawn: expected (file: string, argv: string[] (not empty), env: string[], cwd: string | null, fds: number[] (at most 64), opts: {setsid?, cgroupProcs?, cgroupFresh?, ctty?, nofile?, umask?, uid?, gid?})";
  if (argc < 6) {
    napi_throw_type_error(env, NULL, usage);
    return NULL;
  }
  spawn_req *r = calloc(1, sizeof *r);
  if (r == NULL) return throw_code(env, "spawn", ENOMEM);
  r->cgroup_fd = r->null_fd = -1;
  r->nofile = r->umask_ = r->uid = r->gid = -1;
  r->ngroups = -1;
  int bad = 0;
  char *file = dup_string(env, argv[0], &bad);
  char **args = bad ? NULL : string_list(env, argv[1], &bad);
  char **envp = bad ? NULL : string_list(env, argv[2], &bad);
  char *cwd = NULL, *procs = NULL;
  napi_valuetype t;
  if (!bad && napi_typeof(env, argv[3], &t) == napi_ok && t == napi_string) cwd = dup_string(env, argv[3], &bad);
  uint32_t nfds = 0;
  bool is_array = false;
  if (!bad && (napi_is_array(env, argv[4], &is_array) != napi_ok || !is_array ||
               napi_get_array_length(env, argv[4], &nfds) != napi_ok || nfds > MAX_FDS)) bad = 1;
  for (uint32_t i = 0; !bad && i < nfds; i++) {
    napi_value el;
    if (napi_get_element(env, argv[4], i, &el) != napi_ok || napi_get_value_int32(env, el, &r->fds[i]) != napi_ok) bad = 1;
  }
  r->nfds = (int)nfds;
  if (!bad && (napi_typeof(env, argv[5], &t) != napi_ok || t != napi_object)) bad = 1;
  if (!bad) {
    napi_value v;
    bool b = false;
    if (napi_get_named_property(env, argv[5], "setsid", &v) == napi_ok && napi_get_value_bool(env, v, &b) == napi_ok) r->setsid_ = b;
    if (napi_get_named_property(env, argv[5], "cgroupProcs", &v) == napi_ok && napi_typeof(env, v, &t) == napi_ok && t == napi_string) procs = dup_string(env, v, &bad);
    if (get_long_prop(env, argv[5], "nofile", &r->nofile) < 0 || get_long_prop(env, argv[5], "umask", &r->umask_) < 0 ||
        get_long_prop(env, argv[5], "uid", &r->uid) < 0 || get_long_prop(env, argv[5], "gid", &r->gid) < 0) bad = 1;
    b = false;
    if (napi_get_named_property(env, argv[5], "cgroupFresh", &v) == napi_ok && napi_get_value_bool(env, v, &b) == napi_ok) r->born_in_cgroup = b;
    b = false;
    if (napi_get_named_property(env, argv[5], "ctty", &v) == napi_ok && napi_get_value_bool(env, v, &b) == napi_ok) r->ctty = b;
  }
  napi_value result = NULL;
  if (bad || file == NULL || args == NULL || args[0] == NULL || envp == NULL) {
    napi_throw_type_error(env, NULL, usage);
    goto out;
  }
  r->file = file;
  r->argv = args;
  r->envp = envp;
  r->cwd = cwd;

  char what[1200];
  // users: groups as login(1) sets them, looked up here where allocating is allowed
  if (r->uid >= 0 || r->gid >= 0) {
    struct passwd pw, *pwp = NULL;
    char pwbuf[4096];
    if (r->uid >= 0) getpwuid_r((uid_t)r->uid, &pw, pwbuf, sizeof pwbuf, &pwp);
    if (r->gid < 0) r->gid = pwp != NULL ? (long)pwp->pw_gid : (long)getgid();
    if (pwp != NULL) {
      int n = MAX_GROUPS;
      if (getgrouplist(pwp->pw_name, (gid_t)r->gid, r->groups, &n) < 0) n = MAX_GROUPS; // truncated
      r->ngroups = n;
    } else {
      r->groups[0] = (gid_t)r->gid;
      r->ngroups = 1;
    }
  }
  for (int i = 0; i < r->nfds; i++) {
    if (r->fds[i] < 0 && r->null_fd < 0) {
      r->null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
      if (r->null_fd < 0) { throw_code(env, "spawn: open /dev/null", errno); goto out; }
    }
  }
  if (procs != NULL) {
    r->cgroup_fd = open(procs, O_WRONLY | O_CLOEXEC);
    if (r->cgroup_fd < 0) {
      snprintf(what, sizeof what, "spawn %s: open %s", args[0], procs);
      throw_code(env, what, errno);
      goto out;
    }
  }

  int cgroup_dir_fd = -1;
  if (procs != NULL && r->born_in_cgroup) { // (set from opts.cgroupFresh: asked for clone3)
    char dir[1100];
    snprintf(dir, sizeof dir, "%s", procs);
    char *slash = strrchr(dir, '/');
    if (slash != NULL) {
      *slash = '\0';
      cgroup_dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC); // -1: the child migrates itself
    }
  }
  spawn_fail fail = {0, NULL};
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  pid_t pid = start_child(r, &fail, cgroup_dir_fd);
  int vfork_err = errno;
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  if (cgroup_dir_fd >= 0) close(cgroup_dir_fd);
  if (pid < 0) {
    snprintf(what, sizeof what, "spawn %s: vfork", args[0]);
    throw_code(env, what, vfork_err);
    goto out;
  }
  if (fail.err != 0) {
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
    if (fail.step != NULL && strcmp((const char *)fail.step, "exec") == 0) snprintf(what, sizeof what, "spawn %s", args[0]);
    else if (fail.step != NULL && strcmp((const char *)fail.step, "chdir") == 0) snprintf(what, sizeof what, "spawn %s: cannot chdir to %s", args[0], cwd ? cwd : "");
    else snprintf(what, sizeof what, "spawn %s: cannot %s", args[0], fail.step ? (const char *)fail.step : "start");
    throw_code_step(env, what, fail.err, fail.step != NULL ? (const char *)fail.step : "start");
    goto out;
  }
  napi_create_int32(env, pid, &result);

out:
  if (r->cgroup_fd >= 0) close(r->cgroup_fd);
  if (r->null_fd >= 0) close(r->null_fd);
  free(r);
  free(file);
  free_strings(args);
  free_strings(envp);
  free(cwd);
  free(procs);
  return result;
}

// pipe(): [readFd, writeFd], both O_CLOEXEC (a spawned child gets only what spawn() dup2s).
static napi_value make_pipe(napi_env env, napi_callback_info info) {
  (void)info;
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) return throw_code(env, "pipe", errno);
  napi_value arr, v;
  CHECK(napi_create_array_with_length(env, 2, &arr));
  CHECK(napi_create_int32(env, p[0], &v));
  CHECK(napi_set_element(env, arr, 0, v));
  CHECK(napi_create_int32(env, p[1], &v));
  CHECK(napi_set_element(env, arr, 1, v));
  return arr;
}

// setPipeSize(fd, bytes): number -- fcntl(F_SETPIPE_SZ); the size the kernel gave, or -1.
//
// Why: with the default 64 KiB a chatty service and tend take turns every 64 KiB (a context
// switch each way); 256 KiB lets the writer run on while tend reads (2-3x the MB/s here). The
// pages are allocated only as data waits, and an unprivileged user past pipe-user-pages-soft
// would get 4 KiB pipes: on failure the pipe simply keeps its size.
static napi_value set_pipe_size(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd = -1, bytes = 0;
  if (argc < 2 || napi_get_value_int32(env, argv[0], &fd) != napi_ok || napi_get_value_int32(env, argv[1], &bytes) != napi_ok || fd < 0 || bytes <= 0) {
    napi_throw_type_error(env, NULL, "setPipeSize: expected (fd: number >= 0, bytes: number > 0)");
    return NULL;
  }
  int got = fcntl(fd, F_SETPIPE_SZ, bytes);
  napi_value result;
  CHECK(napi_create_int32(env, got < 0 ? -1 : got, &result));
  return result;
}

// frameLines(chunk: Buffer, done: number, prefix: Buffer, out: Buffer, head: number): number
//
// Why native: the log hot path (src/spawn/log-frame.ts). A chatty service's 100-byte lines are
// 2 million lines per 200 MB; in JS each line costs two typed-array calls (move it, put the
// prefix before it), which is most of the CPU tend spends per MB. Here: one memchr and two
// memcpy per line. Copies chunk[0, done) (whole lines) to out at `head`, every line after the
// first preceded by `prefix` (the first one's prefix is the caller's, before the partial line it
// completes). Returns the number of lines. out must hold head + done + (lines - 1) * prefix bytes.
static int buffer_of(napi_env env, napi_value v, uint8_t **data, size_t *len) {
  bool is_buf = false;
  if (napi_is_buffer(env, v, &is_buf) != napi_ok || !is_buf) return -1;
  void *d;
  if (napi_get_buffer_info(env, v, &d, len) != napi_ok) return -1;
  *data = d;
  return 0;
}

static napi_value frame_lines(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  uint8_t *chunk, *prefix, *out;
  size_t chunk_len, prefix_len, out_len;
  int64_t done = -1, head = -1;
  napi_valuetype t3 = napi_undefined;
  if (argc >= 4) napi_typeof(env, argv[3], &t3);
  if (argc >= 2 && t3 == napi_null && buffer_of(env, argv[0], &chunk, &chunk_len) == 0 &&
      napi_get_value_int64(env, argv[1], &done) == napi_ok && done >= 0 && (size_t)done <= chunk_len) {
    // out null: only count the newlines of chunk[0, done)
    size_t n = 0;
    for (uint8_t *q = chunk, *end = chunk + done; q < end; q++) {
      q = memchr(q, '\n', (size_t)(end - q));
      if (q == NULL) break;
      n++;
    }
    napi_value r;
    CHECK(napi_create_int64(env, (int64_t)n, &r));
    return r;
  }
  if (argc < 5 || buffer_of(env, argv[0], &chunk, &chunk_len) || napi_get_value_int64(env, argv[1], &done) != napi_ok ||
      buffer_of(env, argv[2], &prefix, &prefix_len) || buffer_of(env, argv[3], &out, &out_len) ||
      napi_get_value_int64(env, argv[4], &head) != napi_ok || done < 0 || (size_t)done > chunk_len || head < 0) {
    napi_throw_type_error(env, NULL, "frameLines: expected (chunk: Buffer, done: number, prefix: Buffer, out: Buffer, head: number)");
    return NULL;
  }
  size_t pos = (size_t)head, s = 0, lines = 0;
  while (s < (size_t)done) {
    uint8_t *nl = memchr(chunk + s, '\n', (size_t)done - s);
    size_t e = nl == NULL ? (size_t)done : (size_t)(nl - chunk) + 1;
    size_t need = (lines > 0 ? prefix_len : 0) + (e - s);
    if (pos + need > out_len) {
      napi_throw_range_error(env, NULL, "frameLines: out is too small");
      return NULL;
    }
    if (lines > 0) {
      memcpy(out + pos, prefix, prefix_len);
      pos += prefix_len;
    }
    memcpy(out + pos, chunk + s, e - s);
    pos += e - s;
    s = e;
    lines++;
  }
  napi_value result;
  CHECK(napi_create_int64(env, (int64_t)lines, &result));
  return result;
}

// openPty(cols, rows): [master, slave, master2] -- a new pseudo-terminal of that size, all
// O_CLOEXEC; master2 is a dup of master (see below).
//
// Why not node-pty for tty services: it can lose the last KB a service writes just before it
// exits. The cause is libuv (any tty.ReadStream): on POLLHUP after a short read it reports EOF,
// while the pty may still hold data. tend spawns on the slave itself (spawn with ctty), reads the
// master with a tty.ReadStream while the service runs, and when that stream ends reads the rest
// from master2 until the kernel says EIO, which it does only once every byte has been read.
static napi_value open_pty(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t cols = 80, rows = 24;
  if (argc >= 1) napi_get_value_int32(env, argv[0], &cols);
  if (argc >= 2) napi_get_value_int32(env, argv[1], &rows);
  if (cols <= 0 || rows <= 0 || cols > 0xffff || rows > 0xffff) {
    napi_throw_range_error(env, NULL, "openPty: cols and rows must be 1..65535");
    return NULL;
  }
  int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0) return throw_code(env, "openPty: posix_openpt", errno);
  char name[128];
  if (grantpt(master) != 0 || unlockpt(master) != 0 || ptsname_r(master, name, sizeof name) != 0) {
    int err = errno;
    close(master);
    return throw_code(env, "openPty: unlock the slave", err);
  }
  int slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave < 0) {
    int err = errno;
    close(master);
    return throw_code(env, "openPty: open the slave", err);
  }
  struct winsize ws = {(unsigned short)rows, (unsigned short)cols, 0, 0};
  ioctl(master, TIOCSWINSZ, &ws);
  int master2 = fcntl(master, F_DUPFD_CLOEXEC, 0);
  if (master2 < 0) {
    int err = errno;
    close(master);
    close(slave);
    return throw_code(env, "openPty: dup", err);
  }
  napi_value arr, v;
  CHECK(napi_create_array_with_length(env, 3, &arr));
  CHECK(napi_create_int32(env, master2, &v));
  CHECK(napi_set_element(env, arr, 2, v));
  CHECK(napi_create_int32(env, master, &v));
  CHECK(napi_set_element(env, arr, 0, v));
  CHECK(napi_create_int32(env, slave, &v));
  CHECK(napi_set_element(env, arr, 1, v));
  return arr;
}

/*
 * trimMalloc(): gives the C heap's free pages back to the kernel (glibc's malloc_trim(0), which
 * also releases free pages inside each arena, not only at its top). V8 frees what it malloc'd at
 * a garbage collection; glibc keeps such memory mapped for reuse. True when memory was released;
 * false where glibc is not the allocator (nothing to do there).
 */
static napi_value trim_malloc(napi_env env, napi_callback_info info) {
  (void)info;
  int released = 0;
#ifdef __GLIBC__
  released = malloc_trim(0);
#endif
  napi_value v;
  CHECK(napi_get_boolean(env, released != 0, &v));
  return v;
}

NAPI_MODULE_INIT() {
  napi_property_descriptor props[] = {
      {"setChildSubreaper", NULL, set_child_subreaper, NULL, NULL, NULL, napi_enumerable, NULL},
      {"reapOrphans", NULL, reap_orphans, NULL, NULL, NULL, napi_enumerable, NULL},
      {"getPeerCred", NULL, get_peer_cred, NULL, NULL, NULL, napi_enumerable, NULL},
      {"spawn", NULL, spawn_process, NULL, NULL, NULL, napi_enumerable, NULL},
      {"pipe", NULL, make_pipe, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setPipeSize", NULL, set_pipe_size, NULL, NULL, NULL, napi_enumerable, NULL},
      {"frameLines", NULL, frame_lines, NULL, NULL, NULL, napi_enumerable, NULL},
      {"openPty", NULL, open_pty, NULL, NULL, NULL, napi_enumerable, NULL},
      {"trimMalloc", NULL, trim_malloc, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) {
    napi_throw_error(env, NULL, "tend_native: cannot define exports");
    return NULL;
  }
  return exports;
}
