/**
 * One message as the inbox holds it, and the pure rules about one: its key (sender and ID), the
 * record it is written as, the names a read or delete record gives it, and the view a caller is
 * shown. No state and no I/O: the inbox's table (inbox-table.ts) keeps these entries, the inbox
 * (inbox.ts) moves them.
 */
import type { MessageMeta } from './box-records.js';

/** One message as the inbox shows it. */
export interface InboxEntry extends MessageMeta {
  /** The sender's fingerprint. */
  from: string;
  sentAt: number;
  expiresAt: number;
  receivedAt: number;
  read: boolean;
}

/** A message held: its body in memory (until its record is durable) or its offset in the log. */
export interface Held extends InboxEntry {
  body: Uint8Array | number;
  durable: boolean;
  /** The body kept in memory while unread (inbox-body-cache.ts), so a listener reads no file. */
  cached?: Uint8Array;
}

/** About what one record adds to the log besides a body, in bytes (for the live size compaction weighs). */
export const RECORD_BYTES = 200;

/** The inbox's key of a message: its sender's fingerprint and its ID (the sender chose the ID). */
export function keyOf(from: string, id: string): string {
  return `${from}/${id}`;
}

/** What a message record carries of `e` (its body goes beside it). */
export function recordMeta(e: Held): MessageMeta & { from: string; receivedAt: number; read: boolean } {
  const meta: MessageMeta & { from: string; receivedAt: number; read: boolean } = {
    id: e.id,
    topic: e.topic,
    text: e.text,
    ttlMs: e.ttlMs,
    size: e.size,
    from: e.from,
    receivedAt: e.receivedAt,
    read: e.read,
  };
  if (e.replyTo !== undefined) meta.replyTo = e.replyTo;
  if (e.error) meta.error = true;
  return meta;
}

/** A read or delete record's names of `list`: IDs, and beside each its sender. */
export function keysOf(list: readonly Held[]): { ids: string[]; from: string[] } {
  return { ids: list.map((e) => e.id), from: list.map((e) => e.from) };
}

/** `e` as a caller sees it: without where its body is or whether it is durable. */
export function viewOf(e: Held): InboxEntry {
  const { body: _body, durable: _durable, cached: _cached, ...view } = e;
  return view;
}
