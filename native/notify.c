// systemd's notify protocol (sd_notify(3)), both ends: the datagram socket tend owns for its
// services (NOTIFY_SOCKET), and the one message tend sends to its own service manager.
#include "tend.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <uv.h>

// A message larger than this is dropped (and counted by the caller); systemd reads 4 KiB too.
#define NOTIFY_MAX 4096
// Datagrams read in one wakeup: a flood cannot hold the loop; the rest wait for the next turn.
#define NOTIFY_BATCH 64
// File descriptors one message may carry (FDSTORE=1, BARRIER=1): received and closed at once.
#define NOTIFY_FDS 16

// Owned by two: the JS handle (its finalizer) and the uv handle (its close callback); freed by
// the last to let go.
typedef struct {
  uv_poll_t poll;
  int fd;
  int owners;
  bool closed;
  napi_env env;
  napi_ref cb;
  napi_async_context ctx;
} notify_sock;

// An address as NOTIFY_SOCKET writes it: "/path" or "@abstract". Its length, or -1.
static socklen_t fill_addr(struct sockaddr_un *sa, const char *addr) {
  memset(sa, 0, sizeof *sa);
  sa->sun_family = AF_UNIX;
  size_t len = strlen(addr);
  if (len < 2 || len >= sizeof sa->sun_path) return (socklen_t)-1;
  if (addr[0] == '@') {
    memcpy(sa->sun_path + 1, addr + 1, len - 1); // sun_path[0] = 0: the abstract namespace
    return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
  }
  if (addr[0] != '/') return (socklen_t)-1;
  memcpy(sa->sun_path, addr, len);
  return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + 1);
}

static bool get_string(napi_env env, napi_value v, char *buf, size_t cap) {
  size_t len = 0;
  return napi_get_value_string_utf8(env, v, buf, cap, &len) == napi_ok && len + 1 < cap;
}

static void release(notify_sock *s) {
  if (--s->owners == 0) free(s);
}

static void on_closed(uv_handle_t *h) {
  notify_sock *s = (notify_sock *)h->data;
  close(s->fd);
  s->fd = -1;
  release(s);
}

static void close_sock(napi_env env, notify_sock *s) {
  if (s->closed) return;
  s->closed = true;
  uv_poll_stop(&s->poll);
  if (s->cb) napi_delete_reference(env, s->cb);
  if (s->ctx) napi_async_destroy(env, s->ctx);
  s->cb = NULL;
  s->ctx = NULL;
  uv_close((uv_handle_t *)&s->poll, on_closed);
}

// Descriptors received in one wakeup, closed once the messages were handled: a sender waiting on
// BARRIER=1 goes on (and may exit) only after its messages were attributed to it by its pid.
typedef struct {
  int fds[NOTIFY_BATCH * NOTIFY_FDS];
  size_t count;
} held_fds;

static void close_held(held_fds *h) {
  for (size_t i = 0; i < h->count; i++) close(h->fds[i]);
  h->count = 0;
}

// One datagram read: the sender's pid (0 when the kernel gave none) and its length; passed fds
// are kept in `held` (closed after the callback).
static ssize_t read_one(int fd, char *buf, pid_t *pid, held_fds *held) {
  struct iovec iov = {buf, NOTIFY_MAX};
  union {
    struct cmsghdr align;
    char b[CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(sizeof(int) * NOTIFY_FDS)];
  } ctl;
  struct msghdr mh = {0};
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  mh.msg_control = ctl.b;
  mh.msg_controllen = sizeof ctl.b;
  ssize_t n;
  do n = recvmsg(fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC | MSG_TRUNC);
  while (n < 0 && errno == EINTR);
  *pid = 0;
  if (n < 0) return -1;
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c != NULL; c = CMSG_NXTHDR(&mh, c)) {
    if (c->cmsg_level != SOL_SOCKET) continue;
    if (c->cmsg_type == SCM_CREDENTIALS && c->cmsg_len >= CMSG_LEN(sizeof(struct ucred))) {
      struct ucred cred;
      memcpy(&cred, CMSG_DATA(c), sizeof cred);
      *pid = cred.pid;
    } else if (c->cmsg_type == SCM_RIGHTS) {
      // nothing is stored: closing the fds (after the callback) also answers BARRIER=1
      size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      for (size_t i = 0; i < count; i++) {
        int passed;
        memcpy(&passed, CMSG_DATA(c) + i * sizeof(int), sizeof passed);
        if (held->count < sizeof held->fds / sizeof held->fds[0]) held->fds[held->count++] = passed;
        else close(passed);
      }
    }
  }
  return n;
}

static void on_readable(uv_poll_t *h, int status, int events) {
  notify_sock *s = (notify_sock *)h->data;
  if (s->closed || status < 0) return;
  napi_env env = s->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value list, cb, global, result;
  uint32_t count = 0;
  napi_create_array(env, &list);
  char buf[NOTIFY_MAX];
  static held_fds held; // one loop thread; emptied before return
  for (int k = 0; k < NOTIFY_BATCH; k++) {
    pid_t pid;
    ssize_t n = read_one(s->fd, buf, &pid, &held);
    if (n < 0) break;
    // each message: {pid, size, data} (data null when over NOTIFY_MAX: the caller counts the drop)
    napi_value msg, v;
    napi_create_object(env, &msg);
    napi_create_int32(env, pid, &v);
    napi_set_named_property(env, msg, "pid", v);
    napi_create_int64(env, n, &v);
    napi_set_named_property(env, msg, "size", v);
    if (n > NOTIFY_MAX) napi_get_null(env, &v);
    else napi_create_string_utf8(env, buf, (size_t)n, &v);
    napi_set_named_property(env, msg, "data", v);
    napi_set_element(env, list, count++, msg);
  }
  if (count > 0 && napi_get_reference_value(env, s->cb, &cb) == napi_ok && cb != NULL) {
    napi_get_global(env, &global);
    if (napi_make_callback(env, s->ctx, global, cb, 1, &list, &result) == napi_pending_exception) {
      napi_value err;
      if (napi_get_and_clear_last_exception(env, &err) == napi_ok) napi_fatal_exception(env, err);
    }
  }
  close_held(&held);
  napi_close_handle_scope(env, scope);
}

