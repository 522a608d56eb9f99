// tend_native: the three system calls a supervisor needs that Node.js does not expose.
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
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

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

NAPI_MODULE_INIT() {
  napi_property_descriptor props[] = {
      {"setChildSubreaper", NULL, set_child_subreaper, NULL, NULL, NULL, napi_enumerable, NULL},
      {"reapOrphans", NULL, reap_orphans, NULL, NULL, NULL, napi_enumerable, NULL},
      {"getPeerCred", NULL, get_peer_cred, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) {
    napi_throw_error(env, NULL, "tend_native: cannot define exports");
    return NULL;
  }
  return exports;
}
