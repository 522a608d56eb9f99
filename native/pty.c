// Pseudo-terminals for tty services.
#include "tend.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

// openPty(cols, rows): [master, slave, master2] -- a new pseudo-terminal of that size, all
// O_CLOEXEC; master2 is a dup of master (see below).
//
// Why a pty of tend's own (node-pty is not used): a pty read through libuv can lose the last KB
// a service writes just before it exits. The cause is libuv (any tty.ReadStream, node-pty's
// included): on POLLHUP after a short read it reports EOF, while the pty may still hold data. tend spawns on the slave itself (spawn with ctty), reads the
// master with a tty.ReadStream while the service runs, and when that stream ends reads the rest
// from master2 until the kernel says EIO, which it does only once every byte has been read.
napi_value open_pty(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t cols = 80, rows = 24;
  if (argc >= 1) napi_get_value_int32(env, argv[0], &cols);
  if (argc >= 2) napi_get_value_int32(env, argv[1], &rows);
  if (cols <= 0 || rows <= 0 || cols > 0xffff || rows > 0xffff) {
    napi_throw_range_error(env, NULL, "openPty: cols and rows must be 1..65535");
    return NULL;
  }
  int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0) return throw_code(env, "openPty: posix_openpt", errno);
  char name[128];
  if (grantpt(master) != 0 || unlockpt(master) != 0 || ptsname_r(master, name, sizeof name) != 0) {
    int err = errno;
    close(master);
    return throw_code(env, "openPty: unlock the slave", err);
  }
  int slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave < 0) {
    int err = errno;
    close(master);
    return throw_code(env, "openPty: open the slave", err);
  }
  struct winsize ws = {(unsigned short)rows, (unsigned short)cols, 0, 0};
  ioctl(master, TIOCSWINSZ, &ws);
  // Why: the terminal's default ONLCR turns each "\n" written into "\r\n", and every line of a
  // tty service reached its log with a "\r" at its end (`--grep 'done$'` matched none). Its output
  // is read by tend only, never drawn on a screen: a newline stays a newline.
  struct termios tio;
  if (tcgetattr(slave, &tio) == 0) {
    tio.c_oflag &= ~(tcflag_t)ONLCR;
    tcsetattr(slave, TCSANOW, &tio);
  }
  int master2 = fcntl(master, F_DUPFD_CLOEXEC, 0);
  if (master2 < 0) {
    int err = errno;
    close(master);
    close(slave);
    return throw_code(env, "openPty: dup", err);
  }
  napi_value arr, v;
  CHECK(napi_create_array_with_length(env, 3, &arr));
  CHECK(napi_create_int32(env, master2, &v));
  CHECK(napi_set_element(env, arr, 2, v));
  CHECK(napi_create_int32(env, master, &v));
  CHECK(napi_set_element(env, arr, 0, v));
  CHECK(napi_create_int32(env, slave, &v));
  CHECK(napi_set_element(env, arr, 1, v));
  return arr;
}
