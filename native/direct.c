// The direct path of a service's log: a read of its output pipe framed and written to its log
// file here, with no call into JavaScript for it (issue 14, docs/logs.md "The direct path").
#include "direct.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

// Why: in the log benchmark each read cost the daemon a call into JS and the work there, ~20 us,
// against ~100 us for the rest of a 96 KiB read (docs/logs.md: the daemon's CPU for a 200 MB
// burst fell from 230-330 ms to 200-230 with this path). So while the JS side (src/logs/sink.ts) finds its
// file open, healthy, written in place and with nothing queued, and no one follows the lines
// live, it turns this path on (directOn): every read of the service's pipes is framed as
// src/logs/frame.ts frames it (the same prefix, the same partial-line rules) and written with
// write(2) at once, as the JS path would have written it, so the file's order is the same. What
// JS keeps (the bytes written, the lines for `tend logs -f`'s join, the in-memory tail) it learns
// every SYNC_MS, and whenever it asks (directSync). Whatever this path cannot do it hands back
// before it happens: a write past the file's rotation, a write that fails or is slow; JS is told
// (kind 2), takes the partial lines and the bytes not written, and goes on as before.

// "2026-11-25T15:35:11.123Z out ": src/logs/line.ts Stamp
#define PREFIX_LEN 29
// a partial line is cut into a line of its own at this many bytes (src/logs/frame.ts MAX_PARTIAL)
#define MAX_PARTIAL (256 * 1024)
// a write that took longer hands the file back to JS for good (src/logs/file.ts SLOW_IN_PLACE_MS)
#define SLOW_NS (50LL * 1000 * 1000)
// how stale the JS side's figures may get while bytes go this way
#define SYNC_MS 20

enum { EVENT_SYNC = 1, EVENT_HANDOVER = 2 };
// the shared Float64Array: what directSync reports
enum { ST_BYTES, ST_LINES, ST_RAW, ST_LAST_MS, ST_SAME, ST_SLOW, ST_ERRNO, ST_COUNT };

typedef struct {
  uint8_t *p;
  size_t len, cap;
} bytes;

struct log_direct {
  // the JS handle, each reader attached (direct_retain), the timer
  int owners;
  bool finalized;
  napi_env env;
  napi_ref cb;
  napi_ref stats_ref;
  double *stats;
  napi_async_context ctx;
  uv_timer_t timer;
  bool timer_armed;
  // JS allows writes (directOn), until a handover or directOff
  bool on;
  int fd;
  // bytes the file may take before its rotation; -1: no limit
  int64_t room;
  // the partial line of each stream (0 stdout, 1 stderr)
  bytes partial[2];
  // framed lines since the last sync: the last of them within the tail's limits
  bytes tail;
  size_t tail_lines, tail_bytes;
  // framed bytes not written (a failed or short write), for JS
  bytes left;
  // since the last sync
  int64_t written, lines, raw;
  // the time of the last line framed, and how many lines were framed in that millisecond
  int64_t last_ms, same;
  bool slow;
  int err;
  // where the next write lands (the file is opened O_APPEND: its size), for ALIGN; -1: unknown
  int64_t pos;
  // the prefixes of pre_ms
  int64_t pre_ms;
  char pre[2][PREFIX_LEN + 1];
};

// The framing of one read: one buffer a thread, as reads are framed and written one at a time (a
// buffer a log would hold ~130 KiB for each chatty service). initial-exec: in a module loaded by
// dlopen the default model looks the variable up through __tls_get_addr at each use, 2.5% of the
// daemon's CPU samples in a burst of the log benchmark; this one is an offset from the thread
// pointer (glibc keeps room for a few such variables of modules loaded later).
static __thread __attribute__((tls_model("initial-exec"))) bytes framed;

static bool grow(bytes *b, size_t need) {
  if (need <= b->cap) return true;
  size_t cap = b->cap < 4096 ? 4096 : b->cap;
  while (cap < need) cap *= 2;
  uint8_t *p = realloc(b->p, cap);
  if (p == NULL) return false;
  b->p = p;
  b->cap = cap;
  return true;
}

static bool append(bytes *b, const void *p, size_t n) {
  if (n == 0) return true;
  if (!grow(b, b->len + n)) return false;
  memcpy(b->p + b->len, p, n);
  b->len += n;
  return true;
}

