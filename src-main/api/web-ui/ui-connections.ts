/**
 * The web UI server's TCP connections, each in one state, and which of them makes room at a cap
 * (docs/security.md "Listener limits"). The general connection cap (core/connection-cap.ts) knows two
 * kinds, protected or not; the UI server needs to tell apart what an unproven connection is doing,
 * because treating them alike let another local user's churn of WebSockets without the token end the
 * owner's page mid-bundle (`ERR_CONTENT_LENGTH_MISMATCH`, a blank page):
 *
 * - `idle`: accepted, its next request's headers not yet in (a fresh connection, a half-sent request, a
 *   kept-alive connection between requests). Worth nothing yet: made room with, oldest first.
 * - `serving`: a plain HTTP request is being answered (the page, a bundle). Never ended to make room
 *   while its answer is under way, for up to `shieldMs` (a browser on loopback takes milliseconds; the
 *   bound keeps a client that never reads from holding its shield), and only after every `waiting` and
 *   `idle` one beyond that.
 * - `waiting`: upgraded to a WebSocket that has not presented the token. The first to go at the total
 *   cap; ws-session.ts also caps them on their own (MAX_UNAUTHENTICATED_UI_SOCKETS), and they are not
 *   counted per source, so a churn of them never competes with the requests for the page's files.
 * - `authenticated`: a WebSocket that presented the token. Never ended to make room; MAX_UI_SOCKETS
 *   bounds them.
 *
 * Every state counts in `total`, which is what bounds file descriptors. `idle` and `serving` also count
 * for their source (see `source` in admit): one remote address only ever makes room among its own.
 */

export type UiConnectionState = 'idle' | 'serving' | 'waiting' | 'authenticated';

export interface UiConnectionsOptions<T> {
  /** Connections at once, in every state. */
  total: number;
  /** `idle` and `serving` connections at once from one source. */
  perSource: number;
  /** How long a `serving` connection is shielded from being ended to make room, in ms. */
  shieldMs: number;
  /** Ends a connection chosen to make room (it is uncounted before this is called). */
  end: (conn: T) => void;
  /** Clock in ms (tests); performance.now() otherwise. */
  now?: () => number;
}

interface Entry {
  state: UiConnectionState;
  /** Undefined: counted in the total only (see admit). */
  source: string | undefined;
  /** When it entered its state, in ms (for `serving`: when the request's headers were in). */
  since: number;
  /** Requests read and not yet answered (more than one when a client pipelines them). */
  answering: number;
}

export class UiConnections<T> {
  private readonly entries = new Map<T, Entry>();
  /** Connections by state, each Set in the order they entered that state (oldest first). */
  private readonly byState: Record<UiConnectionState, Set<T>> = {
    idle: new Set(),
    serving: new Set(),
    waiting: new Set(),
    authenticated: new Set(),
  };
  /** `idle` and `serving` connections by source, oldest accepted first. */
  private readonly bySource = new Map<string, Set<T>>();
  private readonly now: () => number;

  constructor(private readonly opts: UiConnectionsOptions<T>) {
    this.now = opts.now ?? (() => performance.now());
  }

  /** Connections counted now, in every state. */
  get size(): number {
    return this.entries.size;
  }

  /** How many connections are in `state` now. */
  count(state: UiConnectionState): number {
    return this.byState[state].size;
  }

  /** The state of `conn`, or undefined when it is not counted. */
  stateOf(conn: T): UiConnectionState | undefined {
    return this.entries.get(conn)?.state;
  }

