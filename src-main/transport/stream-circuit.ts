/**
 * A Circuit over a byte stream (a mux stream on a direct TLS link): length-prefixed frames. Lets pairing
 * run over the LAN exactly as it runs over a relay circuit.
 */
import type { Duplex } from 'node:stream';
import { Emitter } from '../core/emitter.js';
import { ClawError } from '../core/errors.js';
import { encodeLengthPrefixed, LengthPrefixedDecoder } from '../protocol/length-prefixed.js';
import type { Circuit } from './circuit.js';

/** Largest frame accepted on a stream circuit, in bytes: pairing messages are under 5 KiB. */
export const MAX_STREAM_CIRCUIT_FRAME = 16 * 1024;

type Events = { frame: [Uint8Array]; drain: []; close: [Error | undefined] };

export function streamCircuit(
  stream: Duplex,
  meta: {
    peerId: string;
    remote: string;
    initiator: boolean;
    /** Largest frame accepted, in bytes (MAX_STREAM_CIRCUIT_FRAME unless given: a routed link's records are larger). */
    maxFrame?: number;
  },
): Circuit {
  const events = new Emitter<Events>();
  const decoder = new LengthPrefixedDecoder(meta.maxFrame ?? MAX_STREAM_CIRCUIT_FRAME);
  let closed = false;
  const held: Uint8Array[] = [];
  let listening = false;
  const finish = (err?: Error) => {
    if (closed) return;
    closed = true;
    events.emit('close', err);
  };
  stream.on('data', (chunk: Buffer) => {
    try {
      for (const f of decoder.push(chunk)) {
        if (listening) events.emit('frame', f);
        else held.push(f);
      }
    } catch (err) {
      stream.destroy();
      finish(err as Error);
    }
  });
  stream.on('drain', () => events.emit('drain'));
  stream.on('error', (err) => finish(err));
  stream.on('close', () => finish(new ClawError('LINK_CLOSED', `connection to ${meta.remote} closed`)));
  stream.on('end', () => finish(new ClawError('LINK_CLOSED', `connection to ${meta.remote} closed`)));
  return {
    claimedPeerId: meta.peerId,
    relayUrl: meta.remote,
    initiator: meta.initiator,
    get closed() {
      return closed;
    },
    send: (frame) => (closed ? false : stream.write(encodeLengthPrefixed(frame))),
    onFrame: (listener) => {
      const dispose = events.on('frame', listener);
      if (!listening) {
        listening = true;
        queueMicrotask(() => held.splice(0).forEach((f) => events.emit('frame', f)));
      }
      return dispose;
    },
    onDrain: (l) => events.on('drain', l),
    onClose: (l) => events.on('close', l),
    close: () => {
      if (closed) return;
      stream.end();
      finish();
    },
  };
}