static void drop(bytes *b) {
  free(b->p);
  b->p = NULL;
  b->len = b->cap = 0;
}

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t mono_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static char *digits(char *p, int v, int width) {
  for (int i = width - 1; i >= 0; i--, v /= 10) p[i] = (char)('0' + v % 10);
  return p + width;
}

// The prefix of a line of `stream` read at `ms`, as JS's new Date(ms).toISOString() writes it
// (years 0-9999).
static const char *prefix(log_direct *d, int64_t ms, int stream) {
  if (ms != d->pre_ms) {
    time_t s = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&s, &tm);
    char *p = d->pre[0];
    p = digits(p, tm.tm_year + 1900, 4);
    *p++ = '-';
    p = digits(p, tm.tm_mon + 1, 2);
    *p++ = '-';
    p = digits(p, tm.tm_mday, 2);
    *p++ = 'T';
    p = digits(p, tm.tm_hour, 2);
    *p++ = ':';
    p = digits(p, tm.tm_min, 2);
    *p++ = ':';
    p = digits(p, tm.tm_sec, 2);
    *p++ = '.';
    p = digits(p, (int)(ms % 1000), 3);
    memcpy(p, "Z out ", 7);
    memcpy(d->pre[1], d->pre[0], PREFIX_LEN + 1);
    memcpy(d->pre[1] + 25, "err", 3);
    d->pre_ms = ms;
  }
  return d->pre[stream];
}

// Where the kept part of framed lines b[0, len) begins: the last tail_lines lines within
// tail_bytes, and the last line whole however long (as src/logs/tail.ts keeps a whole batch).
static size_t tail_from(log_direct *d, const uint8_t *b, size_t len) {
  size_t from = len, count = 0;
  while (from > 0 && count < d->tail_lines) {
    // the line ending at from - 1 starts after the newline before it
    const uint8_t *nl = from >= 2 ? memrchr(b, '\n', from - 1) : NULL;
    size_t start = nl == NULL ? 0 : (size_t)(nl - b) + 1;
    if (count > 0 && len - start > d->tail_bytes) break;
    from = start;
    count++;
  }
  return from;
}

static void keep_tail(log_direct *d, const uint8_t *b, size_t len) {
  if (len == 0) return;
  size_t from = tail_from(d, b, len);
  if (from > 0) {
    // these lines alone fill the tail
    d->tail.len = 0;
    append(&d->tail, b + from, len - from);
    return;
  }
  if (!append(&d->tail, b, len)) return;
  from = tail_from(d, d->tail.p, d->tail.len);
  if (from > 0) {
    memmove(d->tail.p, d->tail.p + from, d->tail.len - from);
    d->tail.len -= from;
  }
}

static void on_timer(uv_timer_t *t);

// Calls the JS side's onEvent(kind).
static void tell(log_direct *d, int kind) {
  if (d->finalized || d->cb == NULL) return;
  napi_env env = d->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value cb, global, arg, result;
  if (napi_get_reference_value(env, d->cb, &cb) == napi_ok && cb != NULL) {
    napi_get_global(env, &global);
    napi_create_int32(env, kind, &arg);
    if (napi_make_callback(env, d->ctx, global, cb, 1, &arg, &result) == napi_pending_exception) {
      napi_value err;
      if (napi_get_and_clear_last_exception(env, &err) == napi_ok) napi_fatal_exception(env, err);
    }
  }
  napi_close_handle_scope(env, scope);
}

static void hand_over(log_direct *d) {
  d->on = false;
  tell(d, EVENT_HANDOVER);
}

// What a batch of reads has framed for one log and not written yet: framed[held_from, framed.len),
// the log's (holder), or nothing (NULL). See direct_write's `more`.
static __thread __attribute__((tls_model("initial-exec"))) log_direct *holder;
static __thread __attribute__((tls_model("initial-exec"))) size_t held_from;

// Why hold: the page cache makes a file's pages in folios as large as a write's length and
// place allow, and a write that ends inside 64 KiB leaves small folios at its end, which the next
// write starts after. 258 MB in writes of 124 KiB into a new file took 81-103 ms of the kernel's
// time at any offset, 62-79 ms when each write ended on a 64 KiB boundary of the file (4 rounds).
#define ALIGN (64 * 1024)

