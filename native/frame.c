// The log hot path: whole lines framed with their prefix, in C.
#include "tend.h"

#include <string.h>

// frameLines(chunk: Buffer, done: number, prefix: Buffer, out: Buffer | null, head: number,
//            ends?: Uint32Array, lines?: number): number
//
// Why native: the log hot path (src/logs/frame.ts). A chatty service's 100-byte lines are
// 2 million lines per 200 MB; in JS each line costs two typed-array calls (move it, put the
// prefix before it), which is most of the CPU tend spends per MB. Here: one memchr and two
// memcpy per line. Copies chunk[0, done) (whole lines) to out at `head`, every line after the
// first preceded by `prefix` (the first one's prefix is the caller's, before the partial line it
// completes). Returns the number of lines. out must hold head + done + (lines - 1) * prefix bytes.
//
// With out null it only counts the lines (to size out), and puts where each line ends (the offset
// after its newline) in `ends`, as many as it holds. Given those `ends` and their count `lines`
// again, the framing reads the line ends from there instead of a second memchr over the chunk:
// memchr was 8.6% of tend's CPU in the log benchmark, half of it the second pass.
static int buffer_of(napi_env env, napi_value v, uint8_t **data, size_t *len) {
  bool is_buf = false;
  if (napi_is_buffer(env, v, &is_buf) != napi_ok || !is_buf) return -1;
  void *d;
  if (napi_get_buffer_info(env, v, &d, len) != napi_ok) return -1;
  *data = d;
  return 0;
}

// argv[i] as a Uint32Array (its data and length), or -1 when it is not one
static int ends_of(napi_env env, size_t argc, napi_value *argv, size_t i, uint32_t **data, size_t *len) {
  if (argc <= i) return -1;
  bool is_ta = false;
  if (napi_is_typedarray(env, argv[i], &is_ta) != napi_ok || !is_ta) return -1;
  napi_typedarray_type type;
  void *d;
  if (napi_get_typedarray_info(env, argv[i], &type, len, &d, NULL, NULL) != napi_ok || type != napi_uint32_array) return -1;
  *data = d;
  return 0;
}

static napi_value count_lines(napi_env env, uint8_t *chunk, size_t done, uint32_t *ends, size_t cap) {
  size_t n = 0;
  for (uint8_t *q = chunk, *end = chunk + done; q < end; q++) {
    q = memchr(q, '\n', (size_t)(end - q));
    if (q == NULL) break;
    if (n < cap) ends[n] = (uint32_t)(q - chunk) + 1;
    n++;
  }
  napi_value r;
  CHECK(napi_create_int64(env, (int64_t)n, &r));
  return r;
}

napi_value frame_lines(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  uint8_t *chunk, *prefix, *out;
  size_t chunk_len, prefix_len, out_len, ends_len = 0;
  uint32_t *ends = NULL;
  int64_t done = -1, head = -1, given = -1;
  napi_valuetype t3 = napi_undefined;
  if (argc >= 4) napi_typeof(env, argv[3], &t3);
  if (argc >= 2 && t3 == napi_null && buffer_of(env, argv[0], &chunk, &chunk_len) == 0 &&
      napi_get_value_int64(env, argv[1], &done) == napi_ok && done >= 0 && (size_t)done <= chunk_len) {
    // (an end past 4 GiB would not fit: such a chunk is only counted)
    if (done > UINT32_MAX || ends_of(env, argc, argv, 5, &ends, &ends_len) != 0) ends_len = 0;
    return count_lines(env, chunk, (size_t)done, ends, ends_len);
  }
  if (argc < 5 || buffer_of(env, argv[0], &chunk, &chunk_len) || napi_get_value_int64(env, argv[1], &done) != napi_ok ||
      buffer_of(env, argv[2], &prefix, &prefix_len) || buffer_of(env, argv[3], &out, &out_len) ||
      napi_get_value_int64(env, argv[4], &head) != napi_ok || done < 0 || (size_t)done > chunk_len || head < 0) {
    napi_throw_type_error(env, NULL, "frameLines: expected (chunk: Buffer, done: number, prefix: Buffer, out: Buffer, head: number)");
    return NULL;
  }
  // the ends of a count, used only when they are all there
  if (ends_of(env, argc, argv, 5, &ends, &ends_len) != 0 || argc < 7 || napi_get_value_int64(env, argv[6], &given) != napi_ok ||
      given < 0 || (size_t)given > ends_len)
    ends = NULL;
  size_t pos = (size_t)head, s = 0, lines = 0;
  while (s < (size_t)done) {
    size_t e;
    if (ends != NULL && lines < (size_t)given && ends[lines] > s && ends[lines] <= (size_t)done) e = ends[lines];
    else {
      uint8_t *nl = memchr(chunk + s, '\n', (size_t)done - s);
      e = nl == NULL ? (size_t)done : (size_t)(nl - chunk) + 1;
    }
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
