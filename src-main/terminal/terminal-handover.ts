/**
 * The terminals this node has open on its peers, handed from one run of the agent to the next
 * (docs/adr/0082-terminals-across-an-update.md): a restart to install an update asks the agent for
 * `terminal.handOver`, which writes `terminals-handover.json` in the home, and the process is then
 * ended without hanging anything up. Each peer keeps its session for its resume window; the next
 * agent reads the file once (and deletes it), lists each terminal again with the output it had, and
 * takes the session up on the peer from where that output ends (`terminal-client.ts resume`), so the
 * window re-attaches to the same shell.
 *
 * The file holds what the screens showed (up to SCROLLBACK_BYTES a terminal): it is written 0600, read
 * once, and one older than HANDOVER_MAX_AGE_MS is dropped unread, as is any entry that does not parse
 * (a boundary: a damaged or foreign file costs those terminals, never the agent's start).
 */
import { constants } from 'node:fs';
import { open, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { ClawError, errorMessage } from '../core/errors.js';
import { describeZodError } from '../core/zod-error.js';
import { replaceFileSync } from '../home/durable-file.js';
import { MAX_TERMINAL_OFFSET, SESSION_ID } from '../protocol/terminal-frames.js';
import { terminalDimension } from '../protocol/terminal-open-args.js';

/** The file's name in the home. */
export const HANDOVER_FILE = 'terminals-handover.json';

/**
 * How old a hand-over may be and still be taken up, in ms (10 min). A peer keeps a session for its
 * resume window (1 min by default, longer where its owner set it): past that the take-up would only be
 * refused. Generous, so a slow installer does not cost a session its peer still holds.
 */
export const HANDOVER_MAX_AGE_MS = 10 * 60 * 1000;

/** One terminal handed over: enough to list it again, show its output and take it up on its peer. */
export interface HandedOverTerminal {
  /** The peer's fingerprint. */
  peer: string;
  peerName: string;
  /** The session's ID on the peer. */
  session: string;
  /** The output offset of `scrollback`'s first byte; the take-up resumes at its end. */
  from: number;
  /** The output this node had, from `from` (at most SCROLLBACK_BYTES). */
  scrollback: Buffer;
  cols: number;
  rows: number;
  /** The program runs on pipes, not a terminal. */
  pipes: boolean;
  /** What the session runs, as the connection list says it. */
  command: string;
  startedAt: string;
}

const entrySchema = (maxScrollback: number) =>
  z
    .object({
      peer: z.string().regex(/^[0-9a-f]{64}$/, 'a fingerprint is 64 lowercase hex digits'),
      peerName: z.string().min(1).max(256),
      session: z.string().regex(SESSION_ID, 'a session ID is 32 hex digits'),
      from: z.number().int().min(0).max(MAX_TERMINAL_OFFSET),
      // Base64 of at most maxScrollback bytes.
      scrollback: z
        .string()
        .max(Math.ceil(maxScrollback / 3) * 4)
        .regex(/^[A-Za-z0-9+/]*={0,2}$/, 'the output is base64'),
      cols: terminalDimension(),
      rows: terminalDimension(),
      pipes: z.boolean(),
      command: z.string().max(1024),
      startedAt: z.string().max(64),
    })
    .strict();

const fileSchema = () =>
  z.object({
    version: z.literal(1),
    writtenAt: z.number().int().min(0),
    terminals: z.array(z.unknown()),
  });

/**
 * The file's text for `terminals`, written at `now` (ms since the epoch). Pure.
 */
export function encodeHandOver(terminals: readonly HandedOverTerminal[], now: number): string {
  return `${JSON.stringify({
    version: 1,
    writtenAt: now,
    terminals: terminals.map((t) => ({ ...t, scrollback: t.scrollback.toString('base64') })),
  })}\n`;
}

/**
 * The terminals in a hand-over file's `text`, read at `now`: none when it is older than
 * HANDOVER_MAX_AGE_MS (or from the future), not JSON of this shape, and without each entry that does
 * not parse or holds more than `maxScrollback` bytes or `maxTerminals` in all; `warn` says what was
 * dropped. Pure but for `warn`.
 */
export function decodeHandOver(
  text: string,
  now: number,
  limits: { maxTerminals: number; maxScrollback: number },
  warn: (line: string) => void,
): HandedOverTerminal[] {
  let file: z.infer<ReturnType<typeof fileSchema>>;
  try {
    file = fileSchema().parse(JSON.parse(text));
  } catch (err) {
    const why = err instanceof z.ZodError ? describeZodError(err) : errorMessage(err);
    warn(`the terminals handed over by the previous run are not readable (${why}); none taken up`);
    return [];
  }
  const age = now - file.writtenAt;
  if (age < 0 || age > HANDOVER_MAX_AGE_MS) {
    warn(
      `the terminals handed over by the previous run are ${age < 0 ? 'from the future' : `${Math.round(age / 1000)} s old`}; their peers no longer keep them, none taken up`,
    );
    return [];
  }
  const schema = entrySchema(limits.maxScrollback);
  const kept: HandedOverTerminal[] = [];
  for (const [i, entry] of file.terminals.entries()) {
    if (kept.length >= limits.maxTerminals) {
      warn(`only ${limits.maxTerminals} handed-over terminals are taken up; the rest are dropped`);
      break;
    }
    const parsed = schema.safeParse(entry);
    if (!parsed.success) {
      warn(`handed-over terminal ${i + 1} dropped: ${describeZodError(parsed.error)}`);
      continue;
    }
    const scrollback = Buffer.from(parsed.data.scrollback, 'base64');
    if (
      scrollback.length > limits.maxScrollback ||
      parsed.data.from + scrollback.length > MAX_TERMINAL_OFFSET
    ) {
      warn(`handed-over terminal ${i + 1} dropped: its output is longer than a terminal keeps`);
      continue;
    }
    if (kept.some((t) => t.peer === parsed.data.peer && t.session === parsed.data.session)) continue;
    kept.push({ ...parsed.data, scrollback });
  }
  return kept;
}

/** The hand-over file of the agent whose home is `home`. */
export function handOverPath(home: string): string {
  return join(home, HANDOVER_FILE);
}

/** Writes the hand-over (replacing any earlier one), readable by this user only. */
export function writeHandOver(
  home: string,
  terminals: readonly HandedOverTerminal[],
  now = Date.now(),
): void {
  replaceFileSync(handOverPath(home), encodeHandOver(terminals, now), 0o600);
}

/**
 * The most a hand-over of `limits` can take on disk, in bytes: each terminal's output in base64 and
 * its other fields, with room to spare. A larger file is not one this agent wrote.
 */
export function handOverMaxBytes(limits: { maxTerminals: number; maxScrollback: number }): number {
  return limits.maxTerminals * (Math.ceil(limits.maxScrollback / 3) * 4 + 4096) + 4096;
}

// O_NOFOLLOW: a link there is not this agent's file. O_NONBLOCK: a FIFO there cannot hold the open.
const OPEN_FLAGS =
  constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0) | (constants.O_NOCTTY ?? 0);

