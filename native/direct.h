// The direct path of a service's log (direct.c), shared with the pipe reader (reader.c).
#ifndef TEND_DIRECT_H
#define TEND_DIRECT_H
#include "tend.h"

#include <uv.h>

typedef struct log_direct log_direct;

// the handle of directOpen, or NULL (nothing thrown)
log_direct *direct_of(napi_env env, napi_value v);
// a reader holds the path while it reads
void direct_retain(log_direct *d);
void direct_release(log_direct *d);
// frames and writes a read of `stream` (0 stdout, 1 stderr); false: JS takes it; more: another
// read follows at once, and direct_flush comes before the reader stops (see direct.c)
bool direct_write(log_direct *d, int stream, const uint8_t *chunk, size_t n, bool more);
// writes what direct_write held; false: the path handed over
bool direct_flush(log_direct *d);

#endif
