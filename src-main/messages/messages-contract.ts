/**
 * The messages domain's part of the API contract (ADR 0046, docs/adr/0085-domains-as-plug-ins.md):
 * what a program may ask of its agent's inbox and outbox, the `message`, `message.state` and
 * `message.states` events with the subscription option that picks between the last two, and the
 * permission word `message`. Pure, and without zod (its makers are given it); messages-domain.ts lists it as its `contract`
 * (messages-api.ts answers it), and the declarations below give the types.
 */
import type { ContractPiece, MethodsOf, ParamsContext, Zod } from '../api/contract-piece.js';
import type { AuditFieldsOf } from '../audit/audit-kinds.js';
import type { ErrorCode } from '../core/errors.js';
import { uuidV7Problem } from '../core/uuid-v7.js';
import { MESSAGE_BATCH_MAX, SEND_MANY_COMPACT } from './message-bodies.js';
import type { CompactQueued } from './compact-queued.js';
import type { MessagesEvent } from './compact-inbox.js';
import { fastSendManyParams, fastSendParams } from './message-params-fast.js';
import {
  MAX_MESSAGE_TTL_MS,
  MIN_MESSAGE_TTL_MS,
  topicProblem,
  type MessageRefusalCode,
} from '../protocol/message-frames.js';
import { MESSAGES_WORDS } from './messages-words.js';

const peerRef = (z: Zod) => z.string().min(1).max(200);
const messageId = (z: Zod) =>
  z.string().superRefine((id, ctx) => {
    const problem = uuidV7Problem(id);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });
const topic = (z: Zod) =>
  z.string().superRefine((t, ctx) => {
    const problem = topicProblem(t);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });
/** Most IDs one `messages.ack` or `messages.delete` takes. */
export const MESSAGE_IDS_MAX = 10_000;
/** Most messages one `messages.list` or `messages.outbox` answers (the newest of those that match). */
export const MESSAGE_LIST_MAX = 10_000;
const ids = (z: Zod) => z.array(messageId(z)).min(1).max(MESSAGE_IDS_MAX);
export { MESSAGE_BATCH_MAX, MESSAGE_BATCH_MAX_BYTES } from './message-bodies.js';

/** One message as `messages.send` takes it, less the peer. */
const messageFields = (z: Zod) => ({
  topic: topic(z).optional(),
  text: z.string().optional(),
  base64: z.string().optional(),
  ttlMs: z.number().int().min(MIN_MESSAGE_TTL_MS).max(MAX_MESSAGE_TTL_MS).optional(),
  replyTo: messageId(z).optional(),
  error: z.boolean().optional(),
});
const oneBody = {
  message: 'a message has exactly one body: text or base64',
};
const hasOneBody = (p: { text?: string | undefined; base64?: string | undefined }) =>
  (p.text === undefined) !== (p.base64 === undefined);

export const messageMethodParams = {
  /**
   * Queues one message for `peer` (a name or fingerprint); answered once it is durable in the outbox.
   * Exactly one of `text` (UTF-8) and `base64` (bytes) is the body, at most 1 MiB once decoded (the
   * agent checks the bytes). `replyTo` makes it a reply to a message this node received (`msg serve`);
   * `error` marks a reply that reports a failure.
   */
  'messages.send': ({ z }: ParamsContext) =>
    z
      .object({ peer: peerRef(z), ...messageFields(z) })
      .strict()
      .refine(hasOneBody, oneBody),
  /**
   * Queues several messages for `peer`, as that many `messages.send` one after another would, with one
   * disk flush for all (group commit). Each is checked as `messages.send` checks one before any is
   * queued: a bad one (BAD_ARGUMENT) queues none. They are then queued in order while they fit the
   * outbox's bounds; the first that does not (OUTBOX_FULL) stops the batch — it and every one after
   * it are not queued, so a batch never leaves a hole. Answered once those queued are durable. At
   * most MESSAGE_BATCH_MAX messages and MESSAGE_BATCH_MAX_BYTES of bodies.
   */
  'messages.sendMany': ({ z }: ParamsContext) =>
    z
      .object({
        peer: peerRef(z),
        messages: z
          .array(z.object(messageFields(z)).strict().refine(hasOneBody, oneBody))
          .min(1)
          .max(MESSAGE_BATCH_MAX),
        /** `compact`: answer with `compact` rows instead of `queued` objects (ADR 0113). */
        answer: z.literal(SEND_MANY_COMPACT).optional(),
      })
      .strict(),
  /**
   * The inbox, oldest first: `unread` only those no program acknowledged, `topic` and `from` (a peer's
   * name or fingerprint) narrow it, `after` an ID starts past it, `limit` the newest this many (default
   * 1000). Bodies are included.
   */
  'messages.list': ({ z }: ParamsContext) =>
    z
      .object({
        unread: z.boolean().optional(),
        topic: topic(z).optional(),
        from: peerRef(z).optional(),
        after: messageId(z).optional(),
        limit: z.number().int().min(1).max(MESSAGE_LIST_MAX).optional(),
      })
      .strict(),
  /** Marks inbox messages read (a program took them): their senders get a `read` receipt. */
  'messages.ack': ({ z }: ParamsContext) => z.object({ ids: ids(z) }).strict(),
  /**
   * The outbox, oldest first: each message's state and why; `peer` and `ids` narrow it. With `bodies`,
   * each message also carries its body (`text` or `base64`) while the outbox keeps it, as many as fit
   * one answer (as `messages.list`): the rest come without, and are asked for by `ids`.
   */
  'messages.outbox': ({ z }: ParamsContext) =>
    z
      .object({
        peer: peerRef(z).optional(),
        ids: ids(z).optional(),
        limit: z.number().int().min(1).max(MESSAGE_LIST_MAX).optional(),
        bodies: z.boolean().optional(),
      })
      .strict(),
  /**
   * Removes messages from the inbox or the outbox (an outbox message not yet delivered is not sent;
   * one on a link already may still arrive).
   */
  'messages.delete': ({ z }: ParamsContext) => z.object({ ids: ids(z) }).strict(),
} as const;

