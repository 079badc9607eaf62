/**
 * `npx tsx bench/messages-store.ts [N]`: what durability costs the message store (ADR 0046), on this
 * machine's disk, in one run:
 *   - the outbox queueing N messages of 200 bytes one after another (each waits for its own flush:
 *     one fdatasync per message, the cost group commit avoids), from 100 senders that each wait for
 *     their own (group commit gathers what arrives during one flush), and all at once;
 *   - the inbox taking N messages as they come off a link (group commit);
 *   - sender and receiver stores in this process joined by a TCP connection on loopback: N messages
 *     queued, then the link comes up, until the last DELIVERED is recorded.
 * Prints messages per second and the fdatasync calls each made. Not part of `npm run bench` yet: the
 * agent's `msg` commands are not wired (issue 54); this measures the store and sessions alone.
 */
import { closeSync, fdatasyncSync, mkdirSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UuidV7Generator } from '../src-main/core/uuid-v7.js';
import { MessageSessions } from '../src-main/messages/message-session.js';
import { openMessageStore, type MessageStore } from '../src-main/messages/message-store.js';

const N = Number(process.argv[2] ?? 10_000);
const PEER_A = 'a'.repeat(64);
const PEER_B = 'b'.repeat(64);
const BODY = Buffer.alloc(200, 0x61);

const root = mkdtempSync(join(tmpdir(), 'cb-msgbench-'));
let homes = 0;
async function store(): Promise<MessageStore> {
  const home = join(root, String(homes++));
  mkdirSync(home);
  return openMessageStore(home);
}

interface Row {
  what: string;
  seconds: number;
  syncs: number;
  /** Messages, when not N. */
  n?: number;
}
const rows: Row[] = [];

async function timed(what: string, run: () => Promise<number>): Promise<void> {
  const start = process.hrtime.bigint();
  const syncs = await run();
  rows.push({ what, seconds: Number(process.hrtime.bigint() - start) / 1e9, syncs });
}

try {
  {
    // The disk's own price, for scale: one 250-byte append and fdatasync at a time, no store around it.
    const fd = openSync(join(root, 'probe'), 'w');
    const n = 500;
    await timed(`a bare write + fdatasync, one at a time (${n})`, () => {
      for (let i = 0; i < n; i++) {
        writeSync(fd, BODY.subarray(0, 250 - 50));
        fdatasyncSync(fd);
      }
      return Promise.resolve(n);
    });
    rows.at(-1)!.n = n;
    closeSync(fd);
  }
  {
    const s = await store();
    const n = Math.min(N, 2000); // one flush each: a smaller N says the same
    await timed(`outbox, one at a time (${n})`, async () => {
      for (let i = 0; i < n; i++) await s.outbox.queue({ peer: PEER_B, body: BODY, text: false });
      return s.outbox.stats.syncs;
    });
    rows.at(-1)!.n = n;
    await s.close();
  }
  {
    const s = await store();
    await timed(`outbox, 100 senders each awaiting its own`, async () => {
      const sender = async () => {
        for (let i = 0; i < N / 100; i++) await s.outbox.queue({ peer: PEER_B, body: BODY, text: false });
      };
      await Promise.all(Array.from({ length: 100 }, sender));
      return s.outbox.stats.syncs;
    });
    await s.close();
  }
  {
    const s = await store();
    await timed(`outbox, all at once`, async () => {
      await Promise.all(
        Array.from({ length: N }, () => s.outbox.queue({ peer: PEER_B, body: BODY, text: false })),
      );
      return s.outbox.stats.syncs;
    });
    await s.close();
  }
  {
    const s = await store();
    const ids = new UuidV7Generator();
    const frames = Array.from({ length: N }, () => ({
      type: 'msg' as const,
      id: ids.next(),
      topic: 'default',
      text: false,
      ttlMs: 3600_000,
      body: BODY,
    }));
    await timed(`inbox, as they come`, async () => {
      await Promise.all(frames.map((f) => s.inbox.offer(PEER_A, f).durable));
      return s.inbox.stats.syncs;
    });
    await s.close();
  }
  {
    const a = await store();
    const b = await store();
    await Promise.all(
      Array.from({ length: N }, () => a.outbox.queue({ peer: PEER_B, body: BODY, text: false })),
    );
    const before = a.outbox.stats.syncs;
    const receiving = new MessageSessions({ inbox: b.inbox, outbox: b.outbox });
    const sending = new MessageSessions({ inbox: a.inbox, outbox: a.outbox });
    const server = createServer((socket) => receiving.receive(PEER_A, socket));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as { port: number };
    let socket: Socket | undefined;
    await timed(`a → b over TCP loopback, DELIVERED recorded`, async () => {
      const done = new Promise<void>((resolve) => {
        let delivered = 0;
        a.outbox.events.on('changed', (e) => {
          if (e.state === 'delivered' && ++delivered === N) resolve();
        });
      });
      socket = connect(port, '127.0.0.1', () => sending.send(PEER_B, socket!));
      await done;
      return a.outbox.stats.syncs - before + b.inbox.stats.syncs;
    });
    sending.closeAll();
    receiving.closeAll();
    socket?.destroy();
    server.close();
    await a.close();
    await b.close();
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}

console.log(`message store, ${N} messages of ${BODY.length} bytes (fdatasync ≈ the disk's flush)`);
console.log('| what | messages/s | fdatasync calls | messages per flush |');
console.log('| --- | ---: | ---: | ---: |');
for (const r of rows) {
  const n = r.n ?? N;
  console.log(
    `| ${r.what} | ${Math.round(n / r.seconds).toLocaleString('en')} | ${r.syncs.toLocaleString('en')} | ${(n / r.syncs).toFixed(1)} |`,
  );
}
