// The one place the addon speaks V8's own API instead of N-API: a garbage collection that gives
// memory back. The addon is built on install for the node that runs it, so the ABI question that
// N-API answers does not arise here.
//
// Why: tend turns V8's memory reducer off (--no-incremental-marking, daemon/memory.ts): its timer
// ran two GCs some 8 s after start-up, CPU in an idle daemon's every first window. It was also what
// gave a burst's pages back: the `gc()` of --expose-gc is a full collection that keeps freed pages
// pooled for reuse. LowMemoryNotification collects with the memory-reducing flags (pooled pages
// released, new space shrunk), as the reducer did, at the moments tend knows garbage was made.
#include <node_api.h>
#include <v8.h>

extern "C" napi_value reduce_memory(napi_env env, napi_callback_info info) {
  (void)info;
  v8::Isolate *isolate = v8::Isolate::GetCurrent();
  if (isolate != nullptr) isolate->LowMemoryNotification();
  napi_value v;
  napi_get_undefined(env, &v);
  return v;
}
