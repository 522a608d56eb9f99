// The frames of the control socket (SPEC §5) and the server's validation of requests.
// The client imports only the types of this file (`import type`), never zod.
import { z } from 'zod';
import { LineSplitter } from './lines.js';
import { MAX_LINE_BYTES } from './limits.js';

export { LineSplitter, MAX_LINE_BYTES };

export type RequestId = number | string;

/** A client's request line. */
export interface RequestFrame {
  id: RequestId;
  cmd: string;
  args?: Record<string, unknown>;
}

/** The `error` member of a failed reply. */
export interface ErrorBody {
  code: string;
  message: string;
}

/** The one final answer to a request (id null: the connection itself is refused or unreadable). */
export type ReplyFrame =
  | { id: RequestId; ok: true; result: unknown }
  | { id: RequestId | null; ok: false; error: ErrorBody };

/** One event of a stream, sent before its reply. */
export interface EventFrame {
  id: RequestId;
  event: unknown;
}

/** Anything the server writes. */
export type ServerFrame = ReplyFrame | EventFrame;

/**
 * Built into the server, not passed to the handler: `{"cmd": "cancel", "args": {"id": N}}` ends
 * the stream or request N on this connection (its ctx.closed resolves, its signal aborts, and
 * nothing more is sent for it). Lets a client stop `logs -f` without dropping the connection.
 */
export const CANCEL_COMMAND = 'cancel';

const requestId = z.union([z.number().finite(), z.string().max(200)], {
  error: 'expected a number or a string (of at most 200 characters)',
});

/** The shape of a request line; argument shapes per command are checked separately. */
export const requestSchema = z.object({
  id: requestId,
  cmd: z.string({ error: 'expected a command name (a string)' }).min(1).max(100),
  args: z.record(z.string(), z.unknown(), { error: 'expected an object' }).optional(),
});

export const cancelArgsSchema = z.object({ id: requestId });

/** The result of reading one request line. */
export type ParsedRequest =
  | { ok: true; request: { id: RequestId; cmd: string; args: Record<string, unknown> } }
  | { ok: false; id: RequestId | null; error: ErrorBody };

/** Parses and validates one line; on failure says why, with the request's id when it had a usable one. */
export function parseRequest(line: string): ParsedRequest {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (err) {
    return { ok: false, id: null, error: { code: 'bad_request', message: `malformed JSON: ${(err as Error).message}` } };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    const got = value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
    return { ok: false, id: null, error: { code: 'bad_request', message: `a request must be a JSON object; got ${got}` } };
  }
  const parsed = requestSchema.safeParse(value);
  if (!parsed.success) {
    const rawId = (value as { id?: unknown }).id;
    const id = requestId.safeParse(rawId).success ? (rawId as RequestId) : null;
    return { ok: false, id, error: { code: 'bad_request', message: formatIssues(parsed.error) } };
  }
  const { id, cmd, args } = parsed.data;
  return { ok: true, request: { id, cmd, args: args ?? {} } };
}

/** Turns a zod error into "path: message; path: message" (first 5 issues), paths prefixed by `prefix`. */
export function formatIssues(error: z.ZodError, prefix: string[] = []): string {
  const shown = error.issues.slice(0, 5).map((issue) => {
    const path = [...prefix, ...issue.path.map(String)].join('.');
    return path ? `${path}: ${issue.message}` : issue.message;
  });
  const more = error.issues.length - shown.length;
  return `bad request: ${shown.join('; ')}${more > 0 ? ` (and ${more} more)` : ''}`;
}

/** True for zod errors of either flavour (classic ZodError or core $ZodError). */
export function isZodError(err: unknown): err is z.ZodError {
  return err instanceof z.ZodError || err instanceof z.core.$ZodError;
}

/** One frame as a line, ready to write. */
export function encodeFrame(frame: ServerFrame | RequestFrame): string {
  return JSON.stringify(frame) + '\n';
}