  /**
   * Counts a new connection as `idle`. `source` is the key its per-source count is kept under, or
   * undefined when its source says nothing about who it is (on loopback every local user can pick any
   * 127.x.y.z, and the owner's browser shares 127.0.0.1 with everyone else's): then only the total holds
   * it. False when no room can be made: the caller ends it at once.
   */
  admit(conn: T, source: string | undefined): boolean {
    if (source !== undefined) {
      const mine = this.bySource.get(source);
      if (mine && mine.size >= this.opts.perSource && !this.makeRoom(this.sourceCandidates(mine))) {
        return false;
      }
    }
    if (this.entries.size >= this.opts.total && !this.makeRoom(this.totalCandidates())) return false;
    this.entries.set(conn, { state: 'idle', source, since: this.now(), answering: 0 });
    this.byState.idle.add(conn);
    if (source !== undefined) {
      const set = this.bySource.get(source) ?? new Set<T>();
      set.add(conn);
      this.bySource.set(source, set);
    }
    return true;
  }

  /** A plain request's headers are in: its answer is shielded (see the module comment). */
  serving(conn: T): void {
    const entry = this.entries.get(conn);
    // A WebSocket's connection carries no more plain requests.
    if (entry?.state !== 'idle' && entry?.state !== 'serving') return;
    entry.answering++;
    this.move(conn, 'serving');
  }

  /** One answer is sent; once all are, the connection waits for its next request. */
  answered(conn: T): void {
    const entry = this.entries.get(conn);
    if (entry?.state !== 'serving') return;
    entry.answering = Math.max(0, entry.answering - 1);
    if (entry.answering === 0) this.move(conn, 'idle');
  }

  /** Upgraded to a WebSocket (or being refused one): worth nothing until it presents the token. */
  waiting(conn: T): void {
    this.move(conn, 'waiting');
  }

  /** Presented the token: never ended to make room. */
  authenticated(conn: T): void {
    this.move(conn, 'authenticated');
  }

  /** `conn` closed (again, or never counted: nothing happens). */
  release(conn: T): void {
    const entry = this.entries.get(conn);
    if (!entry) return;
    this.entries.delete(conn);
    this.byState[entry.state].delete(conn);
    this.leaveSource(conn, entry);
  }

  private move(conn: T, state: UiConnectionState): void {
    const entry = this.entries.get(conn);
    // An authenticated socket stays so (a late event of its upgrade must not demote it).
    if (!entry || entry.state === state || entry.state === 'authenticated') return;
    this.byState[entry.state].delete(conn);
    this.byState[state].add(conn);
    if (state === 'waiting' || state === 'authenticated') this.leaveSource(conn, entry);
    entry.state = state;
    entry.since = this.now();
  }

  /** A serving connection whose shield has run out (the oldest serving one is the first to). */
  private *unshielded(candidates: Iterable<T>): Generator<T> {
    const limit = this.now() - this.opts.shieldMs;
    for (const conn of candidates) {
      const entry = this.entries.get(conn)!;
      if (entry.state === 'serving' && entry.since <= limit) yield conn;
    }
  }

  /** At the total: waiting, then idle, then serving past its shield; oldest first in each. */
  private *totalCandidates(): Generator<T> {
    yield* this.byState.waiting;
    yield* this.byState.idle;
    // byState.serving is in shield order: stop at the first still shielded.
    const limit = this.now() - this.opts.shieldMs;
    for (const conn of this.byState.serving) {
      if (this.entries.get(conn)!.since > limit) return;
      yield conn;
    }
  }

  /** At a source's cap: its idle ones, then its serving ones past their shield; oldest first. */
  private *sourceCandidates(mine: Set<T>): Generator<T> {
    for (const conn of mine) if (this.entries.get(conn)!.state === 'idle') yield conn;
    yield* this.unshielded(mine);
  }

  /** Ends the first of `candidates`; true if room was made. */
  private makeRoom(candidates: Iterable<T>): boolean {
    for (const victim of candidates) {
      this.release(victim);
      this.opts.end(victim);
      return true;
    }
    return false;
  }

  private leaveSource(conn: T, entry: Entry): void {
    if (entry.source === undefined) return;
    const set = this.bySource.get(entry.source);
    set?.delete(conn);
    if (set?.size === 0) this.bySource.delete(entry.source);
    entry.source = undefined;
  }
}
