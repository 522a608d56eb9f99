// The one place the addon speaks V8's own API instead of N-API: a garbage collection that gives
// memory back. The addon is built on install for the node that runs it, so the ABI question that
// N-API answers does not arise here.
//
// Why: tend turns V8's memory reducer off (--no-incremental-marking, daemon/memory.ts): its timer
// ran two GCs some 8 s after start-up, CPU in an idle daemon's every first window. It was also what
// gave a burst's pages back: the `gc()` of --expose-gc is a full collection that keeps freed pages
// pooled for reuse. A critical memory pressure notification collects with the memory-reducing
// flags (pooled pages released, new space shrunk), as the reducer did, at the moments tend knows
// garbage was made: one full GC, a second only when the first left much garbage behind (V8's
// CollectGarbageOnMemoryPressure). LowMemoryNotification did the same in two full GCs each
// time here (28 and 125 ms on a loaded machine), where this is one (17 and 38 ms). The pressure
// level is set back at once: left at critical, V8 would go on favouring memory over speed.
#include <node_api.h>
#include <v8.h>

extern "C" napi_value reduce_memory(napi_env env, napi_callback_info info) {
  (void)info;
  v8::Isolate *isolate = v8::Isolate::GetCurrent();
  if (isolate != nullptr) {
    isolate->MemoryPressureNotification(v8::MemoryPressureLevel::kCritical);
    isolate->MemoryPressureNotification(v8::MemoryPressureLevel::kNone);
  }
  napi_value v;
  napi_get_undefined(env, &v);
  return v;
}
