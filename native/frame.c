// The log hot path: whole lines framed with their prefix, in C.
#include "tend.h"

#include <string.h>

// frameLines(chunk: Buffer, done: number, prefix: Buffer, out: Buffer, head: number): number
//
// Why native: the log hot path (src/logs/frame.ts). A chatty service's 100-byte lines are
// 2 million lines per 200 MB; in JS each line costs two typed-array calls (move it, put the
// prefix before it), which is most of the CPU tend spends per MB. Here: one memchr and two
// memcpy per line. Copies chunk[0, done) (whole lines) to out at `head`, every line after the
// first preceded by `prefix` (the first one's prefix is the caller's, before the partial line it
// completes). Returns the number of lines. out must hold head + done + (lines - 1) * prefix bytes.
static int buffer_of(napi_env env, napi_value v, uint8_t **data, size_t *len) {
  bool is_buf = false;
  if (napi_is_buffer(env, v, &is_buf) != napi_ok || !is_buf) return -1;
  void *d;
  if (napi_get_buffer_info(env, v, &d, len) != napi_ok) return -1;
  *data = d;
  return 0;
}

napi_value frame_lines(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  uint8_t *chunk, *prefix, *out;
  size_t chunk_len, prefix_len, out_len;
  int64_t done = -1, head = -1;
  napi_valuetype t3 = napi_undefined;
  if (argc >= 4) napi_typeof(env, argv[3], &t3);
  if (argc >= 2 && t3 == napi_null && buffer_of(env, argv[0], &chunk, &chunk_len) == 0 &&
      napi_get_value_int64(env, argv[1], &done) == napi_ok && done >= 0 && (size_t)done <= chunk_len) {
    // out null: only count the newlines of chunk[0, done)
    size_t n = 0;
    for (uint8_t *q = chunk, *end = chunk + done; q < end; q++) {
      q = memchr(q, '\n', (size_t)(end - q));
      if (q == NULL) break;
      n++;
    }
    napi_value r;
    CHECK(napi_create_int64(env, (int64_t)n, &r));
    return r;
  }
  if (argc < 5 || buffer_of(env, argv[0], &chunk, &chunk_len) || napi_get_value_int64(env, argv[1], &done) != napi_ok ||
      buffer_of(env, argv[2], &prefix, &prefix_len) || buffer_of(env, argv[3], &out, &out_len) ||
      napi_get_value_int64(env, argv[4], &head) != napi_ok || done < 0 || (size_t)done > chunk_len || head < 0) {
    napi_throw_type_error(env, NULL, "frameLines: expected (chunk: Buffer, done: number, prefix: Buffer, out: Buffer, head: number)");
    return NULL;
  }
  size_t pos = (size_t)head, s = 0, lines = 0;
  while (s < (size_t)done) {
    uint8_t *nl = memchr(chunk + s, '\n', (size_t)done - s);
    size_t e = nl == NULL ? (size_t)done : (size_t)(nl - chunk) + 1;
    size_t need = (lines > 0 ? prefix_len : 0) + (e - s);
    if (pos + need > out_len) {
      napi_throw_range_error(env, NULL, "frameLines: out is too small");
      return NULL;
    }
    if (lines > 0) {
      memcpy(out + pos, prefix, prefix_len);
      pos += prefix_len;
    }
    memcpy(out + pos, chunk + s, e - s);
    pos += e - s;
    s = e;
    lines++;
  }
  napi_value result;
  CHECK(napi_create_int64(env, (int64_t)lines, &result));
  return result;
}