// Writes framed[from, to) to d's file. False: a write failed; what it left of framed[from, len)
// is d->left, for JS. *slow: the writes took over SLOW_NS.
static bool write_out(log_direct *d, size_t from, size_t to, bool *slow) {
  bytes *out = &framed;
  size_t w = from;
  int64_t t0 = mono_ns();
  while (w < to) {
    ssize_t k = write(d->fd, out->p + w, to - w);
    if (k > 0) w += (size_t)k;
    else if (k < 0 && errno == EINTR) continue;
    else {
      d->err = k < 0 ? errno : ENOSPC;
      break;
    }
  }
  if (mono_ns() - t0 > SLOW_NS) *slow = true;
  d->written += (int64_t)(w - from);
  if (d->pos >= 0) d->pos += (int64_t)(w - from);
  if (w == to) return true;
  append(&d->left, out->p + w, out->len - w);
  d->pos = -1;
  return false;
}

// What d holds goes to JS as bytes not written (d->left), before a handover.
static void give_held(log_direct *d) {
  if (holder != d) return;
  append(&d->left, framed.p + held_from, framed.len - held_from);
  holder = NULL;
  framed.len = held_from = 0;
}

// Writes what d holds. True: the path is still on.
bool direct_flush(log_direct *d) {
  if (d == NULL || holder != d) return true;
  holder = NULL;
  bool slow = false, ok = write_out(d, held_from, framed.len, &slow);
  framed.len = held_from = 0;
  if (!ok || slow) {
    if (slow) d->slow = true;
    hand_over(d);
    return false;
  }
  return true;
}

// Frames the n bytes of chunk (read from `stream`) and writes them. True: done with them (written,
// held, or handed to JS as bytes not written); false: the path was off, or the write would pass
// the file's rotation: JS has been told and takes the chunk itself (it is as it was). more: another
// read of the same batch follows at once (reader.c), so what would end the write inside an ALIGN of
// the file may wait for it, held; the reader calls direct_flush before it stops reading.
bool direct_write(log_direct *d, int stream, const uint8_t *chunk, size_t n, bool more) {
  if (!d->on || n == 0) return false;
  // (a reader flushes its log before it stops reading: another log's bytes are never here)
  if (holder != NULL && holder != d) direct_flush(holder);
  int64_t ms = now_ms();
  const char *pre = prefix(d, ms, stream);
  bytes *part = &d->partial[stream];
  const uint8_t *last = memrchr(chunk, '\n', n);
  size_t done = last == NULL ? 0 : (size_t)(last - chunk) + 1;
  // the thread's buffer, looked up once (each lookup is a call into the TLS resolver); this read's
  // lines go after what d holds
  bytes *out = &framed;
  if (holder != d) out->len = held_from = 0;
  else if (held_from > 0) {
    // what d holds to the front (under ALIGN bytes): the buffer stays one read's size, in the caches
    memmove(out->p, out->p + held_from, out->len - held_from);
    out->len -= held_from;
    held_from = 0;
  }
  size_t base = out->len;
  int64_t lines = 0;
  bool ok = true;
  // the whole lines, the first completing the partial line: one capacity check a line, and the
  // prefix copied by a copy of constant size (a few moves, not a call)
  for (size_t s = 0; s < done;) {
    const uint8_t *nl = memchr(chunk + s, '\n', done - s);
    size_t e = (size_t)(nl - chunk) + 1, head = lines == 0 ? part->len : 0;
    size_t need = out->len + PREFIX_LEN + head + (e - s);
    if (need > out->cap && !grow(out, need + (done - e) + (done - e) / 2)) {
      ok = false;
      break;
    }
    uint8_t *p = out->p + out->len;
    memcpy(p, pre, PREFIX_LEN);
    p += PREFIX_LEN;
    if (head > 0) {
      memcpy(p, part->p, head);
      p += head;
    }
    memcpy(p, chunk + s, e - s);
    out->len = need;
    lines++;
    s = e;
  }
  // what follows the last newline is the partial line now; past MAX_PARTIAL, a line of its own
  size_t kept = (done > 0 ? 0 : part->len) + (n - done);
  bool cut = kept >= MAX_PARTIAL;
  if (ok && cut) {
    ok = append(out, pre, PREFIX_LEN) && (done > 0 || append(out, part->p, part->len)) && append(out, chunk + done, n - done) &&
         append(out, "\n", 1);
    lines++;
  }
  if (!ok || (d->room >= 0 && (int64_t)(out->len - base) > d->room)) {
    // no memory, or the file is to be rotated first: JS takes it from here (what d held first)
    out->len = base;
    give_held(d);
    hand_over(d);
    return false;
  }
  // the partial line as it is now
  if (done > 0 || cut) part->len = 0;
  if (!cut && n > done && !append(part, chunk + done, n - done)) {
    // no memory for the partial line: its bytes go as a line (JS would have thrown)
    append(out, pre, PREFIX_LEN);
    append(out, part->p, part->len);
    append(out, chunk + done, n - done);
    append(out, "\n", 1);
    part->len = 0;
    lines++;
  }
  d->raw += (int64_t)n;
  size_t fresh = out->len - base;
  if (d->room >= 0) d->room -= (int64_t)fresh;
  if (ms == d->last_ms) d->same += lines;
  else {
    d->last_ms = ms;
    d->same = lines;
  }
  d->lines += lines;
  keep_tail(d, out->p + base, fresh);
  // up to the file's last ALIGN boundary when more follows, and all of it else
  size_t to = out->len;
  if (more && d->pos >= 0) {
    int64_t edge = (d->pos + (int64_t)(to - held_from)) / ALIGN * ALIGN;
    to = held_from + (edge > d->pos ? (size_t)(edge - d->pos) : 0);
  }
  bool slow = false;
  if (to > held_from && !write_out(d, held_from, to, &slow)) {
    holder = NULL;
    out->len = held_from = 0;
    hand_over(d);
    return true;
  }
  if (to < out->len) {
    holder = d;
    held_from = to;
  } else {
    holder = NULL;
    out->len = held_from = 0;
  }
  if (slow) {
    d->slow = true;
    give_held(d);
    hand_over(d);
  } else if (!d->timer_armed) {
    d->timer_armed = true;
    uv_timer_start(&d->timer, on_timer, SYNC_MS, 0);
  }
  return true;
}

