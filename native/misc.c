// The small ones: peer credentials, pipes and their size, giving the C heap back.
#include "tend.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

// ---------------------------------------------------------------------------------------------
// getPeerCred(fd: number): {pid, uid, gid}
//
// Why native: net.Socket exposes no getsockopt(2). SO_PEERCRED gives the kernel-checked
// credentials of the process at the other end of a unix socket, which is how the control socket
// refuses a peer of another uid (a file mode alone does not hold against root-owned fds passed on).
napi_value get_peer_cred(napi_env env, napi_callback_info info) {
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

// pipe(): [readFd, writeFd], both O_CLOEXEC (a spawned child gets only what spawn() dup2s).
napi_value make_pipe(napi_env env, napi_callback_info info) {
  (void)info;
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) return throw_code(env, "pipe", errno);
  napi_value arr, v;
  CHECK(napi_create_array_with_length(env, 2, &arr));
  CHECK(napi_create_int32(env, p[0], &v));
  CHECK(napi_set_element(env, arr, 0, v));
  CHECK(napi_create_int32(env, p[1], &v));
  CHECK(napi_set_element(env, arr, 1, v));
  return arr;
}

// setPipeSize(fd, bytes): number -- fcntl(F_SETPIPE_SZ); the size the kernel gave, or -1.
// bytes 0: only asks (F_GETPIPE_SZ).
//
// Why: with the default 64 KiB a chatty service and tend take turns every 64 KiB (a context
// switch each way); 256 KiB lets the writer run on while tend reads (2-3x the MB/s here), and a
// pipe found full grows to 1 MiB (native/reader.c grow_if_full). The pages are allocated only as
// data waits, and an unprivileged user past pipe-user-pages-soft would get 8 KiB pipes: on
// failure the pipe simply keeps its size.
napi_value set_pipe_size(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd = -1, bytes = 0;
  if (argc < 2 || napi_get_value_int32(env, argv[0], &fd) != napi_ok || napi_get_value_int32(env, argv[1], &bytes) != napi_ok || fd < 0 || bytes < 0) {
    napi_throw_type_error(env, NULL, "setPipeSize: expected (fd: number >= 0, bytes: number >= 0)");
    return NULL;
  }
  int got = bytes == 0 ? fcntl(fd, F_GETPIPE_SZ) : fcntl(fd, F_SETPIPE_SZ, bytes);
  napi_value result;
  CHECK(napi_create_int32(env, got < 0 ? -1 : got, &result));
  return result;
}

/*
 * trimMalloc(): gives the C heap's free pages back to the kernel (glibc's malloc_trim(0), which
 * also releases free pages inside each arena, not only at its top). V8 frees what it malloc'd at
 * a garbage collection; glibc keeps such memory mapped for reuse. True when memory was released;
 * false where glibc is not the allocator (nothing to do there).
 */
napi_value trim_malloc(napi_env env, napi_callback_info info) {
  (void)info;
  int released = 0;
#ifdef __GLIBC__
  released = malloc_trim(0);
#endif
  napi_value v;
  CHECK(napi_get_boolean(env, released != 0, &v));
  return v;
}

/*
 * dropCodePages(): the resident bytes it unmapped. Forgets this process's mappings of
 * code and read-only data from files (node, its libraries, the addon): private mappings that are
 * not writable and hold no page of their own (Anonymous: 0 kB in /proc/self/smaps, so nothing
 * is lost: a page used again is mapped again from the page cache, a minor fault). Why: start-up
 * runs much code once (the config parser, V8's snapshot, the modules' first compilation) whose
 * pages stay mapped, counted in the daemon's RSS and PSS for good; the kernel would unmap them
 * only under memory pressure.
 */
napi_value drop_code_pages(napi_env env, napi_callback_info info) {
  (void)info;
  double dropped = 0;
  FILE *f = fopen("/proc/self/smaps", "re");
  if (f != NULL) {
    char line[512];
    unsigned long start = 0, end = 0, inode = 0;
    char perms[5] = "";
    long rss = -1, anon = -1, locked = -1;
    bool have = false;
    for (;;) {
      bool eof = fgets(line, sizeof line, f) == NULL;
      unsigned long s, e, off, ino;
      unsigned int maj, mnr;
      char p[5];
      bool header = !eof && sscanf(line, "%lx-%lx %4s %lx %x:%x %lu", &s, &e, p, &off, &maj, &mnr, &ino) == 7;
      if ((eof || header) && have) {
        // the mapping read so far
        if (inode != 0 && perms[0] == 'r' && perms[1] == '-' && perms[3] == 'p' && rss > 0 && anon == 0 && locked == 0 &&
            madvise((void *)start, end - start, MADV_DONTNEED) == 0)
          dropped += (double)rss * 1024;
        have = false;
      }
      if (eof) break;
      if (header) {
        start = s;
        end = e;
        inode = ino;
        memcpy(perms, p, sizeof perms);
        rss = anon = locked = -1;
        have = true;
        continue;
      }
      long kb;
      if (sscanf(line, "Rss: %ld kB", &kb) == 1) rss = kb;
      else if (sscanf(line, "Anonymous: %ld kB", &kb) == 1) anon = kb;
      else if (sscanf(line, "Locked: %ld kB", &kb) == 1) locked = kb;
    }
    fclose(f);
  }
  napi_value v;
  CHECK(napi_create_double(env, dropped, &v));
  return v;
}
