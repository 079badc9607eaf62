/**
 * The checks of the messages between an agent and its session host (host-protocol.ts), written out
 * rather than built with zod: the host process loads this module and nothing of zod, whose code and
 * schema objects were the largest part of what the host held beyond Node itself (ADR 0105). Each check
 * refuses what the zod schemas it replaced refused: unknown keys, wrong types, out-of-range numbers,
 * over-long strings; test/unit/terminal/session-host/host-checks.test.ts holds the new-session fields
 * equal to terminal-open-fields.ts, which the agent checks a peer's OPEN with. Pure.
 */
import {
  MAX_COMMAND_ARGS,
  MAX_TERMINAL_DIMENSION,
  MAX_TERMINAL_OFFSET,
  SESSION_ID,
  TERMINAL_TYPE_NAME,
} from '../../protocol/terminal-frames.js';

/** What checks a parsed message: the shape of zod's `safeParse`, so a zod schema fits here too. */
export interface MessageCheck<T> {
  safeParse(json: unknown): { success: true; data: T } | { success: false; error: { message: string } };
}

/** A value that is not what its field must be; the message names the field. */
class Refused extends Error {}

type Field = (value: unknown, name: string) => void;

const refuse = (name: string, what: string): never => {
  throw new Refused(`${name}: ${what}`);
};

const FINGERPRINT = /^[0-9a-f]{64}$/;

const string =
  (max: number, pattern?: RegExp): Field =>
  (v, name) => {
    if (typeof v !== 'string') refuse(name, 'expected a string');
    else if (v.length > max) refuse(name, `longer than ${max} characters`);
    else if (pattern && !pattern.test(v)) refuse(name, `does not match ${String(pattern)}`);
  };

const integer =
  (min: number, max: number): Field =>
  (v, name) => {
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) refuse(name, 'expected an integer');
    else if (v < min || v > max) refuse(name, `expected ${min} to ${max}`);
  };

const boolean: Field = (v, name) => {
  if (typeof v !== 'boolean') refuse(name, 'expected true or false');
};

const literal =
  (want: string | number | boolean): Field =>
  (v, name) => {
    if (v !== want) refuse(name, `expected ${JSON.stringify(want)}`);
  };

const oneOf =
  (values: readonly string[]): Field =>
  (v, name) => {
    if (typeof v !== 'string' || !values.includes(v)) refuse(name, `expected one of ${values.join(', ')}`);
  };

/** An array of at least `min` and at most `max` items, each passing `item`. */
const array =
  (item: Field, min: number, max: number): Field =>
  (v, name) => {
    if (!Array.isArray(v)) return refuse(name, 'expected an array');
    if (v.length < min || v.length > max) refuse(name, `expected ${min} to ${max} items`);
    v.forEach((x, i) => item(x, `${name}[${i}]`));
  };

/** An object with exactly these keys (those in `optional` may be absent), none other. */
const object =
  (fields: Record<string, Field>, optional: readonly string[] = []): Field =>
  (v, name) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return refuse(name, 'expected an object');
    const o = v as Record<string, unknown>;
    for (const key of Object.keys(o)) {
      if (!Object.hasOwn(fields, key)) refuse(name, `unknown key ${JSON.stringify(key)}`);
    }
    for (const [key, check] of Object.entries(fields)) {
      if (o[key] === undefined) {
        if (!optional.includes(key)) refuse(`${name}.${key}`, 'missing');
      } else check(o[key], `${name}.${key}`);
    }
  };

/** One of several objects, told apart by the value of `key`. */
const taggedUnion =
  (key: string, byTag: Record<string, Field>): Field =>
  (v, name) => {
    const tag = typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[key] : undefined;
    const check = typeof tag === 'string' || typeof tag === 'boolean' ? byTag[String(tag)] : undefined;
    if (!check) return refuse(`${name}.${key}`, `expected one of ${Object.keys(byTag).join(', ')}`);
    check(v, name);
  };

/** A check of `T`, whose checks above stand for T's type (the types are in host-protocol.ts). */
export function messageCheck<T>(check: Field): MessageCheck<T> {
  return {
    safeParse(json) {
      try {
        check(json, 'message');
        return { success: true, data: json as T };
      } catch (err) {
        if (!(err instanceof Refused)) throw err;
        return { success: false, error: { message: err.message } };
      }
    },
  };
}

const fingerprint = string(64, FINGERPRINT);
const sessionId = string(32, SESSION_ID);
const reason = string(1024);
const peerName = string(256);
/** How long the session waits for a resume after its stream is lost, in ms (the agent's setting). */
const resumeMs = integer(0, 24 * 3_600_000);
const dimension = integer(1, MAX_TERMINAL_DIMENSION);

/** What a viewer asks of a new session: terminal-open-fields.ts's newTerminalFieldsWith, written out. */
export const newTerminalFieldsCheck = object(
  {
    command: array(string(8192), 1, MAX_COMMAND_ARGS),
    cols: dimension,
    rows: dimension,
    term: string(Number.MAX_SAFE_INTEGER, TERMINAL_TYPE_NAME),
    echo: boolean,
    opost: boolean,
    pty: boolean,
  },
  ['command', 'term', 'echo', 'opost', 'pty'],
);

export const hostRequestCheck = taggedUnion('op', {
  agent: object({ op: literal('agent'), v: literal(1) }),
  create: object({
    op: literal('create'),
    peer: fingerprint,
    peerName,
    resumeMs,
    args: newTerminalFieldsCheck,
  }),
  attach: object(
    {
      op: literal('attach'),
      id: sessionId,
      peer: fingerprint,
      offset: integer(0, MAX_TERMINAL_OFFSET),
      cols: dimension,
      rows: dimension,
      resumeMs,
      input: literal(true),
    },
    ['input'],
  ),
  watch: object({ op: literal('watch'), id: sessionId }),
});

export const hostedSessionCheck = (maxLabel: number): Field =>
  object({ id: sessionId, peer: fingerprint, peerName, what: string(maxLabel) });

export const hostReplyCheck = (maxLabel: number, maxListed: number): Field =>
  taggedUnion('ok', {
    true: object(
      {
        ok: literal(true),
        id: sessionId,
        pid: integer(1, Number.MAX_SAFE_INTEGER),
        sessions: array(hostedSessionCheck(maxLabel), 0, maxListed),
      },
      ['id', 'pid', 'sessions'],
    ),
    false: object({
      ok: literal(false),
      code: oneOf(['SESSION_GONE', 'SERVICE_FAILED', 'BAD_REQUEST']),
      message: string(4096),
    }),
  });

export const agentChannelCheck = taggedUnion('op', {
  gone: object({ op: literal('gone'), id: sessionId }),
  close: object({ op: literal('close'), id: sessionId, reason }),
  /** `bye`: the agent is stopping on purpose; the host exits once no session is left. */
  closeAll: object({ op: literal('closeAll'), reason, bye: boolean }, ['bye']),
});
