/**
 * A READ the receiver sends while the sender has no stream open to it is lost on the way; the sender
 * must ask for it again (WANT_READ) on its next stream, whether that stream comes with a new link or
 * only because the last one ended. Two MessageServices over real boxes, joined by in-memory streams.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { MessageService, type MessagePeers } from '../../../src-main/messages/message-service.js';
import { openMessageStore } from '../../../src-main/messages/message-store.js';
import { ClawError } from '../../../src-main/core/errors.js';
import type { ServiceRequest, ConnectionAdmission } from '../../../src-main/services/services.js';
import type { ReadonlyPeerEntry } from '../../../src-main/links/ports.js';
import type { MuxStream } from '../../../src-main/mux/stream.js';
import { duplexPair } from '../../helpers/duplex-pair.js';
import { until } from '../../helpers/wait.js';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

type Handler = (req: ServiceRequest, served: ConnectionAdmission) => void;

/** A node's MessageService whose peer `peerFp` (named `peerName`) is reached through `dial`. */
async function node(me: string, peerFp: string, peerName: string, dial: () => Handler | undefined) {
  const home = mkdtempSync(join(tmpdir(), 'cb-msg-reads-'));
  dirs.push(home);
  const store = await openMessageStore(home);
  const link = { mux: {} };
  const entry = {
    fingerprint: peerFp,
    record: { name: peerName },
    links: { active: link },
  } as unknown as ReadonlyPeerEntry;
  const listeners = new Set<() => void>();
  /** The far end of each stream this node opened, to cut it as a dying stream ends. */
  const opened: { cut: () => void }[] = [];
  /** While set, the peer refuses every stream for want of the permission; `tries` counts the opens. */
  const refusing = { on: false, tries: 0 };
  let handler: Handler | undefined;
  const peers: MessagePeers = {
    peerEntries: () => [entry],
    onChanged: (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    openStream: (_entry, service) => {
      refusing.tries++;
      if (refusing.on)
        return Promise.reject(
          new ClawError('STREAM_REJECTED', 'b does not allow you message', { refusal: 'PERMISSION_DENIED' }),
        );
      const far = dial();
      if (!far) throw new Error(`no ${service} service there`);
      const pair = duplexPair();
      opened.push({ cut: () => pair.cut() });
      far(
        {
          peer: { name: me === A ? 'a' : 'b', fingerprint: me },
          args: { v: 1 },
          reject: () => undefined,
        } as unknown as ServiceRequest,
        {
          accept: () => ({
            stream: pair.b,
            connection: { bytesIn: () => undefined, bytesOut: () => undefined, end: () => undefined },
          }),
        } as unknown as ConnectionAdmission,
      );
      return Promise.resolve({ stream: pair.a as MuxStream, path: 'relay' as const, remote: 'test' });
    },
  };
  const service = new MessageService({
    log: pino({ level: 'silent' }),
    services: {
      register: (_name, def) => {
        handler = (def as unknown as { handle: Handler }).handle;
      },
    },
    peers,
    boxes: { inbox: store.inbox, outbox: store.outbox },
  });
  const changed = () => listeners.forEach((l) => l());
  return { service, store, opened, refusing, changed, handler: () => handler };
}

type Node = Awaited<ReturnType<typeof node>>;

/**
 * a and b joined, a's message to b delivered, then a's stream to b cut with the link staying, b's
 * program reads the message, and `then` runs; both services are stopped after it.
 */
async function readWhileCut(
  before: (a: Node) => void,
  then: (a: Node, b: Node, id: string) => Promise<void>,
): Promise<void> {
  const nodes = new Map<string, Node>();
  const a = await node(A, B, 'b', () => nodes.get(B)?.handler());
  const b = await node(B, A, 'a', () => nodes.get(A)?.handler());
  nodes.set(A, a).set(B, b);
  a.service.start();
  b.service.start();
  try {
    const sent = await a.store.outbox.queue({
      peer: B,
      topic: 'it',
      body: new TextEncoder().encode('hi'),
      text: true,
    });
    await until(
      'b holds the message and a saw it delivered',
      () =>
        b.store.inbox.list({}).some((m) => m.id === sent.id) &&
        a.store.outbox.get(sent.id)?.state === 'delivered',
      5_000,
    );
    before(a);
    for (const s of a.opened) s.cut();
    await until('a has no stream open to b', () => !a.service.sessions.isSendingTo(B), 5_000);
    assert.deepEqual(await b.store.inbox.markRead([sent.id]), [sent.id]);
    await then(a, b, sent.id);
  } finally {
    a.service.stop();
    b.service.stop();
    await Promise.all([a.store.close(), b.store.close()]);
  }
}

test('a READ sent while no stream was open is asked for again on the next stream over the same link', () =>
  readWhileCut(
    () => undefined,
    async (a, _b, id) => {
      await until('a learns the message was read', () => a.store.outbox.get(id)?.state === 'read', 10_000);
    },
  ));

test('a peer that refuses the stream (the permission taken away) is asked once, not at every change', () =>
  readWhileCut(
    (a) => {
      a.refusing.on = true;
      a.refusing.tries = 0;
    },
    async (a) => {
      await until('a tries once more to ask for the READ', () => a.refusing.tries === 1, 10_000);
      // The refusal is handled on later turns; then changes here (links, hellos) come and go.
      for (let turn = 0; turn < 5; turn++) await new Promise((r) => setImmediate(r));
      for (let change = 0; change < 5; change++) a.changed();
      assert.equal(a.refusing.tries, 1, 'a refused open is not tried again until the next link');
    },
  ));
