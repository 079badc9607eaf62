/**
 * One side of a message exchange in its own process, on a real message store in HOME, for kill -9
 * tests (test/integration/message-store-kill.test.ts). Lines on stdout say what became durable.
 *
 *   receive HOME DIR      listens on 127.0.0.1 (port written to DIR/port), takes a sender's stream
 *                         into its inbox; prints `ACCEPTED id topic` once each message is durable
 *   send HOME DIR [N]     queues N messages (topics t0, t1, t2 in turn; `QUEUED id` once each is
 *                         durable, `ALL QUEUED` after the last), then delivers its outbox to the port
 *                         in DIR/port, reconnecting every 50 ms; prints `PENDING n` every 50 ms
 *
 * SIGTERM closes the store cleanly and exits 0.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { openMessageStore } from '../../src-main/messages/message-store.js';
import { MessageSessions } from '../../src-main/messages/message-session.js';
import { failTest } from './unawaited.js';

const SENDER = 'a'.repeat(64);
const RECEIVER = 'b'.repeat(64);
const [role, home, dir, count] = process.argv.slice(2);
const say = (line: string) => process.stdout.write(`${line}\n`);

const store = await openMessageStore(home!);
const sessions = new MessageSessions({ inbox: store.inbox, outbox: store.outbox });
const sockets = new Set<Socket>();

process.on('SIGTERM', () => {
  sessions.closeAll();
  for (const s of sockets) s.destroy();
  store
    .close()
    .then(() => process.exit(0))
    .catch(failTest('store.close().then'));
});

if (role === 'receive') {
  // Said once durable: the inbox's `message` event comes while the record is still being written
  // (ADR 0066), and a message a crash lost before that is accepted again when the sender resends it.
  const offer = store.inbox.offer.bind(store.inbox);
  store.inbox.offer = (from, msg) => {
    const o = offer(from, msg);
    if (o.kind === 'accepted')
      o.durable.then(() => say(`ACCEPTED ${o.entry.id} ${o.entry.topic}`)).catch(failTest('o.durable.then'));
    return o;
  };
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    sessions.receive(SENDER, socket);
  });
  server.listen(0, '127.0.0.1', () => {
    const { port } = server.address() as { port: number };
    writeFileSync(join(dir!, 'port.tmp'), String(port));
    renameSync(join(dir!, 'port.tmp'), join(dir!, 'port'));
    say('READY');
  });
} else {
  const n = Number(count ?? 0);
  // A few at a time, as `msg send --lines` would: each line's queue() resolves once it is durable.
  for (let i = 0; i < n; i += 20) {
    await Promise.all(
      Array.from({ length: Math.min(20, n - i) }, (_, j) =>
        store.outbox
          .queue({ peer: RECEIVER, topic: `t${(i + j) % 3}`, body: Buffer.from(`line ${i + j}`), text: true })
          .then((e) => say(`QUEUED ${e.id}`)),
      ),
    );
  }
  if (n > 0) say('ALL QUEUED');
  const dial = () => {
    let port: number;
    try {
      port = Number(readFileSync(join(dir!, 'port'), 'utf8'));
    } catch {
      setTimeout(dial, 50);
      return;
    }
    const socket = connect(port, '127.0.0.1');
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.once('connect', () => sessions.send(RECEIVER, socket));
    // Refused, reset, or ended by the session: dial again (the port may be a new receiver's).
    socket.once('close', () => {
      sockets.delete(socket);
      setTimeout(dial, 50);
    });
  };
  dial();
  setInterval(() => say(`PENDING ${store.outbox.pending(RECEIVER).length}`), 50);
}
