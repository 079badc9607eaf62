/**
 * The records of the inbox and outbox logs (record-log.ts), encoded: `u8 kind | u32 meta length | meta
 * (JSON) | body`. The metadata is small and read once when a box is opened; the body stays in the file
 * and is read from its position when a program asks for it. Every record is idempotent on replay (a
 * state a box already reflects changes nothing), which lets compaction write the live set while new
 * records keep coming (record-log.ts). Pure.
 */
import { uuidV7Problem } from '../core/uuid-v7.js';
import { MESSAGE_REFUSAL_CODES, type MessageRefusalCode } from '../protocol/message-frames.js';

/** Sender-side states, in the order they may advance (see `stateRank`). */
export const OUTBOX_STATES = ['queued', 'sent', 'delivered', 'read', 'expired', 'refused'] as const;
export type OutboxState = (typeof OUTBOX_STATES)[number];

/**
 * How far a state is along: a record never moves a message back. `expired` and `refused` sit below
 * `delivered`: when the receiver says a message is in its inbox, that is what happened (an expiry
 * judged here a moment before the receipt came is not).
 */
export function stateRank(state: OutboxState): number {
  return { queued: 0, sent: 1, expired: 2, refused: 2, delivered: 3, read: 4 }[state];
}

/** Why a message is where it is: a refusal's code and words, or what it waits for. */
export interface Why {
  code: MessageRefusalCode;
  reason: string;
}

/** What both boxes know of a message. */
export interface MessageMeta {
  id: string;
  topic: string;
  text: boolean;
  ttlMs: number;
  replyTo?: string;
  error?: boolean;
  /** Body length in bytes. */
  size: number;
}

export type OutboxRecord =
  | {
      kind: 'entry';
      meta: MessageMeta & { peer: string; state: OutboxState; why?: Why; at: number };
      body?: Uint8Array;
    }
  | { kind: 'state'; meta: { ids: string[]; state: OutboxState; why?: Why; at: number } }
  | { kind: 'delete'; meta: { ids: string[] } }
  | { kind: 'floor'; meta: { id: string } };

export type InboxRecord =
  | {
      kind: 'message';
      meta: MessageMeta & { from: string; receivedAt: number; read: boolean };
      body: Uint8Array;
    }
  /**
   * `from`: beside each ID its sender (the inbox knows a message by both); without it, a record of an
   * older release, which names every message held with each ID.
   */
  | { kind: 'read'; meta: { ids: string[]; from?: string[] } }
  | { kind: 'delete'; meta: { ids: string[]; from?: string[] } }
  | {
      kind: 'refused';
      meta: {
        id: string;
        from: string;
        topic: string;
        code: MessageRefusalCode;
        reason: string;
        until: number;
      };
    }
  | { kind: 'mark'; meta: { from: string; topic: string; id: string; until: number } };

const KIND_BYTES: Record<string, number> = {
  'outbox:entry': 1,
  'outbox:state': 2,
  'outbox:delete': 3,
  'outbox:floor': 4,
  'inbox:message': 11,
  'inbox:read': 12,
  'inbox:delete': 13,
  'inbox:refused': 14,
  'inbox:mark': 15,
};
const KIND_NAMES = new Map(Object.entries(KIND_BYTES).map(([k, v]) => [v, k]));

/** Bytes before the metadata. */
const HEAD_BYTES = 5;

function encode(
  box: 'outbox' | 'inbox',
  kind: string,
  meta: object,
  body?: Uint8Array,
): { payload: Buffer; bodyAt: number } {
  const json = Buffer.from(JSON.stringify(meta));
  const payload = Buffer.allocUnsafe(HEAD_BYTES + json.length + (body?.length ?? 0));
  payload[0] = KIND_BYTES[`${box}:${kind}`]!;
  payload.writeUInt32BE(json.length, 1);
  json.copy(payload, HEAD_BYTES);
  if (body) payload.set(body, HEAD_BYTES + json.length);
  return { payload, bodyAt: HEAD_BYTES + json.length };
}

/** A record's payload, and where in it the body starts. */
export function encodeOutboxRecord(r: OutboxRecord): { payload: Buffer; bodyAt: number } {
  return encode('outbox', r.kind, r.meta, r.kind === 'entry' ? r.body : undefined);
}

export function encodeInboxRecord(r: InboxRecord): { payload: Buffer; bodyAt: number } {
  return encode('inbox', r.kind, r.meta, r.kind === 'message' ? r.body : undefined);
}

/** A decoded record: its fields, and its body's place in the payload (`bodyAt`, `bodyLength`). */
type Decoded<R> = { record: R; bodyAt: number; bodyLength: number };

function decode(
  box: 'outbox' | 'inbox',
  payload: Uint8Array,
): { kind: string; meta: Record<string, unknown>; bodyAt: number; bodyLength: number } {
  const buf = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  if (buf.length < HEAD_BYTES) throw new Error('record too short');
  const name = KIND_NAMES.get(buf[0]!);
  if (!name?.startsWith(`${box}:`)) throw new Error(`record kind ${buf[0]} is not an ${box} record`);
  const metaLength = buf.readUInt32BE(1);
  if (HEAD_BYTES + metaLength > buf.length) throw new Error('record metadata runs past its end');
  const meta: unknown = JSON.parse(buf.toString('utf8', HEAD_BYTES, HEAD_BYTES + metaLength));
  if (typeof meta !== 'object' || meta === null || Array.isArray(meta))
    throw new Error('record metadata is not an object');
  const bodyAt = HEAD_BYTES + metaLength;
  return {
    kind: name.slice(box.length + 1),
    meta: meta as Record<string, unknown>,
    bodyAt,
    bodyLength: buf.length - bodyAt,
  };
}