static void on_timer(uv_timer_t *t) {
  log_direct *d = (log_direct *)t->data;
  d->timer_armed = false;
  tell(d, EVENT_SYNC);
}

void direct_retain(log_direct *d) {
  d->owners++;
}

void direct_release(log_direct *d) {
  if (--d->owners > 0) return;
  give_held(d);
  drop(&d->partial[0]);
  drop(&d->partial[1]);
  drop(&d->tail);
  drop(&d->left);
  free(d);
}

static void on_timer_closed(uv_handle_t *h) {
  direct_release((log_direct *)h->data);
}

static void finalize_direct(napi_env env, void *data, void *hint) {
  log_direct *d = (log_direct *)data;
  d->finalized = true;
  d->on = false;
  if (d->cb) napi_delete_reference(env, d->cb);
  if (d->stats_ref) napi_delete_reference(env, d->stats_ref);
  if (d->ctx) napi_async_destroy(env, d->ctx);
  d->cb = d->stats_ref = NULL;
  d->ctx = NULL;
  d->stats = NULL;
  uv_close((uv_handle_t *)&d->timer, on_timer_closed);
  direct_release(d);
}

// Tells a handle of directOpen from any other external (a reader's, say).
static const napi_type_tag DIRECT_TAG = {0x7465e4d5c1a0b001ULL, 0x9d1f0c3a2b4e6f81ULL};

log_direct *direct_of(napi_env env, napi_value v) {
  void *data = NULL;
  napi_valuetype t;
  bool tagged = false;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_external || napi_check_object_type_tag(env, v, &DIRECT_TAG, &tagged) != napi_ok ||
      !tagged || napi_get_value_external(env, v, &data) != napi_ok)
    return NULL;
  log_direct *d = (log_direct *)data;
  return d != NULL && d->stats != NULL ? d : NULL;
}

