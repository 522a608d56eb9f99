// The read end of a service's output pipe, read on the event loop into one reused buffer.
#include "direct.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/timerfd.h>
#include <unistd.h>
#include <uv.h>

// Reads in one wakeup: a flooding service cannot hold the loop from the others (the poll is
// level-triggered: what is left is read on the next turn).
#define READER_BATCH 16
// Nor for longer than this, whatever a read costs: with followers, JS sends every line of a read
// to each, and with 10 `logs -f` of a `yes` one wakeup's 16 reads held the loop for over a second
// (a `status` request waited 1.2-1.4 s).
#define READER_BUDGET_NS (5 * 1000 * 1000)

// Owned by two: the JS handle (its finalizer) and the uv handle (its close callback); freed by
// the last to let go.
typedef struct {
  uv_poll_t poll;
  // waiting for the shared pause to end (see pause_reader): the list it is in, else NULL
  void **list;
  void *prev, *next;
  // the other output pipe of the same process (stdout's for stderr's and back), or NULL
  void *sibling;
  int fd;
  // the pipe's buffer while it may still grow (see grow_if_full), else 0
  int pipe_size;
  int owners;
  bool closed;
  // the JS side wants reads (false once it refused one, or at the end)
  bool polling;
  // a pipe on the main loop: read through the middle pipe (see take)
  bool splices;
  // the fd is in the loop's epoll set (uv_poll_start)
  bool armed;
  napi_env env;
  napi_ref cb;
  napi_ref buf_ref;
  uint8_t *buf;
  size_t len;
  napi_async_context ctx;
  // the log's direct path (direct.c), or NULL; and which stream this is (0 stdout, 1 stderr)
  log_direct *direct;
  int stream;
} reader;


static void release(reader *r) {
  if (--r->owners == 0) free(r);
}

static void on_closed(uv_handle_t *h) {
  reader *r = (reader *)h->data;
  if (r->fd >= 0) close(r->fd);
  r->fd = -1;
  release(r);
}

// ---------------------------------------------------------------------------------------------
// The pause after a small read. A service writing fast in small writes (`yes | head -c`: 4 KiB a
// write) would wake tend for each of them: a read, a call into JS, a batch, ~15 us each, most of
// tend's CPU per MB. After a read of less than PAUSE_BELOW bytes a reader stops polling for
// PAUSE_US, so the pipe gathers more: ~20x fewer wakeups in the log benchmark, where the CPU
// saved is worth more than the wait. A read of more goes on at once (a fast writer is not held up,
// and its pipe, grown to 1 MiB once found full (grow_if_full), lasts a 400 MB/s writer ~2.5 ms).
// One timerfd for all readers: libuv's timers count milliseconds, and a pause of one would cap a
// writer at 256 KiB/ms.
#define PAUSE_BELOW (64 * 1024)
#define PAUSE_US 400
static bool pause_ready;
static int pause_fd = -1;
static uv_poll_t pause_poll;
static uv_loop_t *pause_loop;
static bool pause_armed;
// paused until the timer's next expiry
static void *paused_head;
// the timer expired: being read now (on_pause_end)
static void *due_head;

static void read_some(reader *r, int status);
static void middle_init(void);
static void on_readable(uv_poll_t *h, int status, int events);

static void arm(reader *r) {
  if (r->armed || r->closed) return;
  uv_poll_start(&r->poll, UV_READABLE, on_readable);
  r->armed = true;
}

static void disarm(reader *r) {
  if (!r->armed) return;
  uv_poll_stop(&r->poll);
  r->armed = false;
}

static void unlink_paused(reader *r) {
  if (r->list == NULL) return;
  reader *prev = r->prev, *next = r->next;
  if (prev) prev->next = next;
  else *r->list = next;
  if (next) next->prev = prev;
  r->prev = r->next = NULL;
  r->list = NULL;
}

static void push_paused(reader *r, void **list) {
  reader *head = (reader *)*list;
  r->list = list;
  r->prev = NULL;
  r->next = head;
  if (head) head->prev = r;
  *list = r;
}

// Why: at the end of a pause the pipe is read at once, not put back in the epoll set to be told
// it is readable: a writer that keeps writing is read pause after pause without an epoll_ctl
// (two a pause before) or a wakeup of its own. Only a pipe found empty is polled again.
static void on_pause_end(uv_poll_t *h, int status, int events) {
  uint64_t ticks;
  while (read(pause_fd, &ticks, sizeof ticks) < 0 && errno == EINTR) {
  }
  pause_armed = false;
  uv_unref((uv_handle_t *)&pause_poll);
  // the readers paused so far become due; one that pauses again waits for the next expiry
  due_head = paused_head;
  paused_head = NULL;
  for (reader *r = due_head; r != NULL; r = r->next) r->list = &due_head;
  while (due_head != NULL) {
    reader *r = (reader *)due_head;
    unlink_paused(r);
    if (!r->closed && r->polling) read_some(r, 0);
  }
}

