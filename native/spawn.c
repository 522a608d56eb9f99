// ---------------------------------------------------------------------------------------------
// spawn(req: {file, argv, env, cwd?, fds, setsid?, ctty?, cgroupProcs?, cgroupFresh?, nofile?,
//             umask?, uid?, gid?, ...the fences: rlimits? ... root?}): number (FIELDS below)
//
// The one way tend starts a process (services and probes alike). Why native: child_process
// forks the whole node process (page tables of ~60 MB) and blocks until the child has exec'd:
// about 0.8 ms of the event loop per service here, and it has no hook between fork and exec, so
// joining a cgroup or switching user took a second exec of a helper. Here: vfork(2), or clone3
// straight into the cgroup (see child.c), so no page tables are copied, and the child sets
// itself up with system calls only (the steps in child.c) before the one exec of the command.
// A failing step makes this throw "spawn ARGV0: cannot STEP: strerror" with .code (e.g.
// "ENOENT") and .step; an exec failure says "spawn ARGV0: strerror".
//
// The caller owns the exit status: nothing in node waits for this pid, so the caller's reaper
// (reap) must take it.
#include "spawn.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

// --- the request: every field JS may pass, read in one place ----------------------------------

typedef enum { F_STRING, F_STRINGS, F_FDS, F_BOOL, F_UINT, F_INT, F_NUMS } field_kind;

static const struct field {
  const char *name;
  field_kind kind;
  size_t offset;
  bool required;
  long max; // F_UINT and F_INT (from 0, or from -max for F_INT); F_NUMS: each item, from 0
  const char *expected;
} FIELDS[] = {
    {"file", F_STRING, offsetof(spawn_req, file), true, 0, "a string (a path)"},
    {"argv", F_STRINGS, offsetof(spawn_req, argv), true, 0, "a string[] (not empty)"},
    {"env", F_STRINGS, offsetof(spawn_req, envp), true, 0, "a string[] of NAME=value"},
    {"cwd", F_STRING, offsetof(spawn_req, cwd), false, 0, "a string"},
    {"fds", F_FDS, offsetof(spawn_req, fds), true, 0, "a number[] of at most 64 fds (-1: /dev/null)"},
    {"setsid", F_BOOL, offsetof(spawn_req, setsid_), false, 0, "a boolean"},
    {"ctty", F_BOOL, offsetof(spawn_req, ctty), false, 0, "a boolean"},
    {"cgroupProcs", F_STRING, offsetof(spawn_req, cgroup_procs), false, 0, "a string (a cgroup.procs file)"},
    {"cgroupFresh", F_BOOL, offsetof(spawn_req, cgroup_fresh), false, 0, "a boolean"},
    {"nofile", F_UINT, offsetof(spawn_req, nofile), false, 0x7fffffff, "an integer 0..2^31-1"},
    {"umask", F_UINT, offsetof(spawn_req, umask_), false, 0777, "an integer 0..0o777"},
    {"uid", F_UINT, offsetof(spawn_req, uid), false, 0x7fffffff, "an integer 0..2^31-1"},
    {"gid", F_UINT, offsetof(spawn_req, gid), false, 0x7fffffff, "an integer 0..2^31-1"},
    // the fences (README "Sandboxing"), in the order the child applies them
    {"userns", F_BOOL, offsetof(spawn_req, userns), false, 0, "a boolean"},
    {"pidns", F_BOOL, offsetof(spawn_req, pidns), false, 0, "a boolean"},
    {"netns", F_BOOL, offsetof(spawn_req, netns), false, 0, "a boolean"},
    {"hostname", F_STRING, offsetof(spawn_req, hostname), false, 0, "a string"},
    {"nice", F_INT, offsetof(spawn_req, nice), false, 20, "an integer -20..19"},
    {"oomScoreAdj", F_INT, offsetof(spawn_req, oom_adj), false, 1000, "an integer -1000..1000"},
    {"cpus", F_NUMS, offsetof(spawn_req, cpus), false, CPU_SETSIZE - 1, "a number[] of CPUs 0..1023"},
    {"procAt", F_STRING, offsetof(spawn_req, proc_at), false, 0, "a string (a path)"},
    {"privateTmp", F_STRINGS, offsetof(spawn_req, private_tmp), false, 0, "a [source, target] of paths"},
    {"readOnly", F_STRINGS, offsetof(spawn_req, read_only), false, 0, "a string[] of paths"},
    {"inaccessible", F_STRINGS, offsetof(spawn_req, inaccessible), false, 0, "a string[] of paths"},
    {"root", F_STRING, offsetof(spawn_req, root), false, 0, "a string (a path)"},
    {"rlimits", F_STRINGS, offsetof(spawn_req, rlimits), false, 0, "a string[] of \"NAME SOFT HARD\" (-1: unlimited)"},
    {"capabilities", F_NUMS, offsetof(spawn_req, caps), false, 63, "a number[] of capabilities 0..63"},
    {"noNewPrivs", F_BOOL, offsetof(spawn_req, no_new_privs), false, 0, "a boolean"},
};

