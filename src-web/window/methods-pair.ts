/**
 * Pairing, from the browser's side (ADR 0094): it joins with a code another device shows (`pair.join`:
 * CPace through the relay, then the owner approves on the device); it never shows codes of its own,
 * so `pair.new` is not served and the window offers no "Pair new device". The join's steps go to the
 * window as the agent's `pairing` events do, with both fingerprints to compare once the code checked out.
 */
import type { PairingEvent, PairJoinResult } from '../../src-main/api/contract.js';
import type { Method, WindowNode } from './node-context.js';
import { asApiError, stringParam } from './params.js';

/** The joins running in each window's node, by code: what `pair.cancel` stops. */
const running = new WeakMap<WindowNode, Map<string, AbortController>>();

function joinsOf(node: WindowNode): Map<string, AbortController> {
  let joins = running.get(node);
  if (!joins) running.set(node, (joins = new Map<string, AbortController>()));
  return joins;
}

function step(node: WindowNode, code: string, event: Omit<PairingEvent, 'role' | 'code'>): void {
  node.emit('pairing', { role: 'join', code, ...event } satisfies PairingEvent);
}

async function join(node: WindowNode, params: unknown): Promise<PairJoinResult> {
  const code = stringParam('pair.join', params, 'code');
  const joins = joinsOf(node);
  joins.get(code)?.abort();
  const cancel = new AbortController();
  joins.set(code, cancel);
  step(node, code, { step: 'finding' });
  try {
    const device = await node.node.pair(
      code,
      ({ fingerprint, name }) =>
        step(node, code, {
          step: 'waiting',
          peerName: name,
          fingerprint,
          ownFingerprint: node.node.fingerprint,
        }),
      cancel.signal,
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
  } finally {
    if (joins.get(code) === cancel) joins.delete(code);
  }
}

export const PAIR_METHODS: Readonly<Record<string, Method>> = {
  'pair.join': join,
  // The join's circuit closes: the device withdraws the request, so no late approval pairs after all.
  'pair.cancel': (node, params) => {
    const code = stringParam('pair.cancel', params, 'code');
    joinsOf(node).get(code)?.abort();
    return Promise.resolve({ code });
  },
  // Nothing outlives the page: a reload starts with no join running.
  'pair.list': () => Promise.resolve({ codes: [], joins: [] }),
};
