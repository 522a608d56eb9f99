// One spawn: what JS asked (read in one place, FIELDS in spawn.c), what the parent prepared for
// the child, and the child's set-up (child.c). To add a set-up step: a field here, a line in
// FIELDS (spawn.c), a step function and a line in STEPS (child.c).
#ifndef TEND_SPAWN_H
#define TEND_SPAWN_H
#include "tend.h"

#include <sys/types.h>

#define MAX_FDS 64
#define MAX_GROUPS 256

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
  // --- prepared by the parent (spawn.c), where allocating and locking are allowed
  int cgroup_fd;       // cgroup_procs opened O_WRONLY, or -1
  int null_fd;         // /dev/null, when a slot needs it, or -1
  gid_t groups[MAX_GROUPS];
  int ngroups;         // -1: leave the supplementary groups alone
  int born_in_cgroup;  // clone3 put the child in the cgroup: no migration to do
} spawn_req;

// What a failed step leaves for the parent (shared memory until the child execs or exits).
typedef struct {
  volatile int err;
  volatile const char *step;
} spawn_fail;

// child.c: starts the child (clone3 into the cgroup when cgroup_dir_fd >= 0 and it can, else
// vfork), which runs the steps and execs. Returns its pid, or -1 with errno. The parent is
// suspended until the child has exec'd or exited (CLONE_VFORK).
pid_t start_child(spawn_req *r, spawn_fail *f, int cgroup_dir_fd);

#endif
