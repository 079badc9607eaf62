/**
 * One message as `messages.sendMany` takes it, and the checks the agent makes of it: one module both
 * sides share so that they keep them alike, the agent's fast params check (message-params-fast.ts) and
 * the client's batcher (messages/client/send-batcher.ts), which checks each message before a request
 * so that a request is never refused whole for one message.
 */
import { uuidV7Problem } from '../core/uuid-v7.js';
import { MAX_MESSAGE_TTL_MS, MIN_MESSAGE_TTL_MS, topicProblem } from '../protocol/message-frames.js';
import type { MethodParams } from '../api/contract.js';

/** One message as `messages.sendMany` takes it. */
export type SendItem = MethodParams<'messages.sendMany'>['messages'][number];

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Why the agent would refuse `m` (BAD_ARGUMENT), or undefined: the checks of `messages.send`, made
 * before a request too so that a request is never refused whole for one message (the body's size is checkBodySizes').
 */
export function sendItemProblem(m: SendItem): string | undefined {
  if ((m.text === undefined) === (m.base64 === undefined))
    return 'a message has exactly one body: text or base64';
  if (m.base64 !== undefined && (m.base64.length % 4 !== 0 || !BASE64.test(m.base64)))
    return 'base64 must be standard base64 (A–Z a–z 0–9 + /, padded with =)';
  if (m.topic !== undefined) {
    const problem = topicProblem(m.topic);
    if (problem) return `topic: ${problem}`;
  }
  if (
    m.ttlMs !== undefined &&
    (!Number.isInteger(m.ttlMs) || m.ttlMs < MIN_MESSAGE_TTL_MS || m.ttlMs > MAX_MESSAGE_TTL_MS)
  )
    return `ttlMs: a time to live is a whole number of ms from ${MIN_MESSAGE_TTL_MS} (1 s) to ${MAX_MESSAGE_TTL_MS} (30 days)`;
  if (m.replyTo !== undefined) {
    const problem = uuidV7Problem(m.replyTo);
    if (problem) return `replyTo: ${problem}`;
  }
  if (m.error && m.replyTo === undefined) return 'an error message must answer one (replyTo)';
  return undefined;
}