static char *dup_string(napi_env env, napi_value v) {
  size_t len = 0;
  if (napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) return NULL;
  char *out = malloc(len + 1);
  if (out == NULL) return NULL;
  if (napi_get_value_string_utf8(env, v, out, len + 1, &len) != napi_ok) { free(out); return NULL; }
  return out;
}

static void free_strings(char **list) {
  if (list == NULL) return;
  for (char **p = list; *p != NULL; p++) free(*p);
  free(list);
}

// A JS string[] as a NULL-terminated char*[]; NULL on a wrong type or no memory.
static char **string_list(napi_env env, napi_value arr) {
  bool is_array = false;
  uint32_t len = 0;
  if (napi_is_array(env, arr, &is_array) != napi_ok || !is_array || napi_get_array_length(env, arr, &len) != napi_ok) return NULL;
  char **out = calloc((size_t)len + 1, sizeof(char *));
  if (out == NULL) return NULL;
  for (uint32_t i = 0; i < len; i++) {
    napi_value el;
    if (napi_get_element(env, arr, i, &el) != napi_ok || (out[i] = dup_string(env, el)) == NULL) {
      free_strings(out);
      return NULL;
    }
  }
  return out;
}

// Reads one field into r; false when it is missing but required, or of a wrong type.
static bool read_field(napi_env env, napi_value obj, const struct field *f, spawn_req *r) {
  char *at = (char *)r + f->offset;
  napi_value v;
  napi_valuetype t;
  if (napi_get_named_property(env, obj, f->name, &v) != napi_ok || napi_typeof(env, v, &t) != napi_ok) return false;
  if (t == napi_undefined || t == napi_null) return !f->required;
  switch (f->kind) {
    case F_STRING:
      return t == napi_string && (*(char **)at = dup_string(env, v)) != NULL;
    case F_STRINGS:
      return (*(char ***)at = string_list(env, v)) != NULL;
    case F_BOOL:
      return t == napi_boolean && napi_get_value_bool(env, v, (bool *)at) == napi_ok;
    case F_UINT:
    case F_INT: {
      int64_t x;
      long min = f->kind == F_INT ? -f->max : 0;
      if (t != napi_number || napi_get_value_int64(env, v, &x) != napi_ok || x < min || x > f->max) return false;
      *(long *)at = (long)x;
      return true;
    }
    case F_NUMS: {
      num_list *out = (num_list *)at;
      bool is_array = false;
      uint32_t n = 0;
      if (napi_is_array(env, v, &is_array) != napi_ok || !is_array || napi_get_array_length(env, v, &n) != napi_ok) return false;
      if (f->offset == offsetof(spawn_req, caps)) r->caps_set = true;
      if (n == 0) return true;
      if ((out->v = calloc(n, sizeof *out->v)) == NULL) return false;
      out->n = n;
      for (uint32_t i = 0; i < n; i++) {
        napi_value el;
        if (napi_get_element(env, v, i, &el) != napi_ok || napi_get_value_int64(env, el, &out->v[i]) != napi_ok) return false;
        if (out->v[i] < 0 || out->v[i] > f->max) return false;
      }
      return true;
    }
    case F_FDS: {
      bool is_array = false;
      uint32_t n = 0;
      if (napi_is_array(env, v, &is_array) != napi_ok || !is_array || napi_get_array_length(env, v, &n) != napi_ok || n > MAX_FDS) return false;
      for (uint32_t i = 0; i < n; i++) {
        napi_value el;
        if (napi_get_element(env, v, i, &el) != napi_ok || napi_get_value_int32(env, el, &r->fds[i]) != napi_ok) return false;
      }
      r->nfds = (int)n;
      return true;
    }
  }
  return false;
}

