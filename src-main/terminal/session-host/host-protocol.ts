/**
 * The protocol between an agent and its session host (docs/adr/0022-session-host.md). Each connection
 * to the host's socket starts with one control message from the agent, length-prefixed JSON
 * (protocol/length-prefixed.ts), and the host's one reply, the same way:
 *
 * - `agent`: the agent's presence. The connection stays open; the host sends `gone` events on it, and
 *   the agent sends `close` / `closeAll`. The host counts an agent as present while it is open.
 * - `watch`: after an `ok` reply the connection is a watcher of the session (a shared terminal's
 *   viewer, docs/adr/0123-shared-terminals.md): the screen, then live output; its DATA frames are
 *   input, which the agent lets through only for a viewer that may type.
 * - `create` / `attach`: after an `ok` reply the connection carries the session's terminal frames
 *   (protocol/terminal-frames.ts) both ways, exactly as a peer's `terminal` stream does: the agent
 *   splices the two together and the host's ServerSession treats the connection as its stream.
 *
 * Both ends validate every message here: the socket is private to this user, but a host of another
 * release, or a stray client, must not crash the other side.
 */
import type { NewSessionRequest } from '../terminal-client.js';
import { ClawError } from '../../core/errors.js';
import {
  encodeLengthPrefixed,
  LENGTH_HEADER_BYTES,
  LengthPrefixedDecoder,
} from '../../protocol/length-prefixed.js';
import {
  agentChannelCheck,
  hostReplyCheck,
  hostRequestCheck,
  hostedSessionCheck,
  messageCheck,
  type MessageCheck,
} from './host-checks.js';

export type { MessageCheck } from './host-checks.js';

/** Version of this protocol; a host of another version is not adopted (the agent says so and stops). */
export const HOST_PROTOCOL_VERSION = 1;

/** The host's reason when a session to attach is not there (any other reason names the offset). */
export const NO_SUCH_SESSION = 'no such session';

/**
 * Largest control message, in bytes (4 MiB): the `agent` reply lists every session (at most
 * MAX_LISTED_SESSIONS, each label cut to MAX_LABEL); a new session's command is ≤ 8 KiB (an OPEN's
 * arguments, mux-frames.ts MAX_OPEN_ARGS_BYTES).
 */
export const MAX_HOST_MESSAGE = 4 * 1024 * 1024;

/** Longest label (`what` a session runs) in the host's list, in characters: a label, not the command. */
export const MAX_LABEL = 256;

/** Most sessions in the host's list (64 per peer is the registry's limit; this bounds the reply). */
export const MAX_LISTED_SESSIONS = 8192;

/**
 * What a viewer asks of a new session: the same fields as the agent's side (terminal-client.ts), a type
 * only, so the host's bundle imports nothing from there.
 */
export type NewTerminalFields = NewSessionRequest;

/**
 * The first message on a connection. Checked by host-checks.ts hostRequestCheck, not zod: the host
 * process loads no zod (ADR 0105).
 */
export type HostRequest =
  | { op: 'agent'; v: typeof HOST_PROTOCOL_VERSION }
  | {
      op: 'create';
      peer: string;
      peerName: string;
      /** How long the session waits for a resume after its stream is lost, in ms (the agent's setting). */
      resumeMs: number;
      args: NewTerminalFields;
    }
  | {
      op: 'attach';
      id: string;
      peer: string;
      offset: number;
      cols: number;
      rows: number;
      resumeMs: number;
      /** The peer asked for the session's input count in SESSION (FEATURE_INPUT_RESUME). */
      input?: true | undefined;
    }
  /** A watcher of session `id`, whoever opened it: the agent checked who may watch. */
  | { op: 'watch'; id: string };

const HOST_REQUEST = messageCheck<HostRequest>(hostRequestCheck);
export const hostRequest = (): MessageCheck<HostRequest> => HOST_REQUEST;

/** A session as the host lists it to an agent that adopts it. */
export interface HostedSession {
  id: string;
  peer: string;
  peerName: string;
  what: string;
}

const HOSTED_SESSION = messageCheck<HostedSession>(hostedSessionCheck(MAX_LABEL));
export const hostedSession = (): MessageCheck<HostedSession> => HOSTED_SESSION;

export type HostReply =
  | {
      ok: true;
      /** The session created or attached (create / attach). */
      id?: string | undefined;
      /** The host's process ID and its sessions (agent). */
      pid?: number | undefined;
      sessions?: HostedSession[] | undefined;
    }
  | { ok: false; code: 'SESSION_GONE' | 'SERVICE_FAILED' | 'BAD_REQUEST'; message: string };