// Whether r could be paused (else it goes on polling at once).
static bool pause_reader(reader *r) {
  if (pause_fd < 0 || r->poll.loop != pause_loop) return false;
  if (!pause_armed) {
    struct itimerspec its = {{0, 0}, {0, PAUSE_US * 1000}};
    if (timerfd_settime(pause_fd, 0, &its, NULL) != 0) return false;
    pause_armed = true;
    uv_ref((uv_handle_t *)&pause_poll); // a paused reader keeps the loop alive, as its poll did
  }
  disarm(r);
  push_paused(r, &paused_head);
  return true;
}

// Made on the first reader's loop (the daemon's main loop); elsewhere readers never pause.
static void pause_init(uv_loop_t *loop) {
  pause_ready = true;
  pause_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (pause_fd < 0) return;
  if (uv_poll_init(loop, &pause_poll, pause_fd) != 0) {
    close(pause_fd);
    pause_fd = -1;
    return;
  }
  pause_loop = loop;
  middle_init();
  uv_poll_start(&pause_poll, UV_READABLE, on_pause_end);
  uv_unref((uv_handle_t *)&pause_poll); // only while a pause is on
}

static void close_reader(napi_env env, reader *r) {
  if (r->closed) return;
  r->closed = true;
  disarm(r);
  unlink_paused(r);
  if (r->sibling) ((reader *)r->sibling)->sibling = NULL;
  r->sibling = NULL;
  if (r->cb) napi_delete_reference(env, r->cb);
  if (r->buf_ref) napi_delete_reference(env, r->buf_ref);
  if (r->ctx) napi_async_destroy(env, r->ctx);
  r->cb = NULL;
  r->buf_ref = NULL;
  r->ctx = NULL;
  if (r->direct) direct_release(r->direct);
  r->direct = NULL;
  uv_close((uv_handle_t *)&r->poll, on_closed);
}

// Calls onData(n); whether it asked to go on (anything but `false`).
static bool deliver(reader *r, ssize_t n) {
  napi_env env = r->env;
  napi_handle_scope scope;
  bool more = true;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return true;
  napi_value cb, global, arg, result;
  if (napi_get_reference_value(env, r->cb, &cb) == napi_ok && cb != NULL) {
    napi_get_global(env, &global);
    napi_create_int64(env, (int64_t)n, &arg);
    napi_status st = napi_make_callback(env, r->ctx, global, cb, 1, &arg, &result);
    if (st == napi_pending_exception) {
      napi_value err;
      if (napi_get_and_clear_last_exception(env, &err) == napi_ok) napi_fatal_exception(env, err);
    } else if (st == napi_ok) {
      bool b = true;
      napi_valuetype t;
      if (napi_typeof(env, result, &t) == napi_ok && t == napi_boolean && napi_get_value_bool(env, result, &b) == napi_ok) more = b;
    }
  }
  napi_close_handle_scope(env, scope);
  return more;
}

// Why: stdout and stderr are two pipes, with no order between them, and a pause holds one back.
// A process that prints its steps and then its error would otherwise have the error read (and
// logged) before the steps still waiting in the paused pipe. So a pipe that turns readable reads
// its paused sibling first: what was written before the pause ended comes first.
static void end_sibling_pause(reader *r) {
  reader *s = (reader *)r->sibling;
  if (s == NULL || s->list == NULL) return;
  unlink_paused(s);
  if (!s->closed && s->polling) read_some(s, 0);
}

// A service's output pipe grows to this when tend finds it full (see grow_if_full).
#define GROW_TO (1024 * 1024)

// Why: a pipe that tend finds full had its writer waiting on tend. `yes | head -c` fills the
// 256 KiB a pipe starts with (src/sys/addon.ts OUTPUT_PIPE_BYTES) in well under a millisecond
// while tend pauses (PAUSE_US) or frames and writes a batch, and then the writer sleeps until tend
// has read; with 1 MiB it runs on: in the log benchmark, 0.81-0.84 of supervisord's MB/s became
// 0.85-1.04 (median 0.955 of 20 runs), and with no growth a 64 KiB pipe gave half the MB/s. Only
// a pipe found full grows, as the kernel counts a pipe's whole buffer against an unprivileged
// user's pipe-user-pages-soft (past it, that user's new pipes get 8 KiB): quiet services keep
// theirs small. Checked once a wakeup (FIONREAD, the bytes waiting); a pipe that cannot grow
// (EPERM past the limits) is not asked again.
static void grow_if_full(reader *r) {
  if (r->pipe_size <= 0) return;
  int waiting = 0;
  if (ioctl(r->fd, FIONREAD, &waiting) != 0 || waiting < r->pipe_size) return;
  int got = fcntl(r->fd, F_SETPIPE_SZ, GROW_TO);
  r->pipe_size = got < 0 || got >= GROW_TO ? 0 : got;
}

