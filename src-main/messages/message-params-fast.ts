/**
 * A fast check of `messages.send` and `messages.sendMany` parameters (ADR 0059): a batch of 1,000
 * messages cost the agent ~8–11 µs per message in zod, a tenth of its work per message. Params this
 * check passes are exactly those the contract's schemas accept (the same keys, types and limits); for
 * any it does not pass, validate.ts asks zod, so every error reads as it did. No zod here.
 */
import { MESSAGE_BATCH_MAX, SEND_MANY_COMPACT } from './message-bodies.js';
import { sendItemProblem } from './send-item.js';

const FIELDS = new Set(['topic', 'text', 'base64', 'ttlMs', 'replyTo', 'error']);

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** True when `m` is one message as the schemas take it (`peer` too when `withPeer`). */
function fine(m: unknown, withPeer: boolean): boolean {
  if (!isObject(m)) return false;
  for (const key in m) {
    if (!FIELDS.has(key) && !(withPeer && key === 'peer')) return false;
  }
  if (withPeer && !peerFine(m.peer)) return false;
  const { topic, text, base64, ttlMs, replyTo, error } = m;
  if (
    (topic !== undefined && typeof topic !== 'string') ||
    (text !== undefined && typeof text !== 'string') ||
    (base64 !== undefined && typeof base64 !== 'string') ||
    (ttlMs !== undefined && typeof ttlMs !== 'number') ||
    (replyTo !== undefined && typeof replyTo !== 'string') ||
    (error !== undefined && typeof error !== 'boolean')
  )
    return false;
  // The rest (one body, topic, TTL, replyTo) as the client library checks it, which is stricter
  // than the schemas in two places (base64's form, an error without replyTo): those go to zod,
  // which passes them on to the agent's own words, as before.
  return sendItemProblem(m) === undefined;
}

const peerFine = (peer: unknown) => typeof peer === 'string' && peer.length >= 1 && peer.length <= 200;

/** `messages.send`'s params when they are certainly valid, else undefined (zod then decides). */
export function fastSendParams(params: unknown): unknown {
  return fine(params, true) ? params : undefined;
}

/** `messages.sendMany`'s params when they are certainly valid, else undefined (zod then decides). */
export function fastSendManyParams(params: unknown): unknown {
  if (!isObject(params)) return undefined;
  for (const key in params) if (key !== 'peer' && key !== 'messages' && key !== 'answer') return undefined;
  const { peer, messages, answer } = params;
  if (!peerFine(peer) || !Array.isArray(messages)) return undefined;
  if (answer !== undefined && answer !== SEND_MANY_COMPACT) return undefined;
  if (messages.length < 1 || messages.length > MESSAGE_BATCH_MAX) return undefined;
  for (const m of messages) if (!fine(m, false)) return undefined;
  return params;
}