static void finalize_sock(napi_env env, void *data, void *hint) {
  notify_sock *s = (notify_sock *)data;
  if (!s->closed) close_sock(env, s);
  release(s);
}

// ---------------------------------------------------------------------------------------------
// notifyOpen(address: string, onMessages: (msgs: {pid, size, data: string | null}[]) => void)
//
// Why native: Node has no unix datagram sockets, and none of its sockets reads SCM_CREDENTIALS,
// the kernel-checked pid each message is attributed by. A socket(AF_UNIX, SOCK_DGRAM) bound to a
// path or an abstract name ("@..."), with SO_PASSCRED; libuv polls it on the main loop (unref'd:
// it keeps no process alive). Returns a handle for notifyClose.
napi_value notify_open(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  char addr[sizeof(((struct sockaddr_un *)0)->sun_path) + 1];
  napi_valuetype t = napi_undefined;
  if (argc < 2 || !get_string(env, argv[0], addr, sizeof addr) || napi_typeof(env, argv[1], &t) != napi_ok || t != napi_function) {
    napi_throw_type_error(env, NULL, "notifyOpen: expected (address: string of at most 107 bytes, onMessages: function)");
    return NULL;
  }
  struct sockaddr_un sa;
  socklen_t len = fill_addr(&sa, addr);
  if (len == (socklen_t)-1) {
    napi_throw_type_error(env, NULL, "notifyOpen: expected an absolute path or @name of at most 107 bytes");
    return NULL;
  }
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return throw_code(env, "notify socket: socket", errno);
  int one = 1;
  if (setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof one) != 0) {
    int err = errno;
    close(fd);
    return throw_code(env, "notify socket: setsockopt(SO_PASSCRED)", err);
  }
  if (bind(fd, (struct sockaddr *)&sa, len) != 0) {
    int err = errno;
    close(fd);
    char what[200];
    snprintf(what, sizeof what, "notify socket: bind %s", addr);
    return throw_code(env, what, err);
  }
  uv_loop_t *loop;
  notify_sock *s = calloc(1, sizeof *s);
  if (s == NULL) {
    close(fd);
    return throw_code(env, "notify socket", ENOMEM);
  }
  s->fd = fd;
  s->owners = 2;
  s->env = env;
  s->poll.data = s;
  napi_value name, handle;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || uv_poll_init(loop, &s->poll, fd) != 0) {
    close(fd);
    free(s);
    napi_throw_error(env, NULL, "notify socket: cannot poll it on the event loop");
    return NULL;
  }
  napi_create_reference(env, argv[1], 1, &s->cb);
  napi_create_string_utf8(env, "tend:notify", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, NULL, name, &s->ctx);
  uv_poll_start(&s->poll, UV_READABLE, on_readable);
  uv_unref((uv_handle_t *)&s->poll);
  CHECK(napi_create_external(env, s, finalize_sock, NULL, &handle));
  return handle;
}

// notifyClose(handle): stops reading and closes the socket (a path is unlinked by the caller).
napi_value notify_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  void *data = NULL;
  if (argc < 1 || napi_get_value_external(env, argv[0], &data) != napi_ok || data == NULL) {
    napi_throw_type_error(env, NULL, "notifyClose: expected a handle of notifyOpen");
    return NULL;
  }
  close_sock(env, (notify_sock *)data);
  return NULL;
}

// notifySend(address: string, text: string): one datagram to a notify socket ("/path" or
// "@abstract"), as sd_notify(3) sends it: tend under systemd says READY=1, STATUS=, STOPPING=1.
napi_value notify_send(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  char addr[sizeof(((struct sockaddr_un *)0)->sun_path) + 1];
  char text[NOTIFY_MAX + 1];
  if (argc < 2 || !get_string(env, argv[0], addr, sizeof addr) || !get_string(env, argv[1], text, sizeof text)) {
    napi_throw_type_error(env, NULL, "notifySend: expected (address: string of at most 107 bytes, text: string of at most 4096 bytes)");
    return NULL;
  }
  struct sockaddr_un sa;
  socklen_t len = fill_addr(&sa, addr);
  if (len == (socklen_t)-1) {
    napi_throw_type_error(env, NULL, "notifySend: expected an absolute path or @name of at most 107 bytes");
    return NULL;
  }
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_code(env, "notify: socket", errno);
  ssize_t n;
  do n = sendto(fd, text, strlen(text), MSG_NOSIGNAL | MSG_DONTWAIT, (struct sockaddr *)&sa, len);
  while (n < 0 && errno == EINTR);
  int err = errno;
  close(fd);
  if (n < 0) {
    char what[200];
    snprintf(what, sizeof what, "notify: sendto %s", addr);
    return throw_code(env, what, err);
  }
  return NULL;
}
