/**
 * The session host's log: one JSON line per entry, in pino's format (level number, time, pid, part,
 * the entry's fields, msg; an `err` as type, message and stack), so `clawbridge log` and a person read
 * session-host.log as they read the agent's. Not pino itself: the host process only writes a line when
 * it starts, stops or a session ends, and pino's code, with the Node modules it loads, was a large part
 * of what the host held (ADR 0105).
 */
import type { Logger } from 'pino';
import type { LogDestination } from '../../home/log-destination.js';

/** What the host and its sessions log with (a pino Logger is one too). */
export type HostLogger = Pick<Logger, 'info' | 'warn' | 'error' | 'fatal'>;

/** pino's level numbers. */
const LEVELS = { info: 30, warn: 40, error: 50, fatal: 60 } as const;

/** An error as pino's standard serializer writes it. */
function serializedError(err: unknown): unknown {
  if (!(err instanceof Error)) return err;
  return { type: err.name, message: err.message, stack: err.stack };
}

/** A logger writing to `dest`, each line carrying `base`'s fields (pino's `base`). */
export function hostLogger(dest: LogDestination, base: Readonly<Record<string, unknown>>): HostLogger {
  const at =
    (level: keyof typeof LEVELS) =>
    (first: unknown, msg?: string): void => {
      const fields =
        typeof first === 'object' && first !== null && !(first instanceof Error)
          ? (first as Record<string, unknown>)
          : first instanceof Error
            ? { err: first }
            : {};
      const text = typeof first === 'string' ? first : msg;
      const entry: Record<string, unknown> = { level: LEVELS[level], time: Date.now(), ...base };
      for (const [k, v] of Object.entries(fields)) entry[k] = k === 'err' ? serializedError(v) : v;
      if (text !== undefined) entry.msg = text;
      let line: string;
      try {
        line = JSON.stringify(entry);
      } catch {
        line = JSON.stringify({ level: LEVELS[level], time: entry.time, ...base, msg: text });
      }
      dest.write(`${line}\n`);
    };
  return { info: at('info'), warn: at('warn'), error: at('error'), fatal: at('fatal') };
}
