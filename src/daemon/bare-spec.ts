// The spec of a daemon started by `tend run NAME -- CMD` in a folder without a config: no file,
// no declared services (transient ones come by request), the default settings of that folder
// (socket .tend/tend.sock, log_dir .tend/logs), nothing to reload or watch, and no echo: it runs
// in the background.
import { resolve } from 'node:path';
import { buildSettings } from '../config/build.js';
import type { Spec } from '../core/types.js';

/** Why: a daemon needs a spec; this one is empty. `socket`: where it listens, when not the default. */
export function bareSpec(dir: string, socket?: string): Spec {
  const settings = buildSettings(undefined, dir);
  return {
    file: '',
    dir,
    settings: { ...settings, socket: socket ? resolve(socket) : settings.socket, echo: false, watch: false },
    services: [],
  };
}

/** Whether the daemon runs a config file (a bare one has none: nothing to reload). */
export function hasConfigFile(spec: Spec): boolean {
  return spec.file !== '';
}
