// The fences (README "Sandboxing"): what the parent prepares for them (prepare_fences, called by
// spawn.c where allocating is allowed), and the child's set-up steps that fence a service in,
// run from STEPS in child.c between clone and exec. There the same rules hold: system calls
// only, nothing that allocates or locks (the child shares node's memory). A step returns 0 or an
// errno, and may point *at to the path or name it failed on.
#include "spawn.h"

#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <net/if.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

// --- the parent's part ----------------------------------------------------------------------------

// The prlimit(1) names of the resource limits.
static const struct {
  const char *name;
  int res;
} RLIMITS[] = {
    {"as", RLIMIT_AS}, {"core", RLIMIT_CORE}, {"cpu", RLIMIT_CPU}, {"data", RLIMIT_DATA},
    {"fsize", RLIMIT_FSIZE}, {"locks", RLIMIT_LOCKS}, {"memlock", RLIMIT_MEMLOCK},
    {"msgqueue", RLIMIT_MSGQUEUE}, {"nice", RLIMIT_NICE}, {"nofile", RLIMIT_NOFILE},
    {"nproc", RLIMIT_NPROC}, {"rss", RLIMIT_RSS}, {"rtprio", RLIMIT_RTPRIO},
    {"rttime", RLIMIT_RTTIME}, {"sigpending", RLIMIT_SIGPENDING}, {"stack", RLIMIT_STACK},
};

static bool parse_limit(const char *s, char **end, rlim_t *out) {
  long long v = strtoll(s, end, 10);
  if (*end == s || v < -1) return false;
  *out = v < 0 ? RLIM_INFINITY : (rlim_t)v;
  return true;
}

// What the fences need computed where allocating is allowed: the clone flags, the limits, the
// capability mask, the CPU set, the user namespace's maps. false after throwing a TypeError.
bool prepare_fences(napi_env env, spawn_req *r) {
  r->mountns = r->proc_at != NULL || r->private_tmp != NULL || r->read_only != NULL || r->inaccessible != NULL;
  r->ns_flags = (r->userns ? CLONE_NEWUSER : 0) | (r->mountns ? CLONE_NEWNS : 0) | (r->pidns ? CLONE_NEWPID : 0) |
                (r->netns ? CLONE_NEWNET : 0) | (r->hostname != NULL ? CLONE_NEWUTS : 0);
  if (r->private_tmp != NULL && (r->private_tmp[0] == NULL || r->private_tmp[1] == NULL)) {
    napi_throw_type_error(env, NULL, "spawn: privateTmp must be a [source, target] of paths");
    return false;
  }
  for (char **p = r->rlimits; p != NULL && *p != NULL; p++) {
    const char *sp = strchr(*p, ' ');
    size_t len = sp != NULL ? (size_t)(sp - *p) : 0;
    int res = -1;
    for (size_t i = 0; i < sizeof RLIMITS / sizeof RLIMITS[0] && sp != NULL; i++) {
      if (strlen(RLIMITS[i].name) == len && strncmp(RLIMITS[i].name, *p, len) == 0) res = RLIMITS[i].res;
    }
    char *end;
    struct rlimit lim;
    if (res < 0 || r->nlims >= MAX_RLIMITS || !parse_limit(sp + 1, &end, &lim.rlim_cur) || *end != ' ' ||
        !parse_limit(end + 1, &end, &lim.rlim_max) || *end != '\0') {
      char msg[300];
      snprintf(msg, sizeof msg, "spawn: rlimits: expected \"NAME SOFT HARD\" with a prlimit name, got \"%.200s\"", *p);
      napi_throw_type_error(env, NULL, msg);
      return false;
    }
    r->lims[r->nlims].res = res;
    r->lims[r->nlims].lim = lim;
    r->nlims++;
  }
  if (r->caps_set) {
    for (uint32_t i = 0; i < r->caps.n; i++) r->cap_keep |= 1ULL << r->caps.v[i];
    char buf[16];
    r->cap_last = read_small("/proc/sys/kernel/cap_last_cap", buf, sizeof buf) > 0 ? atoi(buf) : 63;
    r->ambient = r->uid > 0 && r->cap_keep != 0; // root gets the bounding set at exec anyway
  }
  CPU_ZERO(&r->cpu_set);
  for (uint32_t i = 0; i < r->cpus.n; i++) CPU_SET((int)r->cpus.v[i], &r->cpu_set);
  if (r->userns) {
    snprintf(r->uid_map, sizeof r->uid_map, "0 %lu 1\n", (unsigned long)geteuid());
    snprintf(r->gid_map, sizeof r->gid_map, "0 %lu 1\n", (unsigned long)getegid());
  }
  return true;
}

// --- the child's steps -----------------------------------------------------------------------------


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
int step_userns(const spawn_req *r, const char **at) {
  if (!r->userns) return 0;
  int err;
  if ((err = write_file("/proc/self/setgroups", "deny")) != 0) return err;
  if ((err = write_file("/proc/self/uid_map", r->uid_map)) != 0) return err;
  return write_file("/proc/self/gid_map", r->gid_map);
}

int step_nice(const spawn_req *r, const char **at) {
  return r->nice != LONG_MIN && setpriority(PRIO_PROCESS, 0, (int)r->nice) < 0 ? errno : 0;
}

