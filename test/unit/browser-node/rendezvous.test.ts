/**
 * The browser's side of a rendezvous (src-web/node/circuit-reader.ts openRendezvous), with a fake
 * relay: a code nobody waits for on the relay is said invalid or expired with where it was looked
 * for and the likely causes, as `pair join` says it; a relay that refuses the circuit for another
 * reason (too many attempts) is said as that, not as a bad code.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BrowserNodeError } from '../../../src-web/node/bytes.js';
import { openRendezvous } from '../../../src-web/node/circuit-reader.js';
import { rendezvousAlias } from '../../../src-web/node/pairing.js';
import type { BrowserCircuit } from '../../../src-web/node/relay-connection.js';

const RELAY = 'ws://127.0.0.1:7000';

/** A relay whose OPEN is refused with `error`, or answered; it records the target asked for. */
function relay(error?: BrowserNodeError) {
  const asked: string[] = [];
  return {
    asked,
    openCircuit(target: string): Promise<BrowserCircuit> {
      asked.push(target);
      return error ? Promise.reject(error) : Promise.resolve({} as BrowserCircuit);
    },
  };
}

test('the circuit goes to the alias of the code’s tag', async () => {
  const r = relay();
  await openRendezvous(r, 'K7QX', RELAY, 'code');
  assert.deepEqual(r.asked, [rendezvousAlias('K7QX')], 'the tag’s rendezvous alias');
});

test('nobody waits for the code on the relay: invalid or expired, saying where and why it may be', async () => {
  const r = relay(new BrowserNodeError('PEER_OFFLINE', 'peer offline'));
  await assert.rejects(
    openRendezvous(r, 'K7QX', RELAY, 'invitation code'),
    (e: BrowserNodeError) =>
      e.code === 'BAD_PAIR_CODE' &&
      e.message.startsWith(
        'invitation code invalid or expired: nobody on ws://127.0.0.1:7000 is waiting for it',
      ) &&
      /typo/.test(e.message),
    'a code unknown on the relay',
  );
});

test('a relay that refuses for another reason says that reason, not that the code is bad', async () => {
  const r = relay(
    new BrowserNodeError('RELAY_FAILED', 'too many pairing attempts from this node; wait a minute'),
  );
  await assert.rejects(
    openRendezvous(r, 'K7QX', RELAY, 'code'),
    (e: BrowserNodeError) =>
      e.code === 'PAIRING_FAILED' &&
      e.message ===
        "the relay would not connect this browser to the code's device: too many pairing attempts from this node; wait a minute",
    'the relay’s own reason',
  );
});