// ---------------------------------------------------------------------------------------------
// The middle pipe. Why: read(2) on a pipe copies out of it with the pipe's lock held, and a writer
// that comes meanwhile waits for the lock, spinning while tend copies: in the log benchmark `head`
// spent 1.3-2% of all CPU samples in mutex_spin_on_owner on tend's 96 KiB reads. splice(2) into a
// pipe of tend's own moves the pages (references, not bytes) under that lock, and the copy is made
// out of tend's pipe, which no writer waits on: the spinning went to 0-0.1%, and the log
// benchmark's MB/s rose ~4% (medians of 18 runs each: 410 against 426 MB/s, 0.945 against 0.975
// of supervisord's). One middle pipe for the main loop's readers, which read one at a time: each
// splice is read out whole before the next, so it holds nothing between two reads.
static int mid_r = -1, mid_w = -1;

// Made with the pause timer, on the main loop; without it (no pipe, or a worker's loop) readers
// read their pipes directly.
static void middle_init(void) {
  int p[2];
  if (pipe2(p, O_CLOEXEC | O_NONBLOCK) != 0) return;
  mid_r = p[0];
  mid_w = p[1];
  // room for a whole read however its bytes lie in pages (a 96 KiB read of small writes may span
  // many); a middle pipe left smaller only makes the reads shorter
  fcntl(mid_w, F_SETPIPE_SZ, 1024 * 1024);
}

// One read of r into r->buf, as read(2) answers.
static ssize_t take(reader *r) {
  if (!r->splices || mid_r < 0) return read(r->fd, r->buf, r->len);
  ssize_t m = splice(r->fd, NULL, mid_w, NULL, r->len, SPLICE_F_NONBLOCK);
  if (m < 0 && errno != EAGAIN && errno != EINTR) {
    // splice refused (EINVAL: a pipe it cannot take; ENOSYS, EPERM: a sandbox without it): read
    // directly from now on, and an error of the fd itself, the read says again
    r->splices = false;
    return read(r->fd, r->buf, r->len);
  }
  if (m <= 0) return m; // the end, or EAGAIN (empty), EINTR: as read(2) would say
  // the middle pipe holds exactly these m bytes, and a read of m takes them all
  size_t got = 0;
  while (got < (size_t)m) {
    ssize_t k = read(mid_r, r->buf + got, (size_t)m - got);
    if (k > 0) got += (size_t)k;
    else if (k == 0 || errno != EINTR) {
      // cannot happen (tend holds both ends); were it to, what is left in the middle pipe must not
      // go to the next reader: it goes with the pipe, and every reader reads directly from now on
      close(mid_r);
      close(mid_w);
      mid_r = mid_w = -1;
      break;
    }
  }
  return got > 0 ? (ssize_t)got : read(r->fd, r->buf, r->len);
}

// Reads r until its pipe is empty (then polls it again), a small read (a pause), the batch or
// its time is used (polled: the loop's next turn reads on), the end, or the JS side refuses.
static void read_some(reader *r, int status) {
  end_sibling_pause(r);
  grow_if_full(r);
  uint64_t started = uv_hrtime();
  for (int k = 0; k < READER_BATCH && !r->closed && r->polling; k++) {
    if (k > 0 && uv_hrtime() - started > READER_BUDGET_NS) break;
    ssize_t n;
    do n = take(r);
    while (n < 0 && errno == EINTR);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (status < 0) n = 0; // the poll failed and nothing is left: the end
      else {
        direct_flush(r->direct);
        arm(r);
        return;
      }
    }
    if (n <= 0) {
      // the end (every writer gone), or an error reading: both end the output
      r->polling = false;
      disarm(r);
      direct_flush(r->direct);
      deliver(r, 0);
      close_reader(r->env, r);
      return;
    }
    // the direct path writes it (a full read: more follows, see direct_write), or JS takes it
    bool more = (size_t)n == r->len && k + 1 < READER_BATCH;
    bool written = r->direct != NULL && direct_write(r->direct, r->stream, r->buf, (size_t)n, more);
    if (!written && !deliver(r, n)) {
      r->polling = false;
      disarm(r);
      return;
    }
    if ((size_t)n < r->len) {
      // drained for now: the next read would say EAGAIN
      if (n >= PAUSE_BELOW || !pause_reader(r)) arm(r);
      return;
    }
  }
  direct_flush(r->direct);
  if (!r->closed && r->polling) arm(r);
}

static void on_readable(uv_poll_t *h, int status, int events) {
  read_some((reader *)h->data, status);
}

