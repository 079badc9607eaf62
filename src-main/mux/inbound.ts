/**
 * The peer's OPENs until they are answered (architecture.md §Mux, docs/mux-protocol.md §Stream
 * lifecycle): each goes to the service as a StreamRequest, which accepts or rejects it once, unless
 * the link already holds MAX_INBOUND_STREAMS of the peer's streams or offers no services. The mux
 * checks the OPEN's ID first (stream-ids.ts) and keeps the pending ones in `inbound`, where a RST
 * from the peer cancels them and DATA sent with the OPEN waits (early-data.ts).
 */
import type { RefusalCode } from '../core/refusal-codes.js';
import { ClawError, errorMessage } from '../core/errors.js';
import { encodeFrame, FrameType } from '../protocol/mux-frames.js';
import { MAX_INBOUND_STREAMS } from './constants.js';
import type { EarlyHold } from './early-data.js';
import type { MuxStream } from './stream.js';
import type { StreamRequest } from './types.js';

/** One OPEN from the peer, not answered yet. */
export interface Inbound {
  state: 'pending' | 'answered' | 'cancelled';
  /** Aborted when the state becomes `cancelled` (the request's `signal`). */
  cancel: AbortController;
  reason?: string;
  /** DATA the opener sent with its OPEN, held until the answer (early-data.ts). */
  early?: EarlyHold;
}

/** What answering an OPEN needs of the mux. */
export interface InboundDeps {
  /** Unanswered OPENs by stream ID. */
  readonly inbound: Map<number, Inbound>;
  /** Streams the peer opened that are open now. */
  peerStreamCount(): number;
  isClosed(): boolean;
  /** The peer, for messages (its fingerprint's start). */
  peer(): string;
  send(frame: Uint8Array): void;
  /** Creates, registers and starts the stream an ACCEPT opens. */
  startStream(id: number, service: string, args: unknown): MuxStream;
  onStream(): ((request: StreamRequest) => void) | undefined;
  warn(details: Record<string, unknown>, message: string): void;
}

/** Hands the peer's OPEN of stream `id` (its ID already checked) to the service, or refuses it. */
export function receiveOpen(deps: InboundDeps, id: number, service: string, args: unknown): void {
  const reject = (code: RefusalCode, reason: string) =>
    deps.send(encodeFrame({ type: FrameType.Reject, streamId: id, code, reason }));
  if (deps.peerStreamCount() + deps.inbound.size >= MAX_INBOUND_STREAMS) {
    reject(
      'TOO_MANY_STREAMS',
      `too many streams: this node allows ${MAX_INBOUND_STREAMS} at once per link; close some and retry`,
    );
    return;
  }
  const onStream = deps.onStream();
  if (!onStream) {
    reject('UNKNOWN_SERVICE', 'this node offers no services on this link');
    return;
  }
  const entry: Inbound = { state: 'pending', cancel: new AbortController() };
  deps.inbound.set(id, entry);
  const answer = (): void => {
    if (entry.state === 'cancelled') {
      throw new ClawError(
        'STREAM_RESET',
        `the peer gave up on the "${service}" stream before it was answered: ${entry.reason ?? 'link closed'}`,
      );
    }
    if (entry.state === 'answered')
      throw new ClawError('BAD_ARGUMENT', `the "${service}" stream was already answered`);
    entry.state = 'answered';
    deps.inbound.delete(id);
  };
  const request: StreamRequest = {
    service,
    args,
    signal: entry.cancel.signal,
    accept: () => {
      if (deps.isClosed()) {
        throw new ClawError(
          'LINK_CLOSED',
          `cannot accept the "${service}" stream: the link to ${deps.peer()} is closed`,
        );
      }
      answer();
      deps.send(encodeFrame({ type: FrameType.Accept, streamId: id }));
      const stream = deps.startStream(id, service, args);
      // Within the initial credit by EarlyHold's check, so the stream takes it without complaint.
      entry.early?.deliver((pieces) => stream.receiveData(pieces));
      entry.early = undefined;
      return stream;
    },
    reject: (code, reason) => {
      if (entry.state !== 'pending') return;
      answer();
      entry.early = undefined; // the opener gets its early bytes back with the REJECT
      reject(code, reason);
    },
  };
  try {
    onStream(request);
  } catch (err) {
    deps.warn({ service, err }, 'stream handler threw; rejecting the stream');
    request.reject('SERVICE_FAILED', `the "${service}" service failed: ${errorMessage(err)}`);
  }
}
