{
  "targets": [
    {
      "target_name": "tend_native",
      "sources": ["addon.c", "spawn.c", "child.c", "fences.c", "reap.c", "pty.c", "frame.c", "reader.c", "direct.c", "notify.c", "proc.c", "misc.c", "gc.cc"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "cflags_c": ["-std=gnu11"],
      "cflags_cc": ["-std=gnu++17"],
      "defines": ["NAPI_VERSION=8"]
    },
    {
      "target_name": "tend-init",
      "type": "executable",
      "sources": ["init.c"],
      "cflags": ["-O2", "-Wall", "-Wextra"],
      "cflags_c": ["-std=gnu11"],
      "ldflags": ["-s", "<!@(sh static-ok.sh)"]
    }
  ]
}
