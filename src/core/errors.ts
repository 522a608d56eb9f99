// Error types shared by every folder. A failed spawn is an Exit, not an error; these are for
// bad input (config, arguments, requests) and for broken invariants.

/** One problem found in a config file, located like a compiler error. */
export interface ConfigProblem {
  file: string;
  line: number; // 1-based; 0 when unknown
  col: number; // 1-based; 0 when unknown
  path: string; // dotted key path, e.g. "services.web.restart"
  message: string; // "expected one of always, on-failure, never; got \"alway\""
}

/** Formats a problem as `file:line:col: path: message`. */
export function formatProblem(p: ConfigProblem): string {
  const where = p.line > 0 ? `${p.file}:${p.line}:${p.col}` : p.file;
  return p.path ? `${where}: ${p.path}: ${p.message}` : `${where}: ${p.message}`;
}

/** Thrown by the config loader with every problem of the file at once. */
export class ConfigError extends Error {
  readonly problems: ConfigProblem[];
  constructor(problems: ConfigProblem[]) {
    super(problems.map(formatProblem).join('\n'));
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** An error with a stable code, sent over the control socket as {code, message}. */
export class TendError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'TendError';
    this.code = code;
  }
}

/** A broken internal invariant (e.g. an illegal state transition): a bug, never user input. */
export class InvariantError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvariantError';
  }
}
