{
  "targets": [
    {
      "target_name": "tend_native",
      "sources": ["tend.c"],
      "cflags": ["-std=gnu11", "-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "defines": ["NAPI_VERSION=8"]
    },
    {
      "target_name": "tend-exec",
      "type": "executable",
      "sources": ["tend-exec.c"],
      "cflags": ["-std=gnu11", "-O2", "-Wall", "-Wextra"]
    }
  ]
}