static void free_request(spawn_req *r) {
  if (r->cgroup_fd >= 0) close(r->cgroup_fd);
  if (r->init_fd >= 0) close(r->init_fd);
  free(r->init_argv);
  if (r->null_fd >= 0) close(r->null_fd);
  free(r->file);
  free_strings(r->argv);
  free_strings(r->envp);
  free(r->cwd);
  free(r->cgroup_procs);
  free_strings(r->rlimits);
  free(r->caps.v);
  free(r->cpus.v);
  free(r->hostname);
  free(r->proc_at);
  free_strings(r->private_tmp);
  free_strings(r->read_only);
  free_strings(r->inaccessible);
  free(r->root);
  free(r);
}

// The request of a JS object; NULL after throwing a TypeError that names the bad field.
static spawn_req *read_request(napi_env env, napi_value obj) {
  napi_valuetype t;
  if (napi_typeof(env, obj, &t) != napi_ok || t != napi_object) {
    napi_throw_type_error(env, NULL, "spawn: expected one object {file, argv, env, cwd?, fds, setsid?, ctty?, cgroupProcs?, cgroupFresh?, nofile?, umask?, uid?, gid?, ...fences}");
    return NULL;
  }
  spawn_req *r = calloc(1, sizeof *r);
  if (r == NULL) {
    throw_code(env, "spawn", ENOMEM);
    return NULL;
  }
  r->cgroup_fd = r->null_fd = r->init_fd = r->init_slot = -1;
  r->nofile = r->umask_ = r->uid = r->gid = -1;
  r->nice = r->oom_adj = LONG_MIN;
  r->ngroups = -1;
  for (size_t i = 0; i < sizeof FIELDS / sizeof FIELDS[0]; i++) {
    const struct field *f = &FIELDS[i];
    if (!read_field(env, obj, f, r) || (f->offset == offsetof(spawn_req, argv) && r->argv[0] == NULL)) {
      char msg[200];
      snprintf(msg, sizeof msg, "spawn: %s must be %s", f->name, f->expected);
      napi_throw_type_error(env, NULL, msg);
      free_request(r);
      return NULL;
    }
  }
  return r;
}

// --- the parent's part: what the child needs prepared, the clone, the outcome ------------------

