/**
 * Two nodes' message boxes and sessions over in-memory disks and links, for session tests: each node
 * can crash (its disk keeps what it chooses of the unsynced bytes, its objects are dropped) and be
 * opened again from its disk, and a link between them can be brought up and cut.
 */
import { UuidV7Generator } from '../../src-main/core/uuid-v7.js';
import { Inbox, type InboxLimits } from '../../src-main/messages/inbox.js';
import { MessageSessions } from '../../src-main/messages/message-session.js';
import { Outbox } from '../../src-main/messages/outbox.js';
import { duplexPair, type DuplexPair } from './duplex-pair.js';
import type { MemoryDisk } from './memory-log-folder.js';

export interface TestNode {
  readonly fingerprint: string;
  readonly disk: MemoryDisk;
  inbox: Inbox;
  outbox: Outbox;
  sessions: MessageSessions;
}

export interface Clock {
  t: number;
  now: () => number;
}

export function testClock(start = 1_750_000_000_000): Clock {
  const c: Clock = { t: start, now: () => c.t };
  return c;
}

/** Opens (or reopens, after a crash) a node's boxes from its disk. */
export async function openNode(
  fingerprint: string,
  disk: MemoryDisk,
  clock: Clock,
  inboxLimits: Partial<InboxLimits> = {},
): Promise<TestNode> {
  const folder = disk.folder();
  const { outbox } = await Outbox.open(folder, {
    now: clock.now,
    ids: new UuidV7Generator({ now: clock.now }),
  });
  const { inbox } = await Inbox.open(folder, { now: clock.now, limits: inboxLimits });
  return { fingerprint, disk, inbox, outbox, sessions: new MessageSessions({ inbox, outbox }) };
}

/** `from` delivers to `to` over a new in-memory link (one direction: `from`'s outbox into `to`'s inbox). */
export function link(from: TestNode, to: TestNode): DuplexPair {
  const pair = duplexPair();
  to.sessions.receive(from.fingerprint, pair.b);
  from.sessions.send(to.fingerprint, pair.a);
  return pair;
}

/** Waits, turn by turn, until `done()` (at most `turns` turns of the event loop, then fails naming `what`). */
export async function settle(done: () => boolean, what: string, turns = 20_000): Promise<void> {
  for (let i = 0; i < turns; i++) {
    if (done()) return;
    await new Promise((r) => setImmediate(r));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Lets the event loop run `turns` turns (for "nothing more happens" checks). */
export async function turns(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
}