// Before the mounts and the chroot: /proc is still the host's.
int step_oom(const spawn_req *r, const char **at) {
  if (r->oom_adj == LONG_MIN) return 0;
  char buf[16], tmp[16];
  long v = r->oom_adj < 0 ? -r->oom_adj : r->oom_adj;
  int n = 0, k = 0;
  do { tmp[k++] = (char)('0' + v % 10); v /= 10; } while (v > 0);
  if (r->oom_adj < 0) buf[n++] = '-';
  while (k > 0) buf[n++] = tmp[--k];
  buf[n] = '\0';
  int err = write_file("/proc/self/oom_score_adj", buf);
  // below the floor a privileged process set (tend's own is at or above it) needs CAP_SYS_RESOURCE:
  // without it the service runs with tend's, as under systemd (the journal and tend check say so:
  // config/host-fences.ts oomWarning)
  return err == EACCES || err == EPERM ? 0 : err;
}

int step_affinity(const spawn_req *r, const char **at) {
  return r->cpus.n > 0 && sched_setaffinity(0, sizeof r->cpu_set, &r->cpu_set) < 0 ? errno : 0;
}

// Own mount namespace (made by the clone): nothing mounted here propagates back to the host.
int step_mount_private(const spawn_req *r, const char **at) {
  return r->mountns && mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ? errno : 0;
}

// Own pid namespace: a /proc that shows it (ps, /proc/self).
int step_proc(const spawn_req *r, const char **at) {
  if (r->proc_at == NULL) return 0;
  *at = r->proc_at;
  return mount("proc", r->proc_at, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0 ? errno : 0;
}

int step_private_tmp(const spawn_req *r, const char **at) {
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

int step_read_only(const spawn_req *r, const char **at) {
  for (char **p = r->read_only; p != NULL && *p != NULL; p++) {
    int err = make_read_only(*p);
    if (err != 0) return *at = *p, err;
  }
  return 0;
}

// A directory under an empty read-only tmpfs of mode 000, a file under /dev/null on a read-only
// nodev mount: opening it fails (EACCES) for reads and writes, root's included (without nodev a
// write went to /dev/null and was lost in silence: a read-only mount does not stop a device).
int step_inaccessible(const spawn_req *r, const char **at) {
  for (char **p = r->inaccessible; p != NULL && *p != NULL; p++) {
    struct stat st;
    *at = *p;
    if (stat(*p, &st) < 0) return errno;
    if (S_ISDIR(st.st_mode)) {
      if (mount("tmpfs", *p, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=000,size=4k") < 0) return errno;
    } else {
      if (mount("/dev/null", *p, NULL, MS_BIND, NULL) < 0) return errno;
      if (mount(NULL, *p, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) return errno;
    }
  }
  return 0;
}

// After the mounts (made at their host paths under the root); cwd is then taken inside it.
int step_chroot(const spawn_req *r, const char **at) {
  if (r->root == NULL) return 0;
  *at = r->root;
  if (chroot(r->root) < 0) return errno;
  return chdir("/") < 0 ? errno : 0;
}

int step_hostname(const spawn_req *r, const char **at) {
  return r->hostname != NULL && sethostname(r->hostname, strlen(r->hostname)) < 0 ? errno : 0;
}

// Own network namespace: only lo, brought up (SIOCSIFFLAGS on a socket made in it).
int step_lo(const spawn_req *r, const char **at) {
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
int step_rlimits(const spawn_req *r, const char **at) {
  for (int i = 0; i < r->nlims; i++) {
    if (setrlimit(r->lims[i].res, &r->lims[i].lim) < 0) return *at = r->rlimits[i], errno;
  }
  return 0;
}

// Every capability not kept leaves the bounding set (needs CAP_SETPCAP: root, or in a user namespace).
int step_capbset(const spawn_req *r, const char **at) {
  if (!r->caps_set) return 0;
  for (int c = 0; c <= r->cap_last && c < 64; c++) {
    if ((r->cap_keep >> c) & 1) continue;
    if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL) return errno;
  }
  return 0;
}

// The permitted set survives the switch to a non-root uid (the effective one is cleared).
int step_keepcaps(const spawn_req *r, const char **at) {
  return r->ambient && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0 ? errno : 0;
}

// After the switch: the kept capabilities permitted, effective, inheritable, then ambient, so
// that they survive the exec of an ordinary program by a non-root uid. Only those still permitted:
// one tend does not hold (a container dropped it from the bounding set) the service runs without,
// as the journal's warning says (asking for it failed the spawn: capset refuses to add to the
// permitted set).
int step_ambient(const spawn_req *r, const char **at) {
  if (!r->ambient) return 0;
  struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[2];
  memset(data, 0, sizeof data);
  if (syscall(SYS_capget, &hdr, data) < 0) return errno;
  uint64_t keep = r->cap_keep & ((uint64_t)data[0].permitted | (uint64_t)data[1].permitted << 32);
  for (int i = 0; i < 2; i++) {
    data[i].effective = data[i].permitted = data[i].inheritable = (uint32_t)(keep >> (32 * i));
  }
  if (syscall(SYS_capset, &hdr, data) < 0) return errno;
  for (int c = 0; c <= r->cap_last && c < 64; c++) {
    if (((keep >> c) & 1) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) < 0) return errno;
  }
  return 0;
}

int step_no_new_privs(const spawn_req *r, const char **at) {
  return r->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ? errno : 0;
}