/** A message's state in the sender's outbox. */
export type MessageState = 'queued' | 'sent' | 'delivered' | 'read' | 'expired' | 'refused';

/** A peer as messages name it. */
export interface MessagePeer {
  name: string;
  fingerprint: string;
}

/** Why a message is refused or expired: the receiver's code and words, and where to fix it. */
export interface MessageWhy {
  code: MessageRefusalCode;
  reason: string;
}

/** One message in the inbox. Exactly one of `text` and `base64` is its body. */
export interface InboxMessage {
  id: string;
  from: MessagePeer;
  topic: string;
  text?: string;
  base64?: string;
  /** ISO times. */
  sentAt: string;
  receivedAt: string;
  expiresAt: string;
  read: boolean;
  replyTo?: string;
  error?: true;
}

/** One message in the outbox (its body only when asked for: `messages.outbox` with `bodies`). */
export interface OutboxMessage {
  id: string;
  peer: MessagePeer;
  topic: string;
  size: number;
  /** The body, with `bodies`, while the outbox keeps it: exactly one of `text` and `base64`. */
  text?: string;
  base64?: string;
  state: MessageState;
  /** Present when refused or expired, and while queued behind a full inbox (INBOX_FULL). */
  why?: MessageWhy;
  sentAt: string;
  /** When it reached its state. */
  stateAt: string;
  expiresAt: string;
  replyTo?: string;
}

/**
 * What `messages.sendMany` answers: the messages queued, in the order given, and when it stopped
 * early why (OUTBOX_FULL, or the disk's error): `messages[queued.length]` and every one after it were
 * not queued.
 */
export interface SendManyResult {
  /** Empty when asked with `answer: 'compact'`: `compact` carries them then. */
  queued: OutboxMessage[];
  /** The messages queued as rows (compact-queued.ts), when asked with `answer: 'compact'` (ADR 0113). */
  compact?: CompactQueued;
  error?: { code: ErrorCode; message: string };
}

export interface MessageMethodResults {
  'messages.send': OutboxMessage;
  'messages.sendMany': SendManyResult;
  'messages.list': InboxMessage[];
  'messages.ack': { acked: number };
  'messages.outbox': OutboxMessage[];
  'messages.delete': { deleted: number };
}

/**
 * Outbox messages that reached one state together: all to one peer, at one time, for one reason (a
 * DELIVERED receipt for 500 messages is one of these, not 500 `message.state` events).
 */
export interface MessageStateChange {
  /** The messages, in the order they changed. */
  ids: string[];
  peer: MessagePeer;
  state: MessageState;
  /** When they reached it (ISO). */
  stateAt: string;
  /** As OutboxMessage's `why`. */
  why?: MessageWhy;
}

/** The `message.states` event: what changed in the outbox since the last one, in order (ADR 0059). */
export interface MessageStatesEvent {
  changes: MessageStateChange[];
}