/**
 * One outbox record; the body is not copied out (read it from the log at `bodyAt`).
 * @throws Error for a record this version cannot read (the box skips and counts it).
 */
export function decodeOutboxRecord(payload: Uint8Array): Decoded<OutboxRecord> {
  const { kind, meta, bodyAt, bodyLength } = decode('outbox', payload);
  const m = new Fields(meta);
  switch (kind) {
    case 'entry': {
      const record: OutboxRecord = {
        kind,
        meta: {
          ...messageMeta(m),
          peer: m.str('peer'),
          state: m.state('state'),
          at: m.num('at'),
          ...m.why(),
        },
      };
      if (bodyLength > 0 && bodyLength !== record.meta.size)
        throw new Error('entry body length differs from its size');
      return { record, bodyAt, bodyLength };
    }
    case 'state':
      return {
        record: { kind, meta: { ids: m.ids('ids'), state: m.state('state'), at: m.num('at'), ...m.why() } },
        bodyAt,
        bodyLength,
      };
    case 'delete':
      return { record: { kind, meta: { ids: m.ids('ids') } }, bodyAt, bodyLength };
    default:
      return { record: { kind: 'floor', meta: { id: m.id('id') } }, bodyAt, bodyLength };
  }
}

/**
 * One inbox record, as decodeOutboxRecord.
 * @throws Error for a record this version cannot read.
 */
export function decodeInboxRecord(payload: Uint8Array): Decoded<InboxRecord> {
  const { kind, meta, bodyAt, bodyLength } = decode('inbox', payload);
  const m = new Fields(meta);
  switch (kind) {
    case 'message': {
      const record: InboxRecord = {
        kind,
        meta: {
          ...messageMeta(m),
          from: m.str('from'),
          receivedAt: m.num('receivedAt'),
          read: m.bool('read'),
        },
        body: new Uint8Array(0),
      };
      if (bodyLength !== record.meta.size) throw new Error('message body length differs from its size');
      return { record, bodyAt, bodyLength };
    }
    case 'read':
    case 'delete': {
      const ids = m.ids('ids');
      if (!m.has('from')) return { record: { kind, meta: { ids } }, bodyAt, bodyLength };
      const from = m.strs('from');
      if (from.length !== ids.length) throw new Error('record field from does not match its ids');
      return { record: { kind, meta: { ids, from } }, bodyAt, bodyLength };
    }
    case 'refused':
      return {
        record: {
          kind,
          meta: {
            id: m.id('id'),
            from: m.str('from'),
            topic: m.str('topic'),
            code: m.code('code'),
            reason: m.str('reason'),
            until: m.num('until'),
          },
        },
        bodyAt,
        bodyLength,
      };
    default:
      return {
        record: {
          kind: 'mark',
          meta: { from: m.str('from'), topic: m.str('topic'), id: m.id('id'), until: m.num('until') },
        },
        bodyAt,
        bodyLength,
      };
  }
}

function messageMeta(m: Fields): MessageMeta {
  const meta: MessageMeta = {
    id: m.id('id'),
    topic: m.str('topic'),
    text: m.bool('text'),
    ttlMs: m.num('ttlMs'),
    size: m.num('size'),
  };
  if (m.has('replyTo')) meta.replyTo = m.id('replyTo');
  if (m.has('error')) meta.error = m.bool('error');
  return meta;
}

/** Typed reads of a record's JSON, each throwing on a field of the wrong type. */
class Fields {
  constructor(private readonly o: Record<string, unknown>) {}
  has(k: string): boolean {
    return this.o[k] !== undefined;
  }
  str(k: string): string {
    const v = this.o[k];
    if (typeof v !== 'string') throw new Error(`record field ${k} is not a string`);
    return v;
  }
  num(k: string): number {
    const v = this.o[k];
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`record field ${k} is not a number`);
    return v;
  }
  bool(k: string): boolean {
    const v = this.o[k];
    if (typeof v !== 'boolean') throw new Error(`record field ${k} is not a boolean`);
    return v;
  }
  id(k: string): string {
    const v = this.str(k);
    if (uuidV7Problem(v)) throw new Error(`record field ${k} is not a message ID`);
    return v;
  }
  strs(k: string): string[] {
    const v = this.o[k];
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string'))
      throw new Error(`record field ${k} is not a list of strings`);
    return v as string[];
  }
  ids(k: string): string[] {
    const v = this.o[k];
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string' || uuidV7Problem(x) !== undefined)) {
      throw new Error(`record field ${k} is not a list of message IDs`);
    }
    return v as string[];
  }
  state(k: string): OutboxState {
    const v = this.str(k);
    if (!(OUTBOX_STATES as readonly string[]).includes(v))
      throw new Error(`record field ${k} is not a state`);
    return v as OutboxState;
  }
  code(k: string): MessageRefusalCode {
    const v = this.str(k);
    if (!(MESSAGE_REFUSAL_CODES as readonly string[]).includes(v))
      throw new Error(`record field ${k} is not a refusal code`);
    return v as MessageRefusalCode;
  }
  why(): { why?: Why } {
    const v = this.o.why;
    if (v === undefined) return {};
    const w = new Fields(v as Record<string, unknown>);
    if (typeof v !== 'object' || v === null) throw new Error('record field why is not an object');
    return { why: { code: w.code('code'), reason: w.str('reason') } };
  }
}
