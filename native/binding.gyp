{
  "targets": [
    {
      "target_name": "tend_native",
      "sources": ["addon.c", "spawn.c", "child.c", "fences.c", "reap.c", "pty.c", "frame.c", "reader.c", "notify.c", "proc.c", "misc.c"],
      "cflags": ["-std=gnu11", "-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