// ---------------------------------------------------------------------------------------------
// directOpen(onEvent: (kind: 1 | 2) => void, stats: Float64Array(7), tailLines: number,
//            tailBytes: number): handle
// onEvent(1): figures are waiting (SYNC_MS after a write); onEvent(2): the path turned itself off
// (handover): JS syncs, takes the partial lines (directOff) and the bytes not written (directLeft).
napi_value direct_open(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  napi_valuetype t = napi_undefined;
  bool is_ta = false;
  napi_typedarray_type type;
  size_t len = 0;
  void *data = NULL;
  int64_t tail_lines = 0, tail_bytes = 0;
  if (argc < 4 || napi_typeof(env, argv[0], &t) != napi_ok || t != napi_function || napi_is_typedarray(env, argv[1], &is_ta) != napi_ok ||
      !is_ta || napi_get_typedarray_info(env, argv[1], &type, &len, &data, NULL, NULL) != napi_ok || type != napi_float64_array ||
      len < ST_COUNT || napi_get_value_int64(env, argv[2], &tail_lines) != napi_ok || tail_lines < 0 ||
      napi_get_value_int64(env, argv[3], &tail_bytes) != napi_ok || tail_bytes < 0) {
    napi_throw_type_error(env, NULL, "directOpen: expected (onEvent: function, stats: Float64Array(7), tailLines: number, tailBytes: number)");
    return NULL;
  }
  log_direct *d = calloc(1, sizeof *d);
  if (d == NULL) return throw_code(env, "log direct path", ENOMEM);
  uv_loop_t *loop;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || uv_timer_init(loop, &d->timer) != 0) {
    free(d);
    napi_throw_error(env, NULL, "log direct path: no event loop");
    return NULL;
  }
  uv_unref((uv_handle_t *)&d->timer); // a sync never keeps the loop alive
  d->timer.data = d;
  d->owners = 2; // the JS handle, the timer
  d->env = env;
  d->fd = -1;
  d->last_ms = -1;
  d->pre_ms = -1;
  d->stats = data;
  d->tail_lines = (size_t)tail_lines;
  d->tail_bytes = (size_t)tail_bytes;
  napi_value name, handle;
  napi_create_reference(env, argv[0], 1, &d->cb);
  napi_create_reference(env, argv[1], 1, &d->stats_ref); // keeps stats (and so d->stats) alive
  napi_create_string_utf8(env, "tend:log-direct", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, NULL, name, &d->ctx);
  CHECK(napi_create_external(env, d, finalize_direct, NULL, &handle));
  CHECK(napi_type_tag_object(env, handle, &DIRECT_TAG));
  return handle;
}

static log_direct *arg_direct(napi_env env, napi_callback_info info, size_t want, napi_value *argv, const char *usage) {
  size_t argc = want;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  log_direct *d = argc < want ? NULL : direct_of(env, argv[0]);
  if (d == NULL) napi_throw_type_error(env, NULL, usage);
  return d;
}

// directOn(handle, fd: number, room: number, partOut?: Buffer | null, partErr?: Buffer | null):
// writes go to fd from now on; room: the bytes the file may take before its rotation (-1: no
// limit); the partial lines of stdout and stderr so far, which the next reads complete.
napi_value direct_on(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  const char *usage = "directOn: expected (handle, fd: number >= 0, room: number, partOut?: Buffer | null, partErr?: Buffer | null)";
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  log_direct *d = argc < 3 ? NULL : direct_of(env, argv[0]);
  int32_t fd = -1;
  int64_t room = 0;
  if (d == NULL || napi_get_value_int32(env, argv[1], &fd) != napi_ok || fd < 0 || napi_get_value_int64(env, argv[2], &room) != napi_ok) {
    napi_throw_type_error(env, NULL, usage);
    return NULL;
  }
  bytes parts[2] = {{0}, {0}};
  for (size_t i = 0; i < 2; i++) {
    napi_valuetype t = napi_undefined;
    if (argc <= 3 + i || napi_typeof(env, argv[3 + i], &t) != napi_ok || t == napi_undefined || t == napi_null) continue;
    bool is_buf = false;
    void *p = NULL;
    size_t len = 0;
    if (napi_is_buffer(env, argv[3 + i], &is_buf) != napi_ok || !is_buf || napi_get_buffer_info(env, argv[3 + i], &p, &len) != napi_ok) {
      drop(&parts[0]);
      napi_throw_type_error(env, NULL, usage);
      return NULL;
    }
    if (!append(&parts[i], p, len)) {
      drop(&parts[0]);
      drop(&parts[1]);
      return throw_code(env, "log direct path", ENOMEM);
    }
  }
  for (size_t i = 0; i < 2; i++) {
    drop(&d->partial[i]);
    d->partial[i] = parts[i];
  }
  d->fd = fd;
  d->pos = lseek(fd, 0, SEEK_END);
  d->room = room < 0 ? -1 : room;
  d->slow = false;
  d->err = 0;
  d->on = true;
  return NULL;
}

