/**
 * A code's receiver that met the code must dial back (code-offers.ts, ADR 0124): one that stopped in
 * the meeting's last step (Ctrl-C, a closed page) never will, its identity gone with it, so the offer
 * ends once `receiverDialMs` passed without its link, saying why — not when the code expires ten
 * minutes later. One that dialed is not timed out, even while it waits to take the files (a page
 * before **Save**), and one that dialed and dropped is waited for until the deadline (resume). Where
 * to dial: the `ready` frame names this node's direct addresses as a hello over the relay they met on
 * would (loopback ones only when that relay is on loopback), and none when direct links are off.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Emitter } from '../../../src-main/core/emitter.js';
import { FileCodeChannel } from '../../../src-main/files/code-channel.js';
import { CodeOffers } from '../../../src-main/files/code-offers.js';
import type { FileCodeFrame } from '../../../src-main/protocol/file-code-frames.js';
import type { CodeOfferInfo, TransferInfo } from '../../../src-main/files/files-contract.js';
import type { MetCode } from '../../../src-main/links/domain.js';
import { generatePairCode } from '../../../src-main/protocol/pair-code.js';
import { sleep, until } from '../../helpers/wait.js';

const dir = mkdtempSync(join(tmpdir(), 'cb-code-offers-'));
after(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(join(dir, 'notes.txt'), 'hello');

const receiver = { name: 'code receiver', fingerprint: 'c'.repeat(64), certDer: new Uint8Array(1) };

/** An agent's parts as the offers see them: the codes, the sender, the links; the test moves them. */
function parts(opts: { directAddresses?: string[] } = {}) {
  const told: FileCodeFrame[] = [];
  let onMet: ((met: MetCode) => Promise<void>) | undefined;
  const cancelled: Array<[string, string]> = [];
  const linkChanges = new Emitter<{ changed: [] }>();
  let linked = false;
  const senderEvents = new Emitter<{ changed: [TransferInfo] }>();
  const offers = new CodeOffers({
    codes: {
      issue: (ttlMs: number, met: (met: MetCode) => Promise<void>) => {
        onMet = met;
        const code = generatePairCode().text;
        return Promise.resolve({
          code,
          invite: code,
          expiresAt: new Date(Date.now() + ttlMs).toISOString(),
        });
      },
      retire: () => true,
      meet: () => Promise.reject(new Error('not here')),
    },
    guests: { admitGuests: () => () => undefined },
    sender: {
      send: (): Promise<TransferInfo> =>
        Promise.resolve({
          id: 't1',
          direction: 'out',
          peer: receiver,
          state: 'waiting',
          files: 1,
          bytes: 5,
          filesDone: 0,
          bytesDone: 0,
          rate: 0,
          names: ['notes.txt'],
          startedAt: new Date().toISOString(),
        }),
      cancel: (id: string, why: string) => void cancelled.push([id, why]),
      events: senderEvents,
    } as never,
    peers: {
      peerEntries: () =>
        [{ fingerprint: receiver.fingerprint, links: { active: linked ? {} : undefined } }] as never,
      onChanged: (listener: () => void) => linkChanges.on('changed', listener),
    },
    log: { info: () => undefined, warn: () => undefined },
    receiverDialMs: 50,
    ...(opts.directAddresses ? { directAddresses: () => opts.directAddresses! } : {}),
  });
  const seen: CodeOfferInfo[] = [];
  offers.events.on('changed', (o) => seen.push(o));
  return {
    offers,
    cancelled,
    seen,
    told,
    /** The receiver meets the code (on the relay `via` names); resolves once the sender told it `ready`. */
    async meet(via = 'relay ws://127.0.0.1:1'): Promise<void> {
      const channel = new FileCodeChannel(new Uint8Array(32), 'receiver');
      await onMet!({
        peer: receiver,
        sessionKey: new Uint8Array(32),
        via,
        send: (bytes) => void told.push(channel.open(bytes, 'a frame')),
        next: () => new Promise(() => undefined),
        close: () => undefined,
      });
    },
    /** The receiver's link comes up here (or goes). */
    link(up: boolean): void {
      linked = up;
      linkChanges.emit('changed');
    },
  };
}

const stateOf = (offers: CodeOffers) => offers.list()[0]!;

test('a receiver that met the code and never dialed back ends the offer, with why, and its transfer', async () => {
  const p = parts();
  await p.offers.offer([join(dir, 'notes.txt')]);
  await p.meet();
  assert.equal(stateOf(p.offers).state, 'taken', stateOf(p.offers).why);
  await until('the offer to end', () => stateOf(p.offers).state !== 'taken');
  const ended = stateOf(p.offers);
  assert.equal(ended.state, 'failed');
  assert.match(ended.why ?? '', /^code receiver met the code but did not connect within 0 s/);
  assert.deepEqual(
    p.cancelled.map(([id]) => id),
    ['t1'],
    'the transfer that waited for it is cancelled',
  );
});

test('a receiver that dialed back is not timed out, even before it takes the files; nor once its link dropped', async () => {
  const p = parts();
  await p.offers.offer([join(dir, 'notes.txt')]);
  await p.meet();
  p.link(true);
  await sleep(150, 'past the dial deadline (50 ms): nothing may end the offer');
  assert.equal(stateOf(p.offers).state, 'taken', 'dialed back: it waits for the receiver to take');
  p.link(false);
  await sleep(150, 'past the dial deadline (50 ms): nothing may end the offer');
  assert.equal(stateOf(p.offers).state, 'taken', 'dropped after it came: waited for until the deadline');
  assert.deepEqual(p.cancelled, []);
  p.offers.stop();
});

test('a receiver whose link came and went before the dial deadline is waited for, as any dropped one', async () => {
  const p = parts();
  await p.offers.offer([join(dir, 'notes.txt')]);
  await p.meet();
  p.link(true);
  p.link(false);
  await sleep(150, 'past the dial deadline (50 ms): nothing may end the offer');
  assert.equal(stateOf(p.offers).state, 'taken', 'it came: the deadline is the code’s, not the dial’s');
  p.offers.stop();
});

test("ready names this node's direct addresses as a hello over the relay they met on would; none when direct is off", async () => {
  const addresses = ['192.168.1.20:7475', '[2001:db8::7]:7475', '127.0.0.1:7475', '[::1]:7475'];
  const onLoopback = parts({ directAddresses: addresses });
  await onLoopback.offers.offer([join(dir, 'notes.txt')]);
  await onLoopback.meet('relay wss://127.0.0.1:8443');
  assert.deepEqual(onLoopback.told[0], {
    t: 'ready',
    names: ['notes.txt'],
    files: 1,
    bytes: 5,
    addresses,
  });
  onLoopback.offers.stop();

  const elsewhere = parts({ directAddresses: addresses });
  await elsewhere.offers.offer([join(dir, 'notes.txt')]);
  await elsewhere.meet('relay wss://relay.example.net:443');
  assert.deepEqual(
    elsewhere.told[0]?.t === 'ready' && elsewhere.told[0].addresses,
    ['192.168.1.20:7475', '[2001:db8::7]:7475'],
    'a receiver on another machine is not told loopback addresses (they would name its own)',
  );
  elsewhere.offers.stop();

  const off = parts({ directAddresses: [] });
  await off.offers.offer([join(dir, 'notes.txt')]);
  await off.meet();
  assert.equal(off.told[0]?.t === 'ready' && 'addresses' in off.told[0], false, 'direct off: no addresses');
  off.offers.stop();
});
