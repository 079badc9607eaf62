/**
 * The node's own methods, answered by the browser node (ADR 0094): `status` (its name, fingerprint, the
 * relay it speaks through and its devices as peers), `settings.set` of its name (ADR 0102), and the
 * lists the window reads with it, which a browser never has anything in: no pairing requests (it never
 * issues codes), no forwards, no proxies.
 */
import type { StatusResult } from '../../src-main/api/contract.js';
import { normalizeNodeName, typedNameProblem } from '../../src-main/core/names.js';
import { ApiError } from '../../src-renderer/api/transport.js';
import type { Method, WindowNode } from './node-context.js';
import { stringParam } from './params.js';

export function statusOf(node: WindowNode): StatusResult {
  const peers = node.devices.peers();
  const unreachable = peers.find((p) => p.state === 'unreachable');
  return {
    name: node.node.identity.name,
    fingerprint: node.node.fingerprint,
    listen: null,
    relays: [
      {
        url: node.relayUrl,
        // What the links say: the relay is reached while a device is linked through it.
        connected: peers.some((p) => p.online),
        ...(unreachable?.stateDetail ? { error: unreachable.stateDetail } : {}),
      },
    ],
    peers,
  };
}

/**
 * `settings.set` with the one setting a browser has, its name (BrowserNode.rename), checked as a name
 * typed on an agent is; anything else is refused. The answer carries only the name.
 */
const setName: Method = async (node, params) => {
  const others = Object.keys(typeof params === 'object' && params !== null ? params : {}).filter(
    (k) => k !== 'name',
  );
  if (others.length > 0)
    throw new ApiError('BAD_ARGUMENT', `a browser has no setting ${others.join(', ')}: only its name`);
  const typed = stringParam('settings.set', params, 'name');
  const problem = typedNameProblem(typed);
  if (problem) throw new ApiError('BAD_ARGUMENT', `this browser's name ${problem}`);
  await node.node.rename(normalizeNodeName(typed));
  node.changed();
  return { name: node.node.identity.name };
};

export const NODE_METHODS: Readonly<Record<string, Method>> = {
  status: (node) => Promise.resolve(statusOf(node)),
  'settings.set': setName,
  'pending.list': () => Promise.resolve([]),
  'forward.list': () => Promise.resolve([]),
  'proxy.list': () => Promise.resolve([]),
};
