// Reading /proc and cgroup.procs for status rows and /metrics, parsed in C. `tend status` and a
// scrape of /metrics read them for every process of every instance (500 services: 1000 reads),
// and readFileSync's open/fstat/read/close, the UTF-8 string and its split cost more than the read.
#include "tend.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// procStat(pid: number, out: Float64Array(4)): boolean
//   out = [utime + stime, cutime + cstime, starttime (clock ticks), rss (pages)]; false when the
//   pid is gone (out is then left as it was).
napi_value proc_stat(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t pid = -1;
  bool is_typed = false;
  if (argc >= 2) napi_is_typedarray(env, argv[1], &is_typed);
  if (argc < 2 || napi_get_value_int32(env, argv[0], &pid) != napi_ok || pid <= 0 || !is_typed) {
    napi_throw_type_error(env, NULL, "procStat: expected (pid: number > 0, out: Float64Array of 4)");
    return NULL;
  }
  napi_typedarray_type type;
  size_t length;
  void *data;
  CHECK(napi_get_typedarray_info(env, argv[1], &type, &length, &data, NULL, NULL));
  if (type != napi_float64_array || length < 4) {
    napi_throw_type_error(env, NULL, "procStat: expected (pid: number > 0, out: Float64Array of 4)");
    return NULL;
  }
  double *out = (double *)data;
  char path[40], buf[1024];
  snprintf(path, sizeof path, "/proc/%d/stat", pid);
  bool ok = false;
  ssize_t n = read_small(path, buf, sizeof buf);
  char *p = n > 0 ? strrchr(buf, ')') : NULL;
  if (p != NULL && p[1] == ' ') {
    // after "(comm) ": field 3 (state) is index 0; utime 14 -> 11, stime 12, cutime 13, cstime 14,
    // starttime 22 -> 19, rss 24 -> 21
    double f[22];
    int k = 0;
    char *s = p + 2;
    while (k < 22 && *s != '\0') {
      char *end;
      if (k == 0) {
        end = strchr(s, ' ');
        if (end == NULL) break;
        f[k++] = 0;
      } else {
        f[k++] = (double)strtoll(s, &end, 10);
        if (end == s) break;
      }
      s = end;
      while (*s == ' ') s++;
    }
    if (k == 22) {
      out[0] = f[11] + f[12];
      out[1] = f[13] + f[14];
      out[2] = f[19];
      out[3] = f[21];
      ok = true;
    }
  }
  napi_value result;
  CHECK(napi_get_boolean(env, ok, &result));
  return result;
}

// readPids(path: string, out: Int32Array): number
//   The pids of a cgroup.procs file into out; their count (more than out.length: call again with a
//   larger array), or -1 when the file cannot be read (the cgroup is gone).
napi_value read_pids(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  char path[4096];
  size_t plen = 0;
  bool is_typed = false;
  if (argc >= 2) napi_is_typedarray(env, argv[1], &is_typed);
  if (argc < 2 || !is_typed || napi_get_value_string_utf8(env, argv[0], path, sizeof path, &plen) != napi_ok || plen + 1 >= sizeof path) {
    napi_throw_type_error(env, NULL, "readPids: expected (path: string, out: Int32Array)");
    return NULL;
  }
  napi_typedarray_type type;
  size_t length;
  void *data;
  CHECK(napi_get_typedarray_info(env, argv[1], &type, &length, &data, NULL, NULL));
  if (type != napi_int32_array) {
    napi_throw_type_error(env, NULL, "readPids: expected (path: string, out: Int32Array)");
    return NULL;
  }
  int32_t *out = (int32_t *)data;
  char small[4096];
  char *buf = small;
  size_t cap = sizeof small;
  ssize_t n;
  for (;;) {
    n = read_small(path, buf, cap);
    if (n < 0 || (size_t)n + 1 < cap) break;
    char *bigger = buf == small ? malloc(cap * 4) : realloc(buf, cap * 4); // a big cgroup: read it whole
    if (bigger == NULL) break;
    buf = bigger;
    cap *= 4;
  }
  int32_t count = -1;
  if (n >= 0) {
    count = 0;
    for (char *s = buf; *s != '\0';) {
      char *end;
      long v = strtol(s, &end, 10);
      if (end == s) break;
      if ((size_t)count < length) out[count] = (int32_t)v;
      count++;
      s = end;
      while (*s == '\n' || *s == ' ') s++;
    }
  }
  if (buf != small) free(buf);
  napi_value result;
  CHECK(napi_create_int32(env, count, &result));
  return result;
}
