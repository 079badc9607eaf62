/**
 * Receives with a code that this agent runs for `file receive` (ADR 0125): the same throwaway node as
 * the command's own (code-receiver.ts: an identity made in memory, no pairing, the files moved into
 * the target once verified), run in the agent's warm process instead of a new one, which spent its
 * first second starting Node, loading the receiver and compiling its hot code. The command follows
 * the `file.codeReceive` events and prints what its own receive would.
 *
 * One owner of the receives' state: this class. They live in memory only: an agent that stops cancels
 * them, and the command says so.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { Emitter } from '../core/emitter.js';
import { ClawError, errorMessage } from '../core/errors.js';
import { isoTime } from '../core/iso-time.js';
import type { CodeReceiveOptions, CodeReceiveResult } from './code-receiver.js';
import type { CodeReceiveInfo, TransferInfo } from './files-contract.js';

/** Most receives running at once (each a relay connection and a transfer). */
export const MAX_RUNNING_CODE_RECEIVES = 8;
/** Most receives kept after they ended, newest first, for the list. */
const MAX_ENDED_RECEIVES = 16;
/** Most notes one receive keeps (its `noteCount` goes on counting). */
const MAX_NOTES = 20;

const ENDED: ReadonlySet<CodeReceiveInfo['state']> = new Set(['done', 'failed', 'cancelled']);

export interface CodeReceivesDeps {
  /** Runs one receive (code-receiver.ts `receiveWithCode`; a fake in tests). */
  receive(opts: CodeReceiveOptions): Promise<CodeReceiveResult>;
  log: Logger;
  /** Whether this agent makes direct links (absent: it does); when not, its receives use the relay only. */
  direct?: () => boolean;
  now?: () => number;
}

export interface CodeReceiveRequest {
  text: string;
  dir: string;
  relay?: { url: string; fingerprint?: string };
  /** false: through the relay only (`file receive --no-direct`). */
  direct?: boolean;
}

interface Running {
  info: CodeReceiveInfo;
  abort: AbortController;
}

const copy = (i: CodeReceiveInfo): CodeReceiveInfo => structuredClone(i);

export class CodeReceives {
  /** `changed`: a receive started, met its sender, moved on, said something or ended. */
  readonly events = new Emitter<{ changed: [CodeReceiveInfo] }>();
  private readonly receives = new Map<string, Running>();
  private readonly now: () => number;
  private stopped = false;

  constructor(private readonly deps: CodeReceivesDeps) {
    this.now = deps.now ?? Date.now;
  }

  /**
   * Starts receiving what `req.text`'s code offers into `req.dir`: answered at once, in `meeting`.
   * @throws ClawError('BAD_ARGUMENT') when MAX_RUNNING_CODE_RECEIVES run already or the agent stops
   */
  start(req: CodeReceiveRequest): CodeReceiveInfo {
    if (this.stopped)
      throw new ClawError('BAD_ARGUMENT', 'the agent is stopping: receive again once it runs');
    const running = [...this.receives.values()].filter((r) => !ENDED.has(r.info.state)).length;
    if (running >= MAX_RUNNING_CODE_RECEIVES)
      throw new ClawError(
        'BAD_ARGUMENT',
        `${running} receives with a code run here already: wait for one to end (clawbridge file receive --no-agent takes it in a process of its own)`,
      );
    const info: CodeReceiveInfo = {
      id: randomBytes(8).toString('hex'),
      state: 'meeting',
      dir: req.dir,
      notes: [],
      noteCount: 0,
      startedAt: isoTime(this.now()),
    };
    const r: Running = { info, abort: new AbortController() };
    this.receives.set(info.id, r);
    this.prune();
    this.run(r, req).catch((err: unknown) => this.deps.log.warn({ err }, 'a receive with a code broke'));
    return copy(info);
  }

  /** Every receive kept: the running ones and the last that ended, oldest first. */
  list(): CodeReceiveInfo[] {
    return [...this.receives.values()].map((r) => copy(r.info));
  }

  /**
   * Cancels receive `id`: the sender is told, what had arrived is removed. One that ended is answered as it is.
   * @throws ClawError('BAD_ARGUMENT') for an unknown id
   */
  cancel(id: string): CodeReceiveInfo {
    const r = this.receives.get(id);
    if (!r) throw new ClawError('BAD_ARGUMENT', `no receive with a code ${id} here`);
    r.abort.abort();
    return copy(r.info);
  }

  /** The agent stops: every running receive is cancelled. */
  stop(): void {
    this.stopped = true;
    for (const r of this.receives.values()) r.abort.abort();
  }

  private async run(r: Running, req: CodeReceiveRequest): Promise<void> {
    try {
      const result = await this.deps.receive({
        text: req.text,
        dir: req.dir,
        ...(req.relay ? { relay: req.relay } : {}),
        direct: req.direct !== false && (this.deps.direct?.() ?? true),
        signal: r.abort.signal,
        log: this.deps.log,
        on: {
          met: (sender, own) =>
            this.update(r, {
              state: 'receiving',
              from: { name: sender.name, fingerprint: sender.fingerprint },
              own,
              offer: { names: [...sender.offer.names], files: sender.offer.files, bytes: sender.offer.bytes },
            }),
          progress: (view: TransferInfo) => this.update(r, { progress: view }),
          note: (line) => this.note(r, line),
          linked: (path, remote) => this.update(r, { link: { path, remote } }),
        },
      });
      this.update(r, {
        state: 'done',
        progress: result.transfer,
        moved: result.moved,
        endedAt: this.endedAt(),
      });
    } catch (err) {
      const cancelled = r.abort.signal.aborted;
      this.update(r, {
        state: cancelled ? 'cancelled' : 'failed',
        why: cancelled ? (this.stopped ? 'the agent stopped' : 'cancelled') : errorMessage(err),
        endedAt: this.endedAt(),
      });
    }
  }

  private endedAt(): string {
    return isoTime(this.now());
  }

  private update(r: Running, change: Partial<CodeReceiveInfo>): void {
    if (ENDED.has(r.info.state)) return;
    Object.assign(r.info, change);
    this.events.emit('changed', copy(r.info));
  }

  private note(r: Running, line: string): void {
    if (ENDED.has(r.info.state)) return;
    r.info.notes = [...r.info.notes, line].slice(-MAX_NOTES);
    r.info.noteCount++;
    this.events.emit('changed', copy(r.info));
  }

  /** Forgets the oldest ended receives beyond MAX_ENDED_RECEIVES. */
  private prune(): void {
    const ended = [...this.receives.values()].filter((r) => ENDED.has(r.info.state));
    for (const r of ended.slice(0, Math.max(0, ended.length - MAX_ENDED_RECEIVES)))
      this.receives.delete(r.info.id);
  }
}