static void finalize_reader(napi_env env, void *data, void *hint) {
  reader *r = (reader *)data;
  if (!r->closed) close_reader(env, r);
  release(r);
}

static reader *reader_of(napi_env env, napi_value v) {
  void *data = NULL;
  if (napi_get_value_external(env, v, &data) != napi_ok) return NULL;
  return (reader *)data;
}

// ---------------------------------------------------------------------------------------------
// readerOpen(fd: number, buf: Buffer, onData: (n: number) => boolean | void, sibling?: handle,
//            direct?: handle, stream?: 0 | 1): handle
//
// Why native: the log hot path (issue 14). A net.Socket on a pipe reads 64 KiB at a time into a
// new buffer each read: faulted-in pages, garbage for the GC and a stream's machinery per chunk,
// most of tend's CPU per MB outside the framing. Here the fd is polled on the main loop and read
// into `buf` (which the caller reuses: onData must be done with buf[0, n) when it returns);
// onData(n) for n bytes, onData(0) once at the end (EOF or an error), after which the fd is
// closed. onData returning false pauses the reads until readerResume. sibling: the reader of the
// same process's other output pipe (see end_sibling_pause). direct: the log's direct path
// (directOpen, direct.c), which writes a read while it is on (onData is not called for it); stream:
// which of the process's streams this pipe is (0 stdout, 1 stderr).
napi_value reader_open(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd = -1;
  bool is_buf = false;
  napi_valuetype t = napi_undefined;
  void *data = NULL;
  size_t len = 0;
  if (argc < 3 || napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0 || napi_is_buffer(env, argv[1], &is_buf) != napi_ok ||
      !is_buf || napi_get_buffer_info(env, argv[1], &data, &len) != napi_ok || len == 0 || napi_typeof(env, argv[2], &t) != napi_ok ||
      t != napi_function) {
    napi_throw_type_error(env, NULL, "readerOpen: expected (fd: number >= 0, buf: Buffer (not empty), onData: function, sibling?)");
    return NULL;
  }
  reader *sibling = NULL;
  if (argc > 3 && napi_typeof(env, argv[3], &t) == napi_ok && t != napi_undefined) {
    sibling = reader_of(env, argv[3]);
    if (sibling == NULL) {
      napi_throw_type_error(env, NULL, "readerOpen: sibling must be a handle of readerOpen");
      return NULL;
    }
  }
  log_direct *direct = NULL;
  int32_t stream = 0;
  if (argc > 4 && napi_typeof(env, argv[4], &t) == napi_ok && t != napi_undefined) {
    direct = direct_of(env, argv[4]);
    if (direct == NULL || argc < 6 || napi_get_value_int32(env, argv[5], &stream) != napi_ok || stream < 0 || stream > 1) {
      napi_throw_type_error(env, NULL, "readerOpen: direct must be a handle of directOpen, with stream 0 or 1");
      return NULL;
    }
  }
  reader *r = calloc(1, sizeof *r);
  if (r == NULL) return throw_code(env, "output reader", ENOMEM);
  uv_loop_t *loop;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || uv_poll_init(loop, &r->poll, fd) != 0) {
    free(r);
    napi_throw_error(env, NULL, "output reader: cannot poll the fd on the event loop");
    return NULL;
  }
  if (!pause_ready) pause_init(loop);
  r->fd = fd;
  r->pipe_size = fcntl(fd, F_GETPIPE_SZ); // -1: not a pipe
  r->splices = r->pipe_size > 0 && mid_r >= 0 && loop == pause_loop;
  if (r->pipe_size >= GROW_TO) r->pipe_size = 0;
  r->owners = 2;
  r->env = env;
  r->buf = data;
  r->len = len;
  r->poll.data = r;
  napi_value name, handle;
  napi_create_reference(env, argv[2], 1, &r->cb);
  napi_create_reference(env, argv[1], 1, &r->buf_ref); // keeps buf (and so r->buf) alive
  napi_create_string_utf8(env, "tend:output", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, NULL, name, &r->ctx);
  if (sibling != NULL && !sibling->closed && sibling->sibling == NULL) {
    r->sibling = sibling;
    sibling->sibling = r;
  }
  if (direct != NULL) {
    direct_retain(direct);
    r->direct = direct;
    r->stream = stream;
  }
  r->polling = true;
  arm(r);
  CHECK(napi_create_external(env, r, finalize_reader, NULL, &handle));
  return handle;
}

// readerResume(handle): reads again after onData returned false (nothing once it has ended).
napi_value reader_resume(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  reader *r = argc < 1 ? NULL : reader_of(env, argv[0]);
  if (r == NULL) {
    napi_throw_type_error(env, NULL, "readerResume: expected a handle of readerOpen");
    return NULL;
  }
  if (!r->closed && !r->polling) {
    r->polling = true;
    if (r->list == NULL) arm(r);
  }
  return NULL;
}
