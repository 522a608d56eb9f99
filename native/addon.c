// The module: its exports, and the errors every part throws.
#include "tend.h"

#include <stdio.h>
#include <string.h>

napi_value throw_errno(napi_env env, const char *what, int err) {
  char msg[256];
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(err));
  napi_throw_error(env, NULL, msg);
  return NULL;
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
    case ETXTBSY: return "ETXTBSY";
    case ELOOP: return "ELOOP";
    case ENAMETOOLONG: return "ENAMETOOLONG";
    default: return "ESPAWN";
  }
}

napi_value throw_code(napi_env env, const char *what, int err) {
  return throw_code_step(env, what, err, NULL);
}

napi_value throw_code_step(napi_env env, const char *what, int err, const char *step) {
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

NAPI_MODULE_INIT() {
  napi_property_descriptor props[] = {
      {"setChildSubreaper", NULL, set_child_subreaper, NULL, NULL, NULL, napi_enumerable, NULL},
      {"reap", NULL, reap_children, NULL, NULL, NULL, napi_enumerable, NULL},
      {"getPeerCred", NULL, get_peer_cred, NULL, NULL, NULL, napi_enumerable, NULL},
      {"spawn", NULL, spawn_process, NULL, NULL, NULL, napi_enumerable, NULL},
      {"pipe", NULL, make_pipe, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setPipeSize", NULL, set_pipe_size, NULL, NULL, NULL, napi_enumerable, NULL},
      {"frameLines", NULL, frame_lines, NULL, NULL, NULL, napi_enumerable, NULL},
      {"openPty", NULL, open_pty, NULL, NULL, NULL, napi_enumerable, NULL},
      {"trimMalloc", NULL, trim_malloc, NULL, NULL, NULL, napi_enumerable, NULL},
      {"dropCodePages", NULL, drop_code_pages, NULL, NULL, NULL, napi_enumerable, NULL},
      {"readerOpen", NULL, reader_open, NULL, NULL, NULL, napi_enumerable, NULL},
      {"readerResume", NULL, reader_resume, NULL, NULL, NULL, napi_enumerable, NULL},
      {"directOpen", NULL, direct_open, NULL, NULL, NULL, napi_enumerable, NULL},
      {"directOn", NULL, direct_on, NULL, NULL, NULL, napi_enumerable, NULL},
      {"directSync", NULL, direct_sync, NULL, NULL, NULL, napi_enumerable, NULL},
      {"directOff", NULL, direct_off, NULL, NULL, NULL, napi_enumerable, NULL},
      {"directLeft", NULL, direct_left, NULL, NULL, NULL, napi_enumerable, NULL},
      {"directClose", NULL, direct_close, NULL, NULL, NULL, napi_enumerable, NULL},
      {"notifyOpen", NULL, notify_open, NULL, NULL, NULL, napi_enumerable, NULL},
      {"notifyClose", NULL, notify_close, NULL, NULL, NULL, napi_enumerable, NULL},
      {"notifySend", NULL, notify_send, NULL, NULL, NULL, napi_enumerable, NULL},
      {"procStat", NULL, proc_stat, NULL, NULL, NULL, napi_enumerable, NULL},
      {"readPids", NULL, read_pids, NULL, NULL, NULL, napi_enumerable, NULL},
      {"reduceMemory", NULL, reduce_memory, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) {
    napi_throw_error(env, NULL, "tend_native: cannot define exports");
    return NULL;
  }
  return exports;
}
