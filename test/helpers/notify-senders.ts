// The real sd_notify senders of the notify tests, and whether this machine has them: a small
// Python client (test/fixtures/notify/sd_notify.py, run with PYTHON) and systemd-notify.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The Python sd_notify client: `PYTHON CLIENT [--size N] [--no-barrier] FIELD=VALUE...`. */
export const CLIENT = fileURLToPath(new URL('../fixtures/notify/sd_notify.py', import.meta.url));
export const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
export const hasPython = spawnSync(PYTHON, ['-c', 'pass']).status === 0;
export const hasSystemdNotify = spawnSync('systemd-notify', ['--version']).status === 0;