const HOST_REPLY = messageCheck<HostReply>(hostReplyCheck(MAX_LABEL, MAX_LISTED_SESSIONS));
export const hostReply = (): MessageCheck<HostReply> => HOST_REPLY;

/** What flows on the `agent` connection after its reply, either way. */
export type AgentChannelMessage =
  | { op: 'gone'; id: string }
  | { op: 'close'; id: string; reason: string }
  /** `bye`: the agent is stopping on purpose; the host exits once no session is left. */
  | { op: 'closeAll'; reason: string; bye?: boolean | undefined };

const AGENT_CHANNEL = messageCheck<AgentChannelMessage>(agentChannelCheck);
export const agentChannelMessage = (): MessageCheck<AgentChannelMessage> => AGENT_CHANNEL;

/** One message, framed. */
export function encodeHostMessage(message: HostRequest | HostReply | AgentChannelMessage): Buffer {
  const json = Buffer.from(JSON.stringify(message), 'utf8');
  if (json.length > MAX_HOST_MESSAGE) {
    throw new ClawError('BAD_ARGUMENT', `session host message of ${json.length} bytes is too large`);
  }
  return encodeLengthPrefixed(json);
}

/**
 * Parses one framed payload against `schema`.
 * @throws ClawError('PROTOCOL') when it is not JSON or does not match.
 */
export function parseHostMessage<T>(payload: Buffer, schema: MessageCheck<T>): T {
  let json: unknown;
  try {
    json = JSON.parse(payload.toString('utf8'));
  } catch {
    throw new ClawError('PROTOCOL', 'session host message is not JSON');
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new ClawError('PROTOCOL', `bad session host message: ${parsed.error.message}`);
  return parsed.data;
}

/** A decoder of framed host messages (at most MAX_HOST_MESSAGE each). */
export function hostMessageDecoder(): LengthPrefixedDecoder {
  return new LengthPrefixedDecoder(MAX_HOST_MESSAGE);
}

/**
 * Splits the first framed message off `buffered`: undefined while it is incomplete, else the message
 * and the bytes after it (terminal frames, not host messages: they are handed on as they are).
 * @throws ClawError('FRAME_TOO_LARGE') when the header announces more than MAX_HOST_MESSAGE. Pure.
 */
export function splitFirstMessage(buffered: Buffer): { payload: Buffer; rest: Buffer } | undefined {
  if (buffered.length < LENGTH_HEADER_BYTES) return undefined;
  const length = buffered.readUInt32BE(0);
  if (length > MAX_HOST_MESSAGE) {
    throw new ClawError('FRAME_TOO_LARGE', `session host message of ${length} bytes is too large`);
  }
  const end = LENGTH_HEADER_BYTES + length;
  if (buffered.length < end) return undefined;
  return { payload: buffered.subarray(LENGTH_HEADER_BYTES, end), rest: buffered.subarray(end) };
}

/** The events of a socket readFirstMessage uses. */
interface MessageSource {
  on(event: 'data', l: (chunk: Buffer) => void): unknown;
  on(event: 'end' | 'close', l: () => void): unknown;
  on(event: 'error', l: (err: Error) => void): unknown;
  off(event: 'data', l: (chunk: Buffer) => void): unknown;
  off(event: 'end' | 'close', l: () => void): unknown;
  off(event: 'error', l: (err: Error) => void): unknown;
  pause(): unknown;
}

/**
 * Reads the first message on `socket` and returns it with whatever arrived after it, and leaves the
 * socket paused: the caller hands the rest on before it reads more.
 * @throws ClawError('PROTOCOL') on a bad message, ('STREAM_RESET') when the socket ends first.
 */
export function readFirstMessage<T>(
  socket: MessageSource,
  schema: MessageCheck<T>,
): Promise<{ message: T; rest: Buffer }> {
  return new Promise((resolve, reject) => {
    let buffered: Buffer = Buffer.alloc(0);
    const done = () => {
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('close', onEnd);
      socket.off('error', onError);
    };
    const onData = (chunk: Buffer) => {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      try {
        const split = splitFirstMessage(buffered);
        if (!split) return;
        done();
        socket.pause();
        resolve({ message: parseHostMessage(split.payload, schema), rest: split.rest });
      } catch (err) {
        done();
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    };
    const onEnd = () => {
      done();
      reject(new ClawError('STREAM_RESET', 'the session host connection closed before its message'));
    };
    const onError = (err: Error) => {
      done();
      reject(err);
    };
    socket.on('data', onData);
    socket.on('end', onEnd);
    socket.on('close', onEnd);
    socket.on('error', onError);
  });
}