// Groups as login(1) sets them, looked up here where allocating is allowed.
static void prepare_user(spawn_req *r) {
  if (r->uid < 0 && r->gid < 0) return;
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

// /dev/null for the slots that ask for it, and the cgroup's files; false after throwing.
static bool prepare_files(napi_env env, spawn_req *r, int *cgroup_dir_fd) {
  for (int i = 0; i < r->nfds && r->null_fd < 0; i++) {
    if (r->fds[i] >= 0) continue;
    r->null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (r->null_fd < 0) {
      throw_code(env, "spawn: open /dev/null", errno);
      return false;
    }
  }
  if (r->cgroup_procs == NULL) return true;
  char what[1200];
  r->cgroup_fd = open(r->cgroup_procs, O_WRONLY | O_CLOEXEC);
  if (r->cgroup_fd < 0) {
    snprintf(what, sizeof what, "spawn %s: open %s", r->argv[0], r->cgroup_procs);
    throw_code(env, what, errno);
    return false;
  }
  if (r->cgroup_fresh) { // asked to be born there: clone3 needs the cgroup's directory
    snprintf(what, sizeof what, "%s", r->cgroup_procs);
    char *slash = strrchr(what, '/');
    if (slash != NULL) {
      *slash = '\0';
      *cgroup_dir_fd = open(what, O_RDONLY | O_DIRECTORY | O_CLOEXEC); // -1: the child migrates itself
    }
  }
  return true;
}

// tend-init beside this addon (native/build/Release), for a service with its own pid namespace:
// opened for the child to exec from an fd (a root_dir hides the path), in the slot after its
// fds. Without it (not built, no slot left, out of memory) the command is pid 1 itself, as before
// tend had an init.
static void prepare_init(spawn_req *r) {
  if (!r->pidns || r->nfds >= MAX_FDS) return;
  Dl_info info;
  if (dladdr((void *)prepare_init, &info) == 0 || info.dli_fname == NULL) return;
  char path[PATH_MAX];
  const char *slash = strrchr(info.dli_fname, '/');
  int dir = slash == NULL ? 0 : (int)(slash - info.dli_fname + 1);
  if (snprintf(path, sizeof path, "%.*stend-init", dir, info.dli_fname) >= (int)sizeof path) return;
  int n = 0;
  while (r->argv[n] != NULL) n++;
  char **av = calloc((size_t)n + 3, sizeof *av);
  if (av == NULL) return;
  r->init_fd = open(path, O_PATH | O_CLOEXEC);
  if (r->init_fd < 0) {
    free(av);
    return;
  }
  av[0] = "tend-init";
  av[1] = r->file;
  for (int i = 0; i < n; i++) av[i + 2] = r->argv[i];
  r->init_argv = av;
  r->init_slot = r->nfds;
  r->fds[r->nfds++] = r->init_fd;
}

napi_value spawn_process(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  spawn_req *r = read_request(env, argc >= 1 ? argv[0] : NULL);
  if (r == NULL) return NULL;
  napi_value result = NULL;
  int cgroup_dir_fd = -1;
  prepare_user(r);
  if (!prepare_fences(env, r) || !prepare_files(env, r, &cgroup_dir_fd)) goto out;
  prepare_init(r);

  spawn_fail fail = {0, NULL, NULL};
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  pid_t pid = start_child(r, &fail, cgroup_dir_fd);
  int clone_err = errno;
  pthread_sigmask(SIG_SETMASK, &old, NULL);

  char what[1200];
  const char *argv0 = r->argv[0];
  if (pid < 0) {
    if (r->ns_flags != 0) {
      snprintf(what, sizeof what, "spawn %s: cannot create the namespaces (%s%s%s%s%s)", argv0, r->userns ? "user " : "",
               r->mountns ? "mount " : "", r->pidns ? "pid " : "", r->netns ? "network " : "", r->hostname ? "UTS " : "");
      char *sp = strstr(what, " )");
      if (sp != NULL) memmove(sp, sp + 1, strlen(sp));
      throw_code_step(env, what, clone_err, "create the namespaces");
    } else {
      snprintf(what, sizeof what, "spawn %s: vfork", argv0);
      throw_code(env, what, clone_err);
    }
    goto out;
  }
  if (fail.err != 0) {
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
    const char *step = fail.step != NULL ? (const char *)fail.step : "start";
    if (strcmp(step, "exec") == 0) snprintf(what, sizeof what, "spawn %s", argv0);
    else if (strcmp(step, "chdir") == 0) snprintf(what, sizeof what, "spawn %s: cannot chdir to %s", argv0, r->cwd ? r->cwd : "");
    else if (fail.detail != NULL) {
      const char *d = (const char *)fail.detail;
      const char *sp = strcmp(step, "set the resource limit") == 0 ? strchr(d, ' ') : NULL; // "NAME SOFT HARD": the name
      snprintf(what, sizeof what, "spawn %s: cannot %s %.*s", argv0, step, sp != NULL ? (int)(sp - d) : (int)strlen(d), d);
    } else snprintf(what, sizeof what, "spawn %s: cannot %s", argv0, step);
    throw_code_step(env, what, fail.err, step);
    goto out;
  }
  napi_create_int32(env, pid, &result);

out:
  if (cgroup_dir_fd >= 0) close(cgroup_dir_fd);
  free_request(r);
  return result;
}
