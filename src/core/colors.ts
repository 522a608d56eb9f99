// Colours, in one place: the colour of each state and of each service name, for the CLI's
// tables and lines, the shell's views and `tend up`'s terminal. Plain strings, no Ink; small
// enough for the one-shot CLI's bundle.
import type { State } from './types.js';

/** The colours tend paints with, by the names Ink also knows. */
export type ColorName =
  | 'red'
  | 'green'
  | 'yellow'
  | 'blue'
  | 'magenta'
  | 'cyan'
  | 'gray'
  | 'blueBright'
  | 'redBright'
  | 'cyanBright'
  | 'yellowBright'
  | 'greenBright'
  | 'magentaBright';

const ANSI: Record<ColorName, string> = {
  red: '31',
  green: '32',
  yellow: '33',
  blue: '34',
  magenta: '35',
  cyan: '36',
  gray: '90',
  blueBright: '94',
  redBright: '91',
  greenBright: '92',
  yellowBright: '93',
  cyanBright: '96',
  magentaBright: '95',
};

/** The colour of each state: waiting yellow, on the way cyan, up green, done blue, failed red, resting until its next run bright blue. */
export const STATE_COLORS: Readonly<Record<State, ColorName>> = {
  pending: 'yellow',
  starting: 'cyan',
  running: 'green',
  stopping: 'magenta',
  stopped: 'gray',
  backoff: 'yellow',
  completed: 'blue',
  failed: 'red',
  scheduled: 'blueBright',
};

/** The colour of a state word off the wire (undefined for a word tend does not know). */
export function stateColor(state: string | undefined): ColorName | undefined {
  return state !== undefined && Object.hasOwn(STATE_COLORS, state) ? STATE_COLORS[state as State] : undefined;
}

/** `text` in `color` as an ANSI escape. */
export function paint(text: string, color: ColorName): string {
  return `\x1b[${ANSI[color]}m${text}\x1b[0m`;
}

/** A state word, coloured when `color`. */
export function colorState(state: string, color: boolean): string {
  const c = stateColor(state);
  return color && c ? paint(state, c) : state;
}

/** The colours of names (log prefixes, the echo): distinct on a dark and a light terminal. */
export const PALETTE: readonly ColorName[] = [
  'cyan',
  'yellow',
  'green',
  'magenta',
  'blue',
  'redBright',
  'cyanBright',
  'yellowBright',
  'greenBright',
  'magentaBright',
];

/** A name in a colour of its own, the same every time (docker compose style prefixes). */
export function colorName(name: string, color: boolean): string {
  if (!color) return name;
  let h = 0;
  for (const ch of name) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return paint(name, PALETTE[h % PALETTE.length]!);
}

/** Whether a stream is a terminal that wants colour (NO_COLOR turns it off). */
export function wantsColor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(stream.isTTY) && !env.NO_COLOR;
}
