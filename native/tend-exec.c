// tend-exec: prepare the process, then exec the service's command in its place.
//
//   tend-exec [--cgroup PROCS_FILE] [--nofile N] [--umask OCTAL] [--uid N] [--gid N] -- CMD ARGS...
//
// Order matters: join the cgroup first (so everything after, and everything CMD forks, is
// accounted there and cannot escape), then the limits, then drop privileges last (writing to
// cgroup.procs needs them), then execvp. Nothing else: fds (a readiness fd 3 included), env,
// cwd, the session and process group set by the spawner are passed through untouched.
//
// Why a program and not Node: Node's spawn has no hook that runs in the child between fork and
// exec, and umask/rlimit are per-process. A `/bin/sh -c` shim does the same at the cost of one
// more exec of a shell (tend falls back to it when this binary is missing), but cannot switch
// user after joining the cgroup.
//
// Exit codes like env(1): 125 tend-exec itself failed, 126 CMD cannot run, 127 CMD not found.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

static const char *prog = "tend-exec";

static void fatal(const char *what, const char *obj, int err) {
  if (err) fprintf(stderr, "%s: fatal: unable to %s %s: %s\n", prog, what, obj, strerror(err));
  else fprintf(stderr, "%s: fatal: %s %s\n", prog, what, obj);
  _exit(125);
}

static long parse_num(const char *opt, const char *s, int base, long max) {
  char *end;
  errno = 0;
  long v = strtol(s, &end, base);
  if (errno != 0 || end == s || *end != '\0' || v < 0 || v > max) fatal("bad value for", opt, 0);
  return v;
}

static void join_cgroup(const char *procs) {
  int fd = open(procs, O_WRONLY | O_CLOEXEC);
  if (fd < 0) fatal("open", procs, errno);
  char buf[32];
  // "0" means "the writing process" in cgroup.procs; our own pid says the same explicitly.
  int n = snprintf(buf, sizeof buf, "%ld\n", (long)getpid());
  ssize_t w;
  do {
    w = write(fd, buf, (size_t)n);
  } while (w < 0 && errno == EINTR);
  if (w != n) fatal("join cgroup via", procs, w < 0 ? errno : EIO);
  close(fd);
}

static void set_nofile(long n) {
  struct rlimit rl = {(rlim_t)n, (rlim_t)n};
  if (setrlimit(RLIMIT_NOFILE, &rl) == 0) return;
  int err = errno;
  // Unprivileged (or above fs.nr_open): raise the soft limit as far as the hard one allows.
  struct rlimit cur;
  if (getrlimit(RLIMIT_NOFILE, &cur) == 0) {
    rlim_t want = (rlim_t)n < cur.rlim_max ? (rlim_t)n : cur.rlim_max;
    cur.rlim_cur = want;
    if (setrlimit(RLIMIT_NOFILE, &cur) == 0) {
      fprintf(stderr, "%s: warning: nofile %ld not allowed (%s); using %llu\n", prog, n,
              strerror(err), (unsigned long long)want);
      return;
    }
  }
  fatal("set RLIMIT_NOFILE to", "the requested value", err);
}

static void drop_privileges(long uid, long gid) {
  struct passwd *pw = uid >= 0 ? getpwuid((uid_t)uid) : NULL;
  if (gid < 0) gid = pw != NULL ? (long)pw->pw_gid : (long)getgid();
  // Supplementary groups: those of the user (like su/login), else none.
  if (pw != NULL) {
    if (initgroups(pw->pw_name, (gid_t)gid) != 0) fatal("initgroups for", pw->pw_name, errno);
  } else {
    gid_t g = (gid_t)gid;
    if (setgroups(1, &g) != 0) fatal("setgroups", "", errno);
  }
  if (setgid((gid_t)gid) != 0) fatal("setgid", "", errno);
  if (uid >= 0 && setuid((uid_t)uid) != 0) fatal("setuid", "", errno);
}

int main(int argc, char **argv) {
  const char *cgroup = NULL;
  long nofile = -1, umask_v = -1, uid = -1, gid = -1;
  int i = 1;
  for (; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "--") == 0) { i++; break; }
    if (i + 1 >= argc) fatal("missing value for", a, 0);
    if (strcmp(a, "--cgroup") == 0) cgroup = argv[++i];
    else if (strcmp(a, "--nofile") == 0) nofile = parse_num(a, argv[++i], 10, INT_MAX);
    else if (strcmp(a, "--umask") == 0) umask_v = parse_num(a, argv[++i], 8, 0777);
    else if (strcmp(a, "--uid") == 0) uid = parse_num(a, argv[++i], 10, INT_MAX);
    else if (strcmp(a, "--gid") == 0) gid = parse_num(a, argv[++i], 10, INT_MAX);
    else fatal("unknown option", a, 0);
  }
  if (i >= argc) fatal("no command given after", "--", 0);

  if (cgroup != NULL) join_cgroup(cgroup);
  if (nofile >= 0) set_nofile(nofile);
  if (umask_v >= 0) umask((mode_t)umask_v);
  if (uid >= 0 || gid >= 0) drop_privileges(uid, gid);

  execvp(argv[i], &argv[i]);
  int err = errno;
  fprintf(stderr, "%s: unable to exec %s: %s\n", prog, argv[i], strerror(err));
  return err == ENOENT ? 127 : 126;
}
