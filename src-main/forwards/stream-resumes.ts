/**
 * The acceptor's side of resumable streams (ADR 0023): the halves of streams peers opened here, by
 * (peer fingerprint, resume ID), and the `stream-resume` service a peer re-attaches one with after a
 * link died. The key includes the fingerprint the link authenticated, so a peer can only ever reach
 * its own streams; an ID it did not get from the stream's own OPEN is a 128-bit guess.
 */
import { z } from 'zod';
import type { HeldAdmission, ServiceRegistry, ServiceRequest } from '../services/services.js';
import { describeZodError } from '../core/zod-error.js';
import { madeOnUse } from '../core/made-on-use.js';
import type { MuxStream } from '../mux/stream.js';
import { answerFinished, ResumableStream } from '../mux/resumable-stream.js';
import { MAX_ACKED_OFFSET } from '../protocol/mux-frames.js';
import { resumeIdSchema } from './tcp-connect-protocol.js';

/** Service a peer re-attaches a resumable stream with. */
export const STREAM_RESUME_SERVICE = 'stream-resume';
/**
 * How long a stream waits for its peer after its link died, in ms (60 s): as long as a terminal session
 * waits (terminal/sessions/terminal-flow.ts TERMINAL_RESUME_MS), so one outage ends both or neither.
 */
export const STREAM_RESUME_MS = 60_000;

/**
 * OPEN arguments of `stream-resume`: which stream, and how many of its bytes the opener received. Made
 * on use (ADR 0073).
 */
export const streamResumeArgsSchema = madeOnUse(() =>
  z
    .object({
      id: resumeIdSchema(),
      delivered: z.number().int().min(0).max(MAX_ACKED_OFFSET),
    })
    .strict(),
);

/** A half that finished cleanly, kept as its count only, in case its last FIN was lost with the link. */
interface Finished {
  received: number;
}

export class StreamResumes {
  private readonly halves = new Map<string, ResumableStream | Finished>();

  constructor(private readonly resumeMs = STREAM_RESUME_MS) {}

  /** Halves (live or finished) kept now; for tests and leak checks. */
  get size(): number {
    return this.halves.size;
  }

  /** True when `peer` already has a stream with this ID here (a second OPEN with it is refused). */
  has(peer: string, id: string): boolean {
    return this.halves.has(key(peer, id));
  }

  /** Makes an accepted stream resumable under (peer, id); the caller uses the result instead of `stream`. */
  adopt(peer: string, id: string, stream: MuxStream): ResumableStream {
    const k = key(peer, id);
    const half = new ResumableStream({ stream }, { resumeMs: this.resumeMs });
    this.halves.set(k, half);
    half.once('close', () => {
      if (this.halves.get(k) !== half) return;
      if (!half.completed) return void this.halves.delete(k);
      this.halves.set(k, { received: half.receivedBytes });
      setTimeout(() => this.halves.delete(k), this.resumeMs).unref();
    });
    return half;
  }

  /** Registers `stream-resume`: any peer may open it, and finds only its own streams. */
  register(services: Pick<ServiceRegistry, 'register'>): void {
    services.register(STREAM_RESUME_SERVICE, {
      permission: null,
      noun: 'resumed streams',
      // A stream resumed carries on a connection listed already (its service's), under that grant.
      admits: 'held',
      handle: (req, served) => this.serve(req, served),
    });
  }

  serve(req: ServiceRequest, served: HeldAdmission): void {
    const parsed = streamResumeArgsSchema().safeParse(req.args);
    if (!parsed.success) {
      req.reject('BAD_REQUEST', `bad stream-resume arguments: ${describeZodError(parsed.error)}`);
      return;
    }
    const { id, delivered } = parsed.data;
    const half = this.halves.get(key(req.peer.fingerprint, id));
    if (!half || (half instanceof ResumableStream && half.destroyed)) {
      req.reject(
        'SESSION_GONE',
        'no stream to resume with that ID here: it ended, or its resume deadline passed',
      );
      return;
    }
    let carrier: MuxStream;
    try {
      carrier = served.hold();
    } catch {
      return; // the opener gave up meanwhile; it will try again or its stream ends
    }
    if (half instanceof ResumableStream) half.attach({ stream: carrier }, delivered);
    else answerFinished(carrier, half.received);
  }
}

function key(peer: string, id: string): string {
  return `${peer}/${id}`;
}