/**
 * How a subscriber wants outbox state changes (ADR 0059): `each` (the default) as one `message.state`
 * per message, `batched` as `message.states` events, each carrying every change of one turn of the
 * agent's event loop by ID (a program sending thousands of messages).
 */
export type MessageStatesMode = 'each' | 'batched';

/**
 * How a subscriber wants the messages that arrive (ADR 0122): `each` (the default) as one `message`
 * event per message, `batched` as `messages` events, each carrying every message of one turn of the
 * agent's event loop as rows (a program listening to thousands of messages).
 */
export type MessagesMode = 'each' | 'batched';

export interface MessageEvents {
  /** A message arrived in the inbox (its record on its way to disk, ADR 0066). */
  message: InboxMessage;
  /** The same messages, many per event, as rows: sent instead of `message` to a subscriber that asked for it. */
  messages: MessagesEvent;
  /** An outbox message changed state (sent, delivered, read, expired, refused, or queued with a why). */
  'message.state': OutboxMessage;
  /** The same changes, many per event: sent instead of `message.state` to a subscriber that asked for it. */
  'message.states': MessageStatesEvent;
}

/** The values of the `messageStates` subscription option. */
export const MESSAGE_STATES_MODES: readonly MessageStatesMode[] = ['each', 'batched'];
/** The values of the `messages` subscription option. */
export const MESSAGES_MODES: readonly MessagesMode[] = ['each', 'batched'];

/**
 * The audit log's `message` records (message-audit.ts): messages this node sent that expired
 * undelivered, that their receiver refused for good, or that wait because its inbox is full
 * (INBOX_FULL): one line per peer and outcome for those that got there together, `messages` counting
 * them — not a line per message (ADR 0046).
 */
const messageAuditFields = (z: Zod) => ({
  change: z.enum(['expired', 'refused', 'waiting']),
  messages: z.number().int().nonnegative(),
});

/** What the messages domain brings to the contract at run time. */
export const messagesContract = {
  methods: messageMethodParams,
  // Messages by the thousand: checked by hand when certainly valid, by zod otherwise (ADR 0059).
  fastParams: { 'messages.send': fastSendParams, 'messages.sendMany': fastSendManyParams },
  permissions: MESSAGES_WORDS,
  // Each form of outbox state changes, and of arriving messages, is followed only while some client
  // takes it: a program sending or listening to thousands of messages costs no per-message event
  // nobody reads (ADR 0059, ADR 0122).
  events: {
    message: { when: { option: 'messages', is: 'each', byDefault: true } },
    messages: { when: { option: 'messages', is: 'batched' } },
    'message.state': { when: { option: 'messageStates', is: 'each', byDefault: true } },
    'message.states': { when: { option: 'messageStates', is: 'batched' } },
  },
  eventOptions: { messageStates: MESSAGE_STATES_MODES, messages: MESSAGES_MODES },
  audit: { message: messageAuditFields },
  settings: {
    /**
     * The desktop app announces a new message while its window is closed; apart from the node's
     * `notifications`, so the owner can keep one without the other.
     */
    messageNotifications: { option: (z: Zod) => z.boolean().default(true), set: (z: Zod) => z.boolean() },
  },
} satisfies ContractPiece;

declare module '../api/contract.js' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- declaration merging adds the members
  interface ContractMethods extends MethodsOf<typeof messageMethodParams, MessageMethodResults> {}
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- declaration merging adds the members
  interface ApiEvents extends MessageEvents {}
  interface EventOptions {
    /** `batched`: outbox state changes as `message.states` events instead of `message.state` ones. */
    messageStates?: MessageStatesMode;
    /** `batched`: arriving messages as `messages` events (rows) instead of `message` ones (ADR 0122). */
    messages?: MessagesMode;
  }
}

declare module '../api/contract-types.js' {
  interface ConnectionKinds {
    /** A peer's message stream delivering into this node's inbox. */
    'messages-in': true;
    /** This node's message stream delivering its outbox to a peer. */
    'messages-out': true;
  }
}

declare module '../core/permissions.js' {
  interface PermissionWords {
    message: true;
  }
}

declare module '../audit/audit-kinds.js' {
  interface DomainAuditKinds {
    message: AuditFieldsOf<typeof messageAuditFields>;
  }
}

declare module '../api/contract-piece.js' {
  interface DomainSettings {
    messageNotifications: { option: boolean };
  }
}

declare module '../api/contract-types.js' {
  interface SettingsResult {
    /** The desktop app announces a new message while its window is closed. */
    messageNotifications: boolean;
  }
}
