/**
 * serve(): a listener on one topic that answers each question with a reply on the same topic. Kept
 * apart from the client because it is only a listener and a send: what makes it a server is which
 * messages it leaves alone (replies belong to ask(), expired questions to nobody).
 */
import type { InboxMessage, OutboxMessage } from '../messages-contract.js';
import type { ListenOptions, Listening, ServeAnswer } from './client-types.js';
import type { MessagesClient } from './messages-client.js';

/** What serve() takes: a listener's options without the two it sets itself, and the replies' TTL. */
export type ServeOptions = Omit<ListenOptions, 'replies' | 'onExpired'> & { topic: string; ttlMs?: number };

/** MessagesClient.serve: answers each message on `opts.topic` through `client` (see there). */
export function serveTopic(
  client: MessagesClient,
  opts: ServeOptions,
  answer: (m: InboxMessage) => Promise<ServeAnswer>,
  onAnswered: ((m: InboxMessage, reply: OutboxMessage, error: boolean) => void) | undefined,
  onExpired: (m: InboxMessage) => void,
): Listening {
  return client.listen({ ...opts, replies: false, onExpired }, async (m) => {
    // A throw is an answer too: the asker hears that it failed and why, instead of waiting in vain.
    const result = await answer(m).catch((err: unknown): ServeAnswer => ({
      body: err instanceof Error ? err.message : String(err),
      error: true,
    }));
    const reply = await client.send(m.from.fingerprint, result.body, {
      topic: m.topic,
      replyTo: m.id,
      ...(result.error ? { error: true } : {}),
      ...(opts.ttlMs !== undefined ? { ttlMs: opts.ttlMs } : {}),
    });
    onAnswered?.(m, reply, result.error === true);
  });
}
