/**
 * A terminal client and a terminal server over in-memory links and real muxes, with a link that can be
 * broken and replaced (a lost path), and a viewer that records output and may stop consuming it.
 */
import { pino } from 'pino';
import { ServiceRegistry } from '../../../src-main/services/services.js';
import { ClawError, isClawError } from '../../../src-main/core/errors.js';
import { Mux } from '../../../src-main/mux/mux.js';
import {
  FEATURE_INPUT_RESUME,
  TERMINAL_SERVICE,
  type ExitStatus,
} from '../../../src-main/protocol/terminal-frames.js';
import { SessionRegistry } from '../../../src-main/terminal/sessions/session-registry.js';
import { serveTerminal } from '../../../src-main/terminal/terminal-service.js';
import { TerminalClient, type TerminalStreamOpener } from '../../../src-main/terminal/terminal-client.js';
import { argsForPeer } from '../../../src-main/terminal/viewer-bridge.js';
import { createLinkPair, type MemoryLink } from '../../helpers/link-pair.js';
import { until } from '../../helpers/wait.js';

export const PEER_A = 'a'.repeat(64);

export interface PathOptions {
  /** Milliseconds of silence after which each side declares the link dead. */
  clientDeadAfterMs?: number;
  serverDeadAfterMs?: number;
}

export class TerminalHarness {
  readonly sessions: SessionRegistry;
  link: { a: MemoryLink; b: MemoryLink } | undefined;
  clientMux: Mux | undefined;
  serverMux: Mux | undefined;
  readonly opener: TerminalStreamOpener;
  /** The serving node's registry, with the real `terminal` service (services/services.ts). */
  private readonly services = new ServiceRegistry();

  /**
   * @param opts.inputResume false: the client is told, as by an older peer, that the peer does not
   *   count input, and its resumes do not ask for the count.
   */
  constructor(opts: { resumeMs?: number; replayBytes?: number; peer?: string; inputResume?: boolean } = {}) {
    this.sessions = new SessionRegistry({
      log: pino({ level: 'silent' }),
      resumeMs: () => opts.resumeMs ?? 5_000,
      ...(opts.replayBytes ? { replayBytes: opts.replayBytes } : {}),
    });
    const peer = opts.peer ?? PEER_A;
    const inputResume = opts.inputResume ?? true;
    this.opener = {
      peerName: 'b',
      open: async (args) => {
        const mux = this.clientMux;
        if (!mux || mux.closed) throw new ClawError('PEER_OFFLINE', 'peer b is offline');
        try {
          // A resume asks for the input count only of a peer that says it keeps one.
          const sent = 'resume' in args ? argsForPeer(args, inputResume ? [FEATURE_INPUT_RESUME] : []) : args;
          const stream = await mux.open(TERMINAL_SERVICE, sent);
          return { stream, path: 'direct', remote: 'memory', inputResume };
        } catch (err) {
          if (!isClawError(err, 'STREAM_REJECTED')) throw err;
          throw new ClawError(
            'STREAM_REJECTED',
            err.message.replace(/^peer refused the "terminal" stream: /, ''),
            // As the agent's opener does: the client decides by the refusal code, not the text.
            err.refusal ? { refusal: err.refusal } : undefined,
          );
        }
      },
      whenReachable: async (maxMs) => {
        await until('a link', () => this.clientMux && !this.clientMux.closed, maxMs).catch(() => undefined);
      },
    };
    this.services.register(TERMINAL_SERVICE, {
      permission: null,
      noun: 'terminals',
      admits: 'session',
      kind: 'terminal-served',
      handle: (req, served) => serveTerminal('b', this.sessions, req, served),
    });
    this.connect({}, peer);
  }

  /** A new path: fresh link pair and muxes (the old ones stay as they are). */
  connect(opts: PathOptions = {}, peer = PEER_A): void {
    this.link = createLinkPair();
    this.clientMux = new Mux(this.link.a, { deadAfterMs: opts.clientDeadAfterMs ?? 60_000, heartbeatMs: 50 });
    this.serverMux = new Mux(this.link.b, {
      deadAfterMs: opts.serverDeadAfterMs ?? 60_000,
      heartbeatMs: 50,
      onStream: (req) => this.services.dispatch('b', { fingerprint: peer, name: 'a', allow: [] }, req),
    });
  }

  /** The path breaks: both sides see the link close at once. */
  breakLink(): void {
    this.link?.a.fail(new ClawError('LINK_CLOSED', 'test: the link broke'));
  }

  client(resumeMs = 5_000): TerminalClient {
    return new TerminalClient(this.opener, { resumeMs });
  }

  close(): void {
    this.sessions.closeAll('test over');
    this.clientMux?.close('test over');
    this.serverMux?.close('test over');
  }
}

/** Records what a client hands to its viewer; consumes it at once unless `hold` is set. */
export class Viewer {
  readonly chunks: Buffer[] = [];
  /** What came as stderr (a session on pipes); also in `chunks`, in order. */
  readonly stderrChunks: Buffer[] = [];
  readonly statuses: string[] = [];
  /** Each status's detail (the reason for `reconnecting`), in order. */
  readonly details: string[] = [];
  exit: ExitStatus | undefined;
  failure: Error | undefined;
  bytes = 0;
  hold = false;
  private unconsumed = 0;

  constructor(private readonly client: TerminalClient) {
    client.on('data', (c, channel) => {
      const copy = Buffer.from(c);
      this.chunks.push(copy);
      if (channel === 'stderr') this.stderrChunks.push(copy);
      this.bytes += c.length;
      if (this.hold) this.unconsumed += c.length;
      else client.consumed(c.length);
    });
    client.on('status', (state, detail) => {
      this.statuses.push(state);
      this.details.push(detail);
    });
    client.on('exit', (s) => (this.exit = s));
    client.on('failed', (e) => (this.failure = e));
  }

  get text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }

  /** What came on stdout only. */
  get stdout(): Buffer {
    const err = new Set(this.stderrChunks);
    return Buffer.concat(this.chunks.filter((c) => !err.has(c)));
  }

  get stderr(): string {
    return Buffer.concat(this.stderrChunks).toString('utf8');
  }

  get done(): boolean {
    return this.exit !== undefined || this.failure !== undefined;
  }

  /** Stops holding output back and acknowledges everything received so far. */
  release(): void {
    this.hold = false;
    this.client.consumed(this.unconsumed);
    this.unconsumed = 0;
  }
}
