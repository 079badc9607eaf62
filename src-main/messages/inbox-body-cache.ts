/**
 * The bodies of unread messages the inbox keeps in memory once their records are durable: a
 * listener takes a message as it comes, and reading its body back from the log would cost a file
 * read per message. Bounded, and a body leaves as soon as a program read its message.
 */
import type { Held } from './inbox-entry.js';

/** Bodies of unread messages kept in memory, in bytes (16 MiB): a listener takes them as they come. */
export const BODY_CACHE_BYTES = 16 * 1024 * 1024;

export class InboxBodyCache {
  private bytes = 0;

  /** Keeps `body` beside `e` while it is unread and the budget has room. */
  keep(e: Held, body: Uint8Array): void {
    if (e.read || this.bytes + e.size > BODY_CACHE_BYTES) return;
    e.cached = body;
    this.bytes += e.size;
  }

  /** Lets go of `e`'s body (read, deleted or evicted). */
  drop(e: Held): void {
    if (!e.cached) return;
    this.bytes -= e.size;
    delete e.cached;
  }
}

/** `e`'s body when no file read is needed for it: cached, or not yet written. */
export function bodyInMemory(e: Held): Uint8Array | undefined {
  return e.cached ?? (typeof e.body === 'number' ? undefined : e.body);
}
