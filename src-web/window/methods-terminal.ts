/**
 * Terminals on the devices (ADR 0094): `terminal.open` and `terminal.attach` are streams of the window's
 * terminal frames (terminal-sessions.ts) on a paired device or a device of one of its groups,
 * `terminal.list` and `terminal.close` act on this page's
 * sessions. Only new shells: taking up a session by the device's ID after an agent restart (`resume`)
 * has no meaning here, since the page is the node.
 */
import { ApiError } from '../../src-renderer/api/transport.js';
import type { Method, StreamMethodImpl } from './node-context.js';
import { asApiError, intParam, optionalIntParam, stringParam } from './params.js';

/** The largest terminal side the wire takes (terminal-frames.ts MAX_TERMINAL_DIMENSION). */
const MAX_SIDE = 4096;

const open: StreamMethodImpl = async (node, params) => {
  const peer = stringParam('terminal.open', params, 'peer');
  const size = {
    cols: intParam('terminal.open', params, 'cols', 1, MAX_SIDE, 80),
    rows: intParam('terminal.open', params, 'rows', 1, MAX_SIDE, 24),
  };
  // A paired device, or a device of a group this browser is a member of (named as the group names it).
  const device =
    (await node.store.devices()).find((d) => d.fingerprint === peer || d.name === peer) ??
    node.groups.device(peer);
  if (!device)
    throw new ApiError('PEER_NOT_FOUND', `this browser is not paired with ${peer}, nor in a group with it`);
  try {
    const { session, channel } = await node.terminals.start(device.fingerprint, device.name, size);
    return { result: { id: session.id, path: 'relay', remote: node.relayUrl, pty: true }, channel };
  } catch (err) {
    throw asApiError(err);
  }
};

const attach: StreamMethodImpl = (node, params) => {
  const id = stringParam('terminal.attach', params, 'id');
  const session = node.terminals.get(id);
  if (!session) return Promise.reject(new ApiError('NOT_FOUND', `no terminal session '${id}' here`));
  const from = optionalIntParam('terminal.attach', params, 'from');
  const { channel, offset, replayBytes } = session.attach(from);
  return Promise.resolve({
    result: {
      id,
      path: session.ended ? null : 'relay',
      remote: node.relayUrl,
      state: session.state,
      replayBytes,
      offset,
    },
    channel,
  });
};

export const TERMINAL_STREAMS: Readonly<Record<string, StreamMethodImpl>> = {
  'terminal.open': open,
  'terminal.attach': attach,
};

export const TERMINAL_METHODS: Readonly<Record<string, Method>> = {
  'terminal.list': (node) => Promise.resolve(node.terminals.list()),
  'terminal.close': (node, params) => {
    const id = stringParam('terminal.close', params, 'id');
    if (!node.terminals.close(id))
      return Promise.reject(new ApiError('NOT_FOUND', `no terminal session '${id}' here`));
    return Promise.resolve({ id });
  },
};
