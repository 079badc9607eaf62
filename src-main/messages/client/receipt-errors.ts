/**
 * The errors a sender or asker gets when the receipt or reply it waits for does not come: refused,
 * expired, or late. Each carries the messages as they are, and says what to run when there is
 * something to run.
 */
import { ClawError } from '../../core/errors.js';
import { commandIn, hereHint, peerHint, type Hint } from '../../core/hint.js';
import type { OutboxMessage } from '../messages-contract.js';
import { describeState, reached, seconds, type AwaitedState } from './message-bodies.js';

/** A message refused or expired while a sender waited for its receipt; carries the messages as they are. */
export class MessageStateError extends ClawError {
  constructor(
    code: 'MESSAGE_REFUSED' | 'MESSAGE_EXPIRED' | 'TIMEOUT',
    message: string,
    readonly messages: OutboxMessage[],
    hint?: Hint,
  ) {
    super(code, message, hint ? { hint } : undefined);
    this.name = 'MessageStateError';
  }
}

const known = (list: (OutboxMessage | undefined)[]) =>
  list.filter((m): m is OutboxMessage => m !== undefined);

/** The error for `failed` (refused or expired), with every awaited message in `all`. */
export function failedError(failed: OutboxMessage, all: (OutboxMessage | undefined)[]): MessageStateError {
  const words = failed.state === 'refused' ? 'was refused' : 'expired';
  return new MessageStateError(
    failed.state === 'refused' ? 'MESSAGE_REFUSED' : 'MESSAGE_EXPIRED',
    `message ${failed.id} to ${failed.peer.name} ${words}${failed.why ? `: ${failed.why.reason} (${failed.why.code})` : ''}`,
    known(all),
  );
}

/** The error for receipts still missing at the deadline; `list` holds what is known of each of `ids`. */
export function timeoutError(
  list: (OutboxMessage | undefined)[],
  ids: readonly string[],
  wanted: AwaitedState,
  timeoutMs: number,
): MessageStateError {
  const late = list
    .map((m, i) => m ?? ids[i]!)
    .filter((m) => typeof m === 'string' || !reached(m.state, wanted));
  const first = late[0]!;
  const what =
    typeof first === 'string'
      ? `message ${first} is not in the outbox`
      : `message ${first.id} to ${first.peer.name} is ${describeState(first)}`;
  const more = late.length > 1 ? ` (and ${late.length - 1} more not ${wanted})` : '';
  const secs = seconds(timeoutMs);
  if (typeof first !== 'string' && reached(first.state, 'delivered')) {
    const message = `no read receipt within ${secs}: ${what}${more}; no program there has taken it yet`;
    return new MessageStateError('TIMEOUT', message, known(list));
  }
  const { message, hint } = commandIn(
    `no ${wanted} receipt within ${secs}: ${what}${more}; it stays in the outbox and goes once the peer is reachable (`,
    hereHint(['msg', 'outbox']),
    ' shows it)',
  );
  return new MessageStateError('TIMEOUT', message, known(list), hint);
}

/** The error for a question that was not delivered in time, and so was withdrawn. */
export function undeliveredQuestionError(now: OutboxMessage, timeoutMs: number): MessageStateError {
  return new MessageStateError(
    'TIMEOUT',
    `no reply from ${now.peer.name} within ${seconds(timeoutMs)}: the question was not delivered (${describeState(now)}), so it was withdrawn`,
    [now],
  );
}

/** The error for a question the peer has but nothing there answered in time: says what would answer it. */
export function unansweredQuestionError(now: OutboxMessage, timeoutMs: number): MessageStateError {
  // Past its TTL (the asker's deadline, unless --ttl said otherwise) no server there runs it.
  const expires = Date.parse(now.expiresAt);
  const after =
    Number.isFinite(expires) && expires > Date.now()
      ? ` there answers it); it stays answerable there until ${now.expiresAt} (its TTL)`
      : ' there answers the next one); this one expired there unanswered: no server will run it';
  const { message, hint } = commandIn(
    `no reply from ${now.peer.name} within ${seconds(timeoutMs)}: it has the question (${now.state}), but nothing there answered topic ${now.topic} (`,
    peerHint(['msg', 'serve', '--topic', now.topic, '--', 'CMD']),
    after,
  );
  return new MessageStateError('TIMEOUT', message, [now], hint);
}
