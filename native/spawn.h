// One spawn: what JS asked (read in one place, FIELDS in spawn.c), what the parent prepared for
// the child, and the child's set-up (child.c). To add a set-up step: a field here, a line in
// FIELDS (spawn.c), a step function (child.c; a fence step in fences.c) and a line in STEPS (child.c).
#ifndef TEND_SPAWN_H
#define TEND_SPAWN_H
#include "tend.h"

#include <sched.h>
#include <sys/resource.h>
#include <sys/types.h>

#define MAX_FDS 64
#define MAX_GROUPS 256
#define MAX_RLIMITS 16

// A JS number[] (F_NUMS).
typedef struct {
  int64_t *v;
  uint32_t n;
} num_list;

typedef struct {
  // --- from JS, by read_request (spawn.c)
  char *file;          // a path: PATH was searched by the caller
  char **argv, **envp; // NULL-terminated
  char *cwd;           // NULL: stay
  int fds[MAX_FDS];    // fd i of the child is a dup of fds[i]; -1: /dev/null
  int nfds;
  bool setsid_;        // a new session and process group
  bool ctty;           // fd 0 (a pty slave) becomes the controlling terminal (after setsid)
  char *cgroup_procs;  // the cgroup.procs file of the cgroup to join, or NULL
  bool cgroup_fresh;   // may be born there (clone3 CLONE_INTO_CGROUP)
  long nofile;         // RLIMIT_NOFILE; -1: leave
  long umask_;         // -1: leave
  long uid, gid;       // -1: leave
  // the fences (README "Sandboxing"): each off when absent
  char **rlimits;      // "NAME SOFT HARD" (prlimit names; -1: unlimited), applied strictly
  bool no_new_privs;   // PR_SET_NO_NEW_PRIVS, last before exec
  num_list caps;       // capability numbers kept in the bounding set (ambient for a non-root uid)
  bool caps_set;       // caps was given (an empty list drops them all)
  long nice;           // -20..19, or LONG_MIN: leave
  long oom_adj;        // -1000..1000, or LONG_MIN: leave
  num_list cpus;       // the CPU affinity
  bool userns, pidns, netns; // own user (0 -> tend's uid), pid (pid 1 there), network (lo only) namespaces
  char *hostname;      // own UTS namespace with this hostname
  char *proc_at;       // mount a fresh /proc here (own pid namespace)
  char **private_tmp;  // [source, target]: bind source (a tend-made dir) over target
  char **read_only;    // bind-remounted read-only (recursively)
  char **inaccessible; // an empty read-only tmpfs over a dir, /dev/null over a file
  char *root;          // chroot here (after the mounts)
  // --- prepared by the parent (spawn.c), where allocating and locking are allowed
  int cgroup_fd;       // cgroup_procs opened O_WRONLY, or -1
  int null_fd;         // /dev/null, when a slot needs it, or -1
  gid_t groups[MAX_GROUPS];
  int ngroups;         // -1: leave the supplementary groups alone
  int born_in_cgroup;  // clone3 put the child in the cgroup: no migration to do
  int ns_flags;        // CLONE_NEW* of the fences, given to clone3/clone
  bool mountns;        // a mount namespace (some fence mounts)
  struct {
    int res;
    struct rlimit lim;
  } lims[MAX_RLIMITS];
  int nlims;
  uint64_t cap_keep;   // the mask of caps
  int cap_last;        // /proc/sys/kernel/cap_last_cap
  bool ambient;        // raise cap_keep as ambient capabilities after the uid switch
  cpu_set_t cpu_set;
  char uid_map[32], gid_map[32]; // "0 OUTER 1\n", written by the child itself
  // own pid namespace: the child execs tend-init (init.c) from this fd slot, with init_argv
  // (tend-init FILE ARGV...); -1: the command itself
  int init_slot;
  int init_fd;         // the parent's O_PATH fd of tend-init, or -1
  char **init_argv;    // the strings are file's and argv's
} spawn_req;

// What a failed step leaves for the parent (shared memory until the child execs or exits).
typedef struct {
  volatile int err;
  volatile const char *step;
  volatile const char *detail; // the path or name the step was at, or NULL
} spawn_fail;

// fences.c: the clone flags, limits, capability mask, CPU set and user namespace maps of the
// request's fences; false after throwing a TypeError.
bool prepare_fences(napi_env env, spawn_req *r);
// fences.c: the fence steps of STEPS (child.c), in the order they run there.
int step_userns(const spawn_req *r, const char **at);
int step_nice(const spawn_req *r, const char **at);
int step_oom(const spawn_req *r, const char **at);
int step_affinity(const spawn_req *r, const char **at);
int step_mount_private(const spawn_req *r, const char **at);
int step_proc(const spawn_req *r, const char **at);
int step_private_tmp(const spawn_req *r, const char **at);
int step_read_only(const spawn_req *r, const char **at);
int step_inaccessible(const spawn_req *r, const char **at);
int step_chroot(const spawn_req *r, const char **at);
int step_hostname(const spawn_req *r, const char **at);
int step_lo(const spawn_req *r, const char **at);
int step_rlimits(const spawn_req *r, const char **at);
int step_capbset(const spawn_req *r, const char **at);
int step_keepcaps(const spawn_req *r, const char **at);
int step_ambient(const spawn_req *r, const char **at);
int step_no_new_privs(const spawn_req *r, const char **at);

// child.c: starts the child (clone3 into the cgroup when cgroup_dir_fd >= 0 and it can, else
// clone with the namespace flags, else vfork), which runs the steps and execs. Returns its pid, or -1 with errno. The parent is
// suspended until the child has exec'd or exited (CLONE_VFORK).
pid_t start_child(spawn_req *r, spawn_fail *f, int cgroup_dir_fd);

#endif
