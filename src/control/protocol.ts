// The server's reading of request frames (their types are in wire.ts): one line -> a checked
// request or an error reply. No schema library: the shapes are three fields, checked by hand.
import { LineSplitter } from './lines.js';
import { MAX_LINE_BYTES, MAX_REQUEST_DEPTH } from './limits.js';
import type { ErrorBody, EventFrame, ReplyFrame, RequestFrame, RequestId, ServerFrame } from './wire.js';

export { LineSplitter, MAX_LINE_BYTES };

export type { ErrorBody, EventFrame, ReplyFrame, RequestFrame, RequestId, ServerFrame };

/**
 * Built into the server, not passed to the handler: `{"cmd": "cancel", "args": {"id": N}}` ends
 * the stream or request N on this connection (its ctx.closed resolves, its signal aborts, and
 * nothing more is sent for it). Lets a client stop `logs -f` without dropping the connection.
 */
export const CANCEL_COMMAND = 'cancel';

/** A problem of one field of a request: where ("args.name", "" for the whole value) and what. */
export interface Issue {
  path: PropertyKey[];
  message: string;
}

/**
 * Anything that checks a command's arguments the way zod does (a zod schema fits): the server
 * itself has no schema library, which keeps the daemon small; tests and embedders may pass zod.
 */
export interface ArgsSchema<T = unknown> {
  safeParse(value: unknown): { success: true; data: T } | { success: false; error: { issues: readonly Issue[] } };
}

const ID_PROBLEM = 'expected a number or a string (of at most 200 characters)';

function isRequestId(v: unknown): v is RequestId {
  return (typeof v === 'number' && Number.isFinite(v)) || (typeof v === 'string' && v.length <= 200);
}

function isArgs(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The problems of a request's own fields (id, cmd, args); argument shapes per command are checked separately. */
function requestIssues(v: Record<string, unknown>): Issue[] {
  const issues: Issue[] = [];
  if (!isRequestId(v.id)) issues.push({ path: ['id'], message: ID_PROBLEM });
  if (typeof v.cmd !== 'string') issues.push({ path: ['cmd'], message: 'expected a command name (a string)' });
  else if (v.cmd.length === 0 || v.cmd.length > 100)
    issues.push({ path: ['cmd'], message: 'expected a command name of 1 to 100 characters' });
  if (v.args !== undefined && !isArgs(v.args)) issues.push({ path: ['args'], message: 'expected an object' });
  return issues;
}

/** The arguments of `cancel`: the id of the request to end. */
export function cancelIssues(args: Record<string, unknown>): Issue[] {
  return isRequestId(args.id) ? [] : [{ path: ['id'], message: ID_PROBLEM }];
}

/** The result of reading one request line. */
export type ParsedRequest =
  | { ok: true; request: { id: RequestId; cmd: string; args: Record<string, unknown> } }
  | { ok: false; id: RequestId | null; error: ErrorBody };

/** Parses and validates one line; on failure says why, with the request's id when it had a usable one. */
export function parseRequest(line: string): ParsedRequest {
  if (nestedDeeperThan(line, MAX_REQUEST_DEPTH)) {
    // refused before JSON.parse: parsing a line of a million "[" costs tens of MB that glibc keeps
    const message = `a request may nest arrays and objects at most ${MAX_REQUEST_DEPTH} deep`;
    return { ok: false, id: null, error: { code: 'bad_request', message } };
  }
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (err) {
    return { ok: false, id: null, error: { code: 'bad_request', message: `malformed JSON: ${(err as Error).message}` } };
  }
  if (!isArgs(value)) {
    const got = value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
    return { ok: false, id: null, error: { code: 'bad_request', message: `a request must be a JSON object; got ${got}` } };
  }
  const issues = requestIssues(value);
  if (issues.length > 0) {
    const id = isRequestId(value.id) ? value.id : null;
    return { ok: false, id, error: { code: 'bad_request', message: formatIssues(issues) } };
  }
  const { id, cmd, args } = value as { id: RequestId; cmd: string; args?: Record<string, unknown> };
  return { ok: true, request: { id, cmd, args: args ?? {} } };
}

/** Whether JSON text opens more than `max` arrays or objects inside each other (strings skipped). */
export function nestedDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // a backslash: the next character is escaped
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

/** Turns issues into "bad request: path: message; path: message" (first 5), paths prefixed by `prefix`. */
export function formatIssues(issues: readonly Issue[], prefix: string[] = []): string {
  const shown = issues.slice(0, 5).map((issue) => {
    const path = [...prefix, ...issue.path.map(String)].join('.');
    return path ? `${path}: ${issue.message}` : issue.message;
  });
  const more = issues.length - shown.length;
  return `bad request: ${shown.join('; ')}${more > 0 ? ` (and ${more} more)` : ''}`;
}

/** The issues of a validation error a handler threw (a ZodError, or anything shaped like one). */
export function validationIssues(err: unknown): readonly Issue[] | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const name = (err as { name?: unknown }).name;
  if (name !== 'ZodError' && name !== '$ZodError') return undefined;
  const issues = (err as { issues?: unknown }).issues;
  return Array.isArray(issues) ? (issues as Issue[]) : undefined;
}

/** One frame as a line, ready to write. */
export function encodeFrame(frame: ServerFrame | RequestFrame): string {
  return JSON.stringify(frame) + '\n';
}

const ENCODED = Symbol('tend.encoded');
type Shareable = { [ENCODED]?: string | null };

/**
 * Marks an event that is handed to many streams (a log line to each of its followers) and never
 * changes: its JSON is made once (encodeEvent), not once a stream. Why: a flooding service's
 * lines are the daemon's work times its followers; this takes the encoding out of that product.
 */
export function sharedEvent<T extends object>(event: T): T {
  const e = event as Shareable;
  if (e[ENCODED] === undefined) e[ENCODED] = null;
  return event;
}

/** The event frame of stream `id` as a line: encodeFrame({ id, event }), byte for byte. */
export function encodeEvent(id: RequestId, event: unknown): string {
  const e = event as Shareable | null;
  if (typeof e !== 'object' || e === null || e[ENCODED] === undefined) return encodeFrame({ id, event });
  const json = (e[ENCODED] ??= JSON.stringify(event));
  return `{"id":${JSON.stringify(id)},"event":${json}}\n`;
}
