#!/bin/sh
# Prints -static when the C compiler can link a static program here (glibc's libc.a: Debian's
# libc6-dev, Fedora's glibc-static; musl always), else nothing. tend-init (init.c) is linked
# statically where it can be, so that it runs under a root_dir that holds no C library.
t=$(mktemp) || exit 0
if printf 'int main(void) { return 0; }\n' | ${CC:-cc} -static -x c - -o "$t" >/dev/null 2>&1; then echo -static; fi
rm -f "$t"
