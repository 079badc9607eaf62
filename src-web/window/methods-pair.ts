/**
 * Pairing, from the browser's side (ADR 0094): it joins with a code another device shows (`pair.join`:
 * CPace through the relay, then the owner approves on the device); it never shows codes of its own,
 * so `pair.new` is not served and the window offers no "Pair new device". The join's steps go to the
 * window as the agent's `pairing` events do, with both fingerprints to compare once the code checked out.
 */
import type { PairingEvent, PairJoinResult } from '../../src-main/api/contract.js';
import type { Method, WindowNode } from './node-context.js';
import { asApiError, stringParam } from './params.js';

function step(node: WindowNode, code: string, event: Omit<PairingEvent, 'role' | 'code'>): void {
  node.emit('pairing', { role: 'join', code, ...event } satisfies PairingEvent);
}

async function join(node: WindowNode, params: unknown): Promise<PairJoinResult> {
  const code = stringParam('pair.join', params, 'code');
  step(node, code, { step: 'finding' });
  try {
    const device = await node.node.pair(code, ({ fingerprint, name }) =>
      step(node, code, {
        step: 'waiting',
        peerName: name,
        fingerprint,
        ownFingerprint: node.node.fingerprint,
      }),
    );
    await node.devices.paired(device.fingerprint);
    step(node, code, { step: 'paired', peerName: device.name, fingerprint: device.fingerprint });
    // A browser grants the device nothing: it only dials.
    return { name: device.name, fingerprint: device.fingerprint, allow: [] };
  } catch (err) {
    const e = asApiError(err);
    step(
      node,
      code,
      e.code === 'PAIRING_REJECTED' ? { step: 'rejected' } : { step: 'failed', message: e.message },
    );
    throw e;
  }
}

export const PAIR_METHODS: Readonly<Record<string, Method>> = {
  'pair.join': join,
  // The window stops following the join; the relay circuit ends with the code's wait on the device.
  'pair.cancel': (_node, params) => Promise.resolve({ code: stringParam('pair.cancel', params, 'code') }),
  // Nothing outlives the page: a reload starts with no join running.
  'pair.list': () => Promise.resolve({ codes: [], joins: [] }),
};
