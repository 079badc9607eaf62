/**
 * The devices this browser paired with, as the window's peers (ADR 0094). Removing one here only makes
 * this browser forget it (the device's owner removes the browser on the device: `peers rm`).
 */
import { ApiError } from '../../src-renderer/api/transport.js';
import type { Method } from './node-context.js';
import { stringParam } from './params.js';

export const PEER_METHODS: Readonly<Record<string, Method>> = {
  'peers.list': (node) => Promise.resolve(node.devices.peers()),
  'peers.remove': async (node, params) => {
    const ref = stringParam('peers.remove', params, 'peer');
    const device = (await node.store.devices()).find((d) => d.fingerprint === ref || d.name === ref);
    if (!device) throw new ApiError('PEER_NOT_FOUND', `no device ${ref} here`);
    await node.store.forgetDevice(device.fingerprint);
    await node.devices.reload();
    return { name: device.name, fingerprint: device.fingerprint };
  },
};
