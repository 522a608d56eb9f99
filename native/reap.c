// Children's exits: the child subreaper, and reaping without stealing.
#include "tend.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

// ---------------------------------------------------------------------------------------------
// setChildSubreaper(): boolean
//
// Why native: prctl(2) has no Node binding. PR_SET_CHILD_SUBREAPER makes orphaned descendants
// (double-forked daemons) reparent to us instead of to PID 1, so we can see and reap them.
napi_value set_child_subreaper(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value result;
  CHECK(napi_get_boolean(env, prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0, &result));
  return result;
}

// ---------------------------------------------------------------------------------------------
// reap(only: Int32Array | number[] | null, procScan?: boolean): Array<{pid, code} | {pid, signo}>
//
// Why native: Node has no waitpid(2). It reaps only the children libuv spawned.
//
// only null: every child that is a zombie (the daemon: tend starts every child itself, and as a
// child subreaper it inherits orphans), by waitpid(-1, WNOHANG) until it says none is left: one
// call a zombie and one more, and the kernel's children of every thread of ours (an orphan is
// reparented to one thread of the subreaper). Why not list them first: the list was each thread's
// /proc/self/task/<tid>/children (12 files opened and read at each SIGCHLD of an idle daemon) and
// a waitpid of every child on it, live or not (500 calls at each exit, with 500 services).
// procScan: the same zombies found instead through every /proc/<pid>/stat whose ppid is us (the
// fallback of the listing, kept with its test; the daemon does not ask for it).
// only a list: waitpid each of those pids, and nothing else: a process that hosts tend's
// launcher beside other code (a test runner, a tool) must not take the exit status of a child
// libuv waits for (its later waitpid(pid) fails with ECHILD and node's 'exit' never fires).
// A live child returns 0 from waitpid(pid, WNOHANG) and is left alone; a zombie is reaped and
// reported.

typedef struct {
  napi_env env;
  napi_value array;
  uint32_t count;
  int failed;
} reap_ctx;

static void report(reap_ctx *c, pid_t pid, int status) {
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

static void reap_one(reap_ctx *c, pid_t pid) {
  if (pid <= 0) return;
  int status = 0;
  pid_t r;
  do {
    r = waitpid(pid, &status, WNOHANG);
  } while (r < 0 && errno == EINTR);
  if (r == pid) report(c, pid, status); // else alive (0), or not our child / already gone (-1 ECHILD)
}

// Every zombie child, one waitpid each, until none is left (0) or there are no children (ECHILD).
static void reap_all(reap_ctx *c) {
  for (;;) {
    int status = 0;
    pid_t r = waitpid(-1, &status, WNOHANG);
    if (r > 0) report(c, r, status);
    else if (r < 0 && errno == EINTR) continue;
    else return;
  }
}

ssize_t read_small(const char *path, char *buf, size_t cap) {
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

// procScan: every /proc/<pid>/stat whose ppid is us and state is Z.
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

napi_value reap_children(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  bool proc_scan = false;
  if (argc >= 2) napi_get_value_bool(env, argv[1], &proc_scan); // non-boolean: stays false
  const char *usage = "reap: only must be null, an Int32Array or a number[]";

  reap_ctx c = {env, NULL, 0, 0};
  CHECK(napi_create_array(env, &c.array));
  napi_valuetype t = napi_undefined;
  if (argc >= 1) CHECK(napi_typeof(env, argv[0], &t));
  if (t == napi_undefined || t == napi_null) {
    if (proc_scan) reap_from_proc_scan(&c);
    else reap_all(&c);
    return c.array;
  }
  bool is_typed = false, is_array = false;
  CHECK(napi_is_typedarray(env, argv[0], &is_typed));
  CHECK(napi_is_array(env, argv[0], &is_array));
  if (is_typed) {
    napi_typedarray_type type;
    size_t len;
    void *data;
    CHECK(napi_get_typedarray_info(env, argv[0], &type, &len, &data, NULL, NULL));
    if (type != napi_int32_array) {
      napi_throw_type_error(env, NULL, usage);
      return NULL;
    }
    // copied first: reap_one calls into N-API, which may run JS that changes the array
    int32_t *pids = len > 0 ? malloc(len * sizeof(int32_t)) : NULL;
    if (len > 0 && pids == NULL) return throw_errno(env, "reap: malloc", ENOMEM);
    if (len > 0) memcpy(pids, data, len * sizeof(int32_t));
    for (size_t i = 0; i < len; i++) reap_one(&c, pids[i]);
    free(pids);
  } else if (is_array) {
    uint32_t len;
    CHECK(napi_get_array_length(env, argv[0], &len));
    for (uint32_t i = 0; i < len; i++) {
      napi_value el;
      int32_t v = 0;
      if (napi_get_element(env, argv[0], i, &el) != napi_ok || napi_get_value_int32(env, el, &v) != napi_ok) {
        napi_throw_type_error(env, NULL, "reap: only must hold numbers only");
        return NULL;
      }
      reap_one(&c, v);
    }
  } else {
    napi_throw_type_error(env, NULL, usage);
    return NULL;
  }
  return c.array;
}
