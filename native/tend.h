// tend_native: the system calls a supervisor needs that Node.js does not expose, one file a
// concern (addon.c: the exports and errors; spawn.c + child.c + fences.c: starting a process; reap.c;
// pty.c; frame.c: log framing; reader.c: output pipes;
// direct.c: a log's reads framed and written in C; notify.c: sd_notify's socket; proc.c: /proc
// and cgroup.procs; misc.c).
// Plain C over N-API (node_api.h), no C++ and no node-addon-api, so it builds with any C compiler
// node-gyp finds and keeps ABI stability across Node versions.
#ifndef TEND_H
#define TEND_H
#define _GNU_SOURCE
#include <node_api.h>

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define CHECK(call)                                                                    \
  do {                                                                                 \
    if ((call) != napi_ok) {                                                           \
      napi_throw_error(env, NULL, "tend_native: N-API call failed: " #call);           \
      return NULL;                                                                     \
    }                                                                                  \
  } while (0)

// addon.c: errors thrown to JS
napi_value throw_errno(napi_env env, const char *what, int err);
// Error("WHAT: strerror") with .code ("ENOENT", ...) and, when step is not NULL, .step.
napi_value throw_code_step(napi_env env, const char *what, int err, const char *step);
napi_value throw_code(napi_env env, const char *what, int err);

// reap.c: a whole small /proc file into buf (NUL-terminated); its length, or -1
ssize_t read_small(const char *path, char *buf, size_t cap);

// the exports, one a concern (see NAPI_MODULE_INIT in addon.c)
napi_value set_child_subreaper(napi_env env, napi_callback_info info);
napi_value reap_children(napi_env env, napi_callback_info info);
napi_value spawn_process(napi_env env, napi_callback_info info);
napi_value open_pty(napi_env env, napi_callback_info info);
napi_value frame_lines(napi_env env, napi_callback_info info);
napi_value get_peer_cred(napi_env env, napi_callback_info info);
napi_value make_pipe(napi_env env, napi_callback_info info);
napi_value set_pipe_size(napi_env env, napi_callback_info info);
napi_value trim_malloc(napi_env env, napi_callback_info info);
napi_value drop_code_pages(napi_env env, napi_callback_info info);
napi_value reader_open(napi_env env, napi_callback_info info);
napi_value reader_resume(napi_env env, napi_callback_info info);
napi_value direct_open(napi_env env, napi_callback_info info);
napi_value direct_on(napi_env env, napi_callback_info info);
napi_value direct_sync(napi_env env, napi_callback_info info);
napi_value direct_off(napi_env env, napi_callback_info info);
napi_value direct_left(napi_env env, napi_callback_info info);
napi_value direct_close(napi_env env, napi_callback_info info);
napi_value notify_open(napi_env env, napi_callback_info info);
napi_value notify_close(napi_env env, napi_callback_info info);
napi_value notify_send(napi_env env, napi_callback_info info);
napi_value proc_stat(napi_env env, napi_callback_info info);
napi_value read_pids(napi_env env, napi_callback_info info);
napi_value reduce_memory(napi_env env, napi_callback_info info); // gc.cc

#endif
