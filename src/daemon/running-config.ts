// The config the daemon runs now, and when and how it came to be: read at start-up, then replaced
// by each reload that changed something (tend reload, SIGHUP, the file watch).
import type { Settings, Spec } from '../core/types.js';

/** What made the running config what it is. */
export type ConfigSource = 'start-up' | 'tend reload' | 'SIGHUP' | 'file changed';

/** Why: one holder of the running spec, which the reload replaces and every part reads. */
export class RunningConfig {
  private current: Spec;
  private appliedAt: number;
  private by: ConfigSource = 'start-up';
  private plan: string | undefined;
  private readonly listeners: Array<(spec: Spec) => void> = [];

  /**
   * `overrides`: what the command line set over the config's settings (`up -d`: echo off;
   * `--socket`). They hold across reloads, which do not count them as changes of the file.
   */
  constructor(
    initial: Spec,
    private readonly overrides: Partial<Settings> = {},
    now = Date.now(),
  ) {
    this.current = initial;
    this.appliedAt = now;
  }

  /** A spec read from the file, with the command line's settings over it (as the running one has). */
  withOverrides(spec: Spec): Spec {
    return { ...spec, settings: { ...spec.settings, ...this.overrides } };
  }

  get spec(): Spec {
    return this.current;
  }

  /** Calls fn with each spec a reload sets. */
  onSet(fn: (spec: Spec) => void): void {
    this.listeners.push(fn);
  }

  /** The last change applied: when, by what, and (a reload's) what it changed in one line. */
  get applied(): { at: number; by: ConfigSource; plan?: string } {
    return { at: this.appliedAt, by: this.by, ...(this.plan ? { plan: this.plan } : {}) };
  }

  /** A reload applied `spec`; `changed`: it changed something (a no-op keeps the earlier time and plan). */
  set(spec: Spec, by: ConfigSource, changed: boolean, now = Date.now(), plan?: string): void {
    this.current = spec;
    for (const fn of this.listeners) fn(spec);
    if (!changed) return;
    this.appliedAt = now;
    this.by = by;
    this.plan = plan;
  }
}
