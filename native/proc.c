// Reading /proc and cgroup.procs for status rows and /metrics, parsed in C. `tend status` and a
// scrape of /metrics read them for every process of every instance (500 services: 1000 reads),
// and readFileSync's open/fstat/read/close, the UTF-8 string and its split cost more than the read.
//
// Each also reads from a descriptor the caller holds open (a number where a pid or path goes, as
// {fd}): the kernel regenerates these files on a read at offset 0, and the open (path walk, a
// seq_file set up) and close are two thirds of a read's cost (measured here: /proc/PID/stat 7.5 us
// opened each time, 3 us held; cgroup.procs 8-13 us, 2 us held).
#include "tend.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

// Reads a kernel-made file from offset 0 through a held fd; bytes read, or -1 (errno set: ESRCH
// for a process that is gone, ENODEV for a removed cgroup). A short read is the end: these files
// are seq_files, which fill the buffer asked for unless nothing is left.
static ssize_t pread_small(int fd, char *buf, size_t cap) {
  size_t n = 0;
  while (n + 1 < cap) {
    ssize_t r = pread(fd, buf + n, cap - 1 - n, (off_t)n);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return -1;
    n += (size_t)r;
    if (r == 0 || n + 1 < cap) break;
  }
  buf[n] = '\0';
  return (ssize_t)n;
}

// The first argument of both: a pid/path, or {fd} (a held descriptor): the fd, else -1.
static int32_t held_fd(napi_env env, napi_value v) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_object) return -1;
  napi_value fd;
  int32_t out = -1;
  if (napi_get_named_property(env, v, "fd", &fd) != napi_ok || napi_get_value_int32(env, fd, &out) != napi_ok) return -1;
  return out;
}

// Fields of /proc/PID/stat into out; false when the text is not a stat line.
static bool parse_stat(char *buf, double *out) {
  char *p = strrchr(buf, ')');
  if (p == NULL || p[1] != ' ') return false;
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
  if (k < 22) return false;
  out[0] = f[11] + f[12];
  out[1] = f[13] + f[14];
  out[2] = f[19];
  out[3] = f[21];
  return true;
}

// procStat(pid: number | {fd}, out: Float64Array(4)): boolean
//   out = [utime + stime, cutime + cstime, starttime (clock ticks), rss (pages)]; false when the
//   pid is gone (out is then left as it was). {fd}: an open /proc/PID/stat.
napi_value proc_stat(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t pid = -1;
  int32_t fd = argc >= 1 ? held_fd(env, argv[0]) : -1;
  bool is_typed = false;
  if (argc >= 2) napi_is_typedarray(env, argv[1], &is_typed);
  if (argc < 2 || (fd < 0 && (napi_get_value_int32(env, argv[0], &pid) != napi_ok || pid <= 0)) || !is_typed) {
    napi_throw_type_error(env, NULL, "procStat: expected (pid: number > 0 or {fd}, out: Float64Array of 4)");
    return NULL;
  }
  napi_typedarray_type type;
  size_t length;
  void *data;
  CHECK(napi_get_typedarray_info(env, argv[1], &type, &length, &data, NULL, NULL));
  if (type != napi_float64_array || length < 4) {
    napi_throw_type_error(env, NULL, "procStat: expected (pid: number > 0 or {fd}, out: Float64Array of 4)");
    return NULL;
  }
  char buf[1024];
  ssize_t n;
  if (fd >= 0) {
    n = pread_small(fd, buf, sizeof buf);
  } else {
    char path[40];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    n = read_small(path, buf, sizeof buf);
  }
  bool ok = n > 0 && parse_stat(buf, (double *)data);
  napi_value result;
  CHECK(napi_get_boolean(env, ok, &result));
  return result;
}

// readPids(path: string | {fd}, out: Int32Array): number
//   The pids of a cgroup.procs file into out; their count (more than out.length: call again with a
//   larger array), or -1 when the file cannot be read (the cgroup is gone). {fd}: an open one.
napi_value read_pids(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  char path[4096];
  size_t plen = 0;
  int32_t fd = argc >= 1 ? held_fd(env, argv[0]) : -1;
  bool is_typed = false;
  if (argc >= 2) napi_is_typedarray(env, argv[1], &is_typed);
  if (argc < 2 || !is_typed ||
      (fd < 0 && (napi_get_value_string_utf8(env, argv[0], path, sizeof path, &plen) != napi_ok || plen + 1 >= sizeof path))) {
    napi_throw_type_error(env, NULL, "readPids: expected (path: string or {fd}, out: Int32Array)");
    return NULL;
  }
  napi_typedarray_type type;
  size_t length;
  void *data;
  CHECK(napi_get_typedarray_info(env, argv[1], &type, &length, &data, NULL, NULL));
  if (type != napi_int32_array) {
    napi_throw_type_error(env, NULL, "readPids: expected (path: string or {fd}, out: Int32Array)");
    return NULL;
  }
  int32_t *out = (int32_t *)data;
  char small[4096];
  char *buf = small;
  size_t cap = sizeof small;
  ssize_t n;
  for (;;) {
    n = fd >= 0 ? pread_small(fd, buf, cap) : read_small(path, buf, cap);
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
