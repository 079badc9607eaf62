/**
 * The API contract over the web UI's `/api` WebSocket (docs/web-ui.md "Messages"): after the token,
 * `{"type":"request",id,method,params}` → `{"type":"response",id,ok,result|error}`, and after
 * `{"type":"subscribe"}` the contract's events as `{"type":"event",event,data}`. Requests are checked by
 * the same validateRequest as the control socket; a bad one gets an error reply and the socket goes on.
 */
import type { RawData, WebSocket } from 'ws';
import type { ErrorCode } from '../../core/errors.js';
import type { ServedApi } from '../contract-registry.js';
import { eventOptionsProblem } from '../event-options.js';
import { apiErrorBody, requestIdOf, validateRequest } from '../validate.js';
import {
  CLOSE_BAD_DATA,
  CLOSE_UNSUPPORTED_DATA,
  sendJson,
  textOf,
  WEB_UI_PROTOCOL_VERSION,
  type UiSessions,
} from './ws-session.js';

/** Requests of one socket handled at once; the socket is not read while this many are (backpressure). */
export const MAX_IN_FLIGHT_REQUESTS = 64;

/**
 * Serves one `/api` socket: the token first (UiSessions), then requests and events.
 * @param tokenOffered the upgrade carried the token too (UI_SUBPROTOCOL)
 */
export function serveApiSocket(
  ws: WebSocket,
  handler: ServedApi,
  sessions: UiSessions,
  tokenOffered = false,
): void {
  sessions.admit(
    ws,
    () => {
      sendJson(ws, { type: 'ready', version: WEB_UI_PROTOCOL_VERSION });
      serveMessages(ws, handler);
    },
    tokenOffered,
  );
}

function failure(id: number | null, code: ErrorCode, message: string) {
  return { type: 'response', id, ok: false, error: { code, message } };
}

function serveMessages(ws: WebSocket, handler: ServedApi): void {
  let disposeEvents: (() => void) | undefined;
  let inFlight = 0;
  const reply = (msg: unknown) => {
    inFlight--;
    sendJson(ws, msg);
    // ws.resume() is a no-op unless paused; reading goes on once a request slot is free.
    if (inFlight < MAX_IN_FLIGHT_REQUESTS) ws.resume();
  };
  const onMessage = (data: RawData, isBinary: boolean) => {
    const text = textOf(data, isBinary);
    if (text === undefined) return ws.close(CLOSE_UNSUPPORTED_DATA, 'the API takes JSON text messages');
    let msg: unknown;
    try {
      msg = JSON.parse(text);
    } catch {
      return ws.close(CLOSE_BAD_DATA, 'a message was not valid JSON');
    }
    if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) {
      return sendJson(ws, failure(null, 'BAD_ARGUMENT', 'a message must be a JSON object with a type'));
    }
    const type = (msg as { type?: unknown }).type;
    if (type === 'subscribe') {
      // The options the domains take ride beside the type (`messageStates: 'batched'`, ADR 0059).
      const known = handler.contract.eventOptions;
      const given = msg as Record<string, unknown>;
      const options = Object.fromEntries(
        [...known.keys()].filter((k) => given[k] !== undefined).map((k) => [k, given[k]]),
      );
      const problem = eventOptionsProblem(options, known);
      if (problem) return sendJson(ws, failure(null, 'BAD_ARGUMENT', `subscribe: ${problem}`));
      disposeEvents ??= handler.onEvent(
        (event, payload) => sendJson(ws, { type: 'event', event, data: payload }),
        options,
      );
      return;
    }
    if (type !== 'request') {
      const what = typeof type === 'string' ? `'${type.slice(0, 40)}'` : 'missing';
      return sendJson(
        ws,
        failure(requestIdOf(msg), 'BAD_ARGUMENT', `message type ${what}: expected request or subscribe`),
      );
    }
    inFlight++;
    if (inFlight >= MAX_IN_FLIGHT_REQUESTS) ws.pause();
    // handle answers every failure itself; should it throw anyway, the page sees the socket close.
    handle(msg, handler).then(reply, () => ws.terminate());
  };
  ws.on('message', onMessage);
  ws.once('close', () => disposeEvents?.());
}

async function handle(msg: object, handler: ServedApi): Promise<unknown> {
  try {
    const req = validateRequest(msg, handler.contract);
    const result = await handler.call(req.method, req.params);
    return { type: 'response', id: req.id, ok: true, result };
  } catch (err) {
    return { type: 'response', id: requestIdOf(msg), ok: false, error: apiErrorBody(err) };
  }
}