static napi_value copy_out(napi_env env, bytes *b) {
  napi_value v;
  if (b->len == 0) {
    CHECK(napi_get_null(env, &v));
    return v;
  }
  void *p;
  CHECK(napi_create_buffer_copy(env, b->len, b->p, &p, &v));
  b->len = 0;
  return v;
}

// directSync(handle, withTail): Buffer | null. The figures since the last sync into stats (then
// zeroed): bytes written, lines framed, bytes read, the last line's time and how many lines had
// it, a write that was slow, the errno of one that failed. withTail: returns the framed lines kept
// for the tail (null: none), which it forgets; else null, and they stay here (the tail's limits
// hold them). The periodic sync leaves them: turning them into JS batches each time was half its
// cost (in a burst of the log benchmark, the syncs took 6% of the daemon's samples, 3% without).
napi_value direct_sync(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  log_direct *d = arg_direct(env, info, 2, argv, "directSync: expected (handle, withTail: boolean)");
  if (d == NULL) return NULL;
  bool with_tail = true;
  if (napi_get_value_bool(env, argv[1], &with_tail) != napi_ok) {
    napi_throw_type_error(env, NULL, "directSync: expected (handle, withTail: boolean)");
    return NULL;
  }
  double *st = d->stats;
  st[ST_BYTES] = (double)d->written;
  st[ST_LINES] = (double)d->lines;
  st[ST_RAW] = (double)d->raw;
  st[ST_LAST_MS] = (double)d->last_ms;
  st[ST_SAME] = (double)d->same;
  st[ST_SLOW] = d->slow ? 1 : 0;
  st[ST_ERRNO] = d->err;
  // (last_ms stays: a line framed in the same millisecond after this counts from 0 again)
  d->written = d->lines = d->raw = d->same = 0;
  d->slow = false;
  d->err = 0;
  if (d->timer_armed) {
    uv_timer_stop(&d->timer);
    d->timer_armed = false;
  }
  if (!with_tail) {
    napi_value v;
    CHECK(napi_get_null(env, &v));
    return v;
  }
  return copy_out(env, &d->tail);
}

// directOff(handle): [Buffer | null, Buffer | null]. Writes stop; the partial lines of stdout
// and stderr go to the caller (and are forgotten here).
napi_value direct_off(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  log_direct *d = arg_direct(env, info, 1, argv, "directOff: expected (handle)");
  if (d == NULL) return NULL;
  give_held(d);
  d->on = false;
  napi_value arr, v;
  CHECK(napi_create_array_with_length(env, 2, &arr));
  for (uint32_t i = 0; i < 2; i++) {
    v = copy_out(env, &d->partial[i]);
    if (v == NULL) return NULL;
    CHECK(napi_set_element(env, arr, i, v));
  }
  return arr;
}

// directClose(handle): the path is done with (its log closed): no writes, no more calls into JS.
// Why: the callback's reference would keep the log (and so the handle) alive for good, the
// finalizer never coming.
napi_value direct_close(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  log_direct *d = arg_direct(env, info, 1, argv, "directClose: expected (handle)");
  if (d == NULL) return NULL;
  give_held(d);
  d->on = false;
  if (d->cb) napi_delete_reference(env, d->cb);
  d->cb = NULL;
  if (d->timer_armed) uv_timer_stop(&d->timer);
  d->timer_armed = false;
  return NULL;
}

// directLeft(handle): Buffer | null: framed lines a failed write left (forgotten here).
napi_value direct_left(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  log_direct *d = arg_direct(env, info, 1, argv, "directLeft: expected (handle)");
  if (d == NULL) return NULL;
  return copy_out(env, &d->left);
}
