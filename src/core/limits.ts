// Limits of the machine that several folders check.

/** sun_path holds 108 bytes with the trailing NUL: a Unix socket path has at most 107. */
export const MAX_SOCKET_PATH_BYTES = 107;