/**
 * The text of the regular file at `path`, read without following a link and without waiting on a
 * FIFO or device; undefined when there is none.
 * @throws ClawError('BAD_ARGUMENT') for anything else there, or a file longer than `maxBytes`
 */
async function readRegularFile(path: string, maxBytes: number): Promise<string | undefined> {
  let file: FileHandle;
  try {
    file = await open(path, OPEN_FLAGS);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'ELOOP' || code === 'EMLINK') throw new ClawError('BAD_ARGUMENT', 'it is a link');
    throw err;
  }
  try {
    const stat = await file.stat();
    if (!stat.isFile()) throw new ClawError('BAD_ARGUMENT', 'it is not a regular file');
    if (stat.size > maxBytes) {
      throw new ClawError('BAD_ARGUMENT', `it is ${stat.size} bytes, more than a hand-over holds`);
    }
    // Read at most one byte past the cap: a file growing meanwhile is refused, not read to its end.
    const buf = Buffer.alloc(maxBytes + 1);
    let got = 0;
    for (;;) {
      const { bytesRead } = await file.read(buf, got, buf.length - got, got);
      if (bytesRead === 0) break;
      got += bytesRead;
      if (got > maxBytes) throw new ClawError('BAD_ARGUMENT', 'it grew past what a hand-over holds');
    }
    return buf.toString('utf8', 0, got);
  } finally {
    await file.close();
  }
}

/**
 * Takes the hand-over a previous run left in `home`: reads it and deletes it, so it is taken up once
 * (a crash right after costs those terminals, never a second take-up). None when there is no file.
 * Only a regular file of at most handOverMaxBytes is read; anything else there (a link, a FIFO, a
 * device, a huge file) is removed unread and said in `warn`, and never holds the agent's start.
 */
export async function takeHandOver(
  home: string,
  limits: { maxTerminals: number; maxScrollback: number },
  warn: (line: string) => void,
  now = Date.now(),
): Promise<HandedOverTerminal[]> {
  const path = handOverPath(home);
  let text: string | undefined;
  let problem: string | undefined;
  try {
    text = await readRegularFile(path, handOverMaxBytes(limits));
    if (text === undefined) return [];
  } catch (err) {
    problem = `cannot read ${path} (${errorMessage(err)}); no handed-over terminals taken up`;
  }
  try {
    await rm(path, { force: true });
  } catch (err) {
    warn(problem ?? `cannot remove ${path} (${errorMessage(err)}); its terminals are not taken up twice`);
    return [];
  }
  if (problem !== undefined || text === undefined) {
    warn(problem ?? `cannot read ${path}`);
    return [];
  }
  return decodeHandOver(text, now, limits, warn);
}
