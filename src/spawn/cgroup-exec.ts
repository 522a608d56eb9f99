// The argv prefix that makes a service's process join its cgroup and set its rlimit/umask (and
// user) before exec'ing the command, so nothing it forks can escape: native/tend-exec, else a
// /bin/sh shim. Usage: spawn(prefix[0], [...prefix.slice(1), file, ...args]) (or prefix = [] ).
import { accessSync, constants } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ServiceCgroup } from '../cgroup/service.js';

/** The helper program built with the addon (same relative place from src/spawn and dist/spawn). */
export const tendExecPath = fileURLToPath(new URL('../../native/build/Release/tend-exec', import.meta.url));

let tendExecOk: boolean | undefined;

/** True when native/build/Release/tend-exec exists and is executable (checked once). */
export function haveTendExec(): boolean {
  if (tendExecOk === undefined) {
    try {
      accessSync(tendExecPath, constants.X_OK);
      tendExecOk = true;
    } catch {
      tendExecOk = false;
    }
  }
  return tendExecOk;
}

/** What the process sets up before exec. uid/gid: switch user AFTER joining (needs tend-exec). */
export interface ExecPrefixOptions {
  nofile?: number;
  umask?: number;
  uid?: number;
  gid?: number;
  /** use the /bin/sh shim even when tend-exec exists (tests, benchmarks) */
  shim?: boolean;
}

function checkUint(name: string, v: number | undefined): void {
  if (v !== undefined && !(Number.isInteger(v) && v >= 0 && v <= 0x7fffffff)) {
    throw new Error(`execPrefix: ${name} must be a non-negative integer, got ${v}`);
  }
}

/**
 * The argv to put before the command. [] when there is nothing to set up.
 * A service with `user:` must switch user here, after the cgroup join (as root), not through
 * spawn's uid option (that would run the join unprivileged); the shim cannot, so it throws then.
 */
export function execPrefix(cg: ServiceCgroup | undefined, opts: ExecPrefixOptions = {}): string[] {
  const { nofile, umask, uid, gid } = opts;
  checkUint('nofile', nofile);
  checkUint('umask', umask);
  checkUint('uid', uid);
  checkUint('gid', gid);
  if (umask !== undefined && umask > 0o777) throw new Error(`execPrefix: umask must be at most 0777, got ${umask.toString(8)}`);
  if (!cg && nofile === undefined && umask === undefined && uid === undefined && gid === undefined) return [];
  const mask = umask?.toString(8).padStart(3, '0');

  if (haveTendExec() && !opts.shim) {
    const argv = [tendExecPath];
    if (cg) argv.push('--cgroup', cg.procsFile);
    if (nofile !== undefined) argv.push('--nofile', String(nofile));
    if (mask !== undefined) argv.push('--umask', mask);
    if (uid !== undefined) argv.push('--uid', String(uid));
    if (gid !== undefined) argv.push('--gid', String(gid));
    argv.push('--');
    return argv;
  }

  if (uid !== undefined || gid !== undefined) {
    throw new Error(
      `execPrefix: switching user after joining a cgroup needs ${tendExecPath} (run npm run build:native)`,
    );
  }
  // $0 names the shim in sh's own error messages; $1 is the cgroup.procs file when joining.
  const steps: string[] = [];
  if (cg) steps.push('echo $$ > "$1" || exit 125', 'shift');
  if (nofile !== undefined) steps.push(`ulimit -n ${nofile} || exit 125`);
  if (mask !== undefined) steps.push(`umask ${mask}`);
  steps.push('exec "$@"');
  const argv = ['/bin/sh', '-c', steps.join('; '), 'tend-exec'];
  if (cg) argv.push(cg.procsFile);
  return argv;
}
