// A service's fences (README "Sandboxing") as the addon's spawn request: paths joined under
// root_dir, capabilities as numbers, limits as "NAME SOFT HARD", the private /tmp made (and
// removed once the service has stopped), the clean environment.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rm } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { CAPABILITIES, DEFAULT_PATH } from '../core/fences.js';
import type { InstanceSpec, ServiceSpec } from '../core/types.js';
import type { SpawnRequest } from '../sys/addon.js';

/** The variables tend sets for every service, which a clean environment keeps. */
const TEND_VARS = ['TEND_SERVICE', 'TEND_INSTANCE', 'TEND_REPLICA'];

/**
 * The environment of a clean_env service: PATH (DEFAULT_PATH unless its env sets one), TERM for
 * a tty, tend's TEND_* variables and its own env/env_file; HOME/USER/LOGNAME are the caller's
 * to add. `full` is what it would get otherwise (tend's environment under its own).
 */
export function cleanEnv(spec: ServiceSpec, full: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = spec.tty ? { PATH: DEFAULT_PATH, TERM: 'xterm' } : { PATH: DEFAULT_PATH };
  for (const k of Object.keys(spec.env)) env[k] = spec.env[k]!;
  for (const k of TEND_VARS) if (full[k] !== undefined) env[k] = full[k];
  return env;
}

/** The fence fields of the addon's spawn request. */
export type FenceRequest = Pick<
  SpawnRequest,
  | 'rlimits'
  | 'noNewPrivs'
  | 'capabilities'
  | 'nice'
  | 'oomScoreAdj'
  | 'cpus'
  | 'userns'
  | 'pidns'
  | 'netns'
  | 'hostname'
  | 'procAt'
  | 'privateTmp'
  | 'readOnly'
  | 'inaccessible'
  | 'root'
>;

/** A service's fences ready to launch: the request, and what to undo once it has stopped. */
export interface PreparedFences {
  request: FenceRequest;
  /** where argv[0] and cwd are found (root_dir), undefined for / */
  root?: string;
  /** removes the private /tmp (once every process of the service is gone) */
  cleanup(): void;
}

const under = (root: string | undefined, p: string): string => (root ? join(root, p) : p);

/**
 * The request of inst's fences; undefined when it has none. Makes the private /tmp: a 0700
 * folder of tend's under the temp dir holding a 01777 `tmp`, bind-mounted on the service's /tmp.
 */
export function prepareFences(inst: InstanceSpec): PreparedFences | undefined {
  const f = inst.spec.fences;
  if (!f) return undefined;
  const root = f.rootDir;
  const r: FenceRequest = {};
  if (f.rlimits) {
    r.rlimits = Object.entries(f.rlimits).map(([n, l]) => `${n} ${l.soft ?? -1} ${l.hard ?? -1}`);
  }
  if (f.noNewPrivileges) r.noNewPrivs = true;
  if (f.capabilities) r.capabilities = f.capabilities.map((c) => (CAPABILITIES as readonly string[]).indexOf(c));
  if (f.nice !== undefined) r.nice = f.nice;
  if (f.oomScoreAdjust !== undefined) r.oomScoreAdj = f.oomScoreAdjust;
  if (f.cpuAffinity) r.cpus = f.cpuAffinity;
  if (f.userNamespace) r.userns = true;
  if (f.privatePids) {
    r.pidns = true;
    r.procAt = under(root, '/proc');
  }
  if (f.network === 'none') r.netns = true;
  if (f.hostname !== undefined) r.hostname = f.hostname;
  if (f.readOnlyPaths) r.readOnly = f.readOnlyPaths.map((p) => under(root, p));
  if (f.inaccessiblePaths) r.inaccessible = f.inaccessiblePaths.map((p) => under(root, p));
  if (root) r.root = root;
  let made: string | undefined;
  if (f.privateTmp) {
    made = mkdtempSync(join(tmpdir(), `tend-${inst.id}-`));
    const tmp = join(made, 'tmp');
    mkdirSync(tmp);
    chmodSync(tmp, 0o1777);
    r.privateTmp = [tmp, under(root, '/tmp')];
  }
  return {
    request: r,
    root,
    cleanup() {
      if (made) removePrivateTmp(made);
      made = undefined;
    },
  };
}

/**
 * The private /tmp folder of a process an earlier tend started (adoption), found by its mounts:
 * the bind mount whose source is `<tmpdir>/tend-<id>-XXXXXX/tmp`; undefined when it has none.
 * Why: that tend would have removed it once the service was gone; the one that adopted the
 * process must, or every kill -9 of tend leaves a folder (and what the service kept in it).
 */
export function adoptedPrivateTmp(pid: number, id: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/mountinfo`, 'utf8');
  } catch {
    return undefined;
  }
  const prefix = `tend-${id}-`;
  for (const line of text.split('\n')) {
    const root = line.split(' ')[3]; // the path of the mount's source within its filesystem
    if (root === undefined || basename(root) !== 'tmp') continue;
    const folder = basename(dirname(root));
    if (!folder.startsWith(prefix) || folder.length !== prefix.length + 6) continue;
    const made = join(tmpdir(), folder);
    if (existsSync(join(made, 'tmp'))) return made;
  }
  return undefined;
}

/** Removes a private /tmp folder (see adoptedPrivateTmp). */
export function removePrivateTmp(made: string): void {
  rm(made, { recursive: true, force: true }, () => {});
}
