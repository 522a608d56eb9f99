// One measured figure: value, unit, target and the peers' figures from the issues; pass is
// computed from the target (null when the figure has none).
import { round } from './util.js';

/**
 * Why: every benchmark returns these, run.js prints and stores them.
 * target: { op: '<' | '<=' | '>=' | '>' | '==', value } or undefined; peers: text from the issue.
 */
export function figure({ key, name, value, unit = '', digits = 1, target, peers = '', note = '', extra }) {
  let pass = null;
  if (target && typeof value === 'number' && !Number.isNaN(value)) {
    const v = value;
    const t = target.value;
    pass = { '<': v < t, '<=': v <= t, '>=': v >= t, '>': v > t, '==': v === t }[target.op];
  } else if (target && typeof value === 'boolean') {
    pass = value === target.value;
  } else if (target) {
    pass = false;
  }
  return {
    key,
    name,
    value: typeof value === 'number' ? round(value, digits) : value,
    unit,
    target: target ? `${target.op} ${target.value}${typeof target.value === 'number' && unit ? ` ${unit}` : ''}` : '',
    peers,
    pass,
    note,
    ...(extra ? { extra } : {}),
  };
}

/** A figure that could not be measured: the error stands in its place, and it fails. */
export function failed(key, name, error, target) {
  return {
    key,
    name,
    value: null,
    unit: '',
    target: target ?? '',
    peers: '',
    pass: false,
    note: `not measured: ${error.message ?? error}`,
  };
}
