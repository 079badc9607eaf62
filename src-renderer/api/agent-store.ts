/**
 * A store the window reads, typed from the contract: what `load` reads with the client's `call` on
 * (re)connecting, then kept live by the agent's events named in `events`, each a pure function of the
 * state held and the event's data (its type the contract's `ApiEvents` entry). Views read it with
 * `useSyncExternalStore` (hooks.ts `useStore`) and never fetch on mount, so N views cost one read and
 * one subscription per event kind (docs/architecture.md §The desktop app and the window, ADR 0120).
 *
 * A read asked for while one runs runs once after it. A merge that lands while a read runs (an
 * event followed with `when`, or a change given to `update`) is applied again to that read's answer,
 * which may predate it: a read of several requests (pages, two methods) can miss what came between
 * them. What carries a whole part as of its sending (an event followed with `whole`, an answer given
 * to `replace`) is not: the transport keeps order, so a read's answer that comes after it is as new.
 * An agent that does not know a method `load` calls (an older release) makes the store
 * `unsupported`; any other failure `error`, with a line that says what could not be read.
 *
 * No React and no DOM here, so it runs under node:test with a FakeTransport.
 */
import { inBackground } from '../../src-main/core/background.js';
import { messageOf, type ApiClient, type EventData, type EventName } from './client.js';
import { ApiError, Listeners, type Disposer } from './transport.js';

/** `loading` until the first read answered; `unsupported`: the agent lacks the methods (older release). */
export type LoadPhase = 'loading' | 'ready' | 'unsupported' | 'error';

export interface LoadState {
  phase: LoadPhase;
  /** Why the last read failed (`Could not read the messages: …`); null once one succeeds. */
  error: string | null;
}

/** What a view reads: the store's state and how its reading stands. */
export type Loaded<S> = S & LoadState;

/** A change of the state held: pure, so it can be applied again to a newer read's answer. */
export type Change<S> = (held: S) => S;

/** Whether a change is a merge, applied again to the answer of a read running now (agentStore). */
type Kept = 'merge' | 'whole';

/** An event the store follows and what it makes of the state held: made by `when` or `whole`. */
export interface EventChange<S> {
  readonly event: EventName;
  follow(client: ApiClient, apply: (change: Change<S>, kept: Kept) => void): Disposer;
}

/**
 * `event`'s data, typed by the contract, merged into the state held by `change`: one that gives the
 * same state whether the event came before or after what a read answered (a transfer's later state
 * wins, a message read stays read).
 */
export function when<S, E extends EventName>(
  event: E,
  change: (held: S, data: EventData<E>) => S,
): EventChange<S> {
  return following(event, change, 'merge');
}

/** `event`'s data is the whole of a part as the agent sent it (`groups.changed`): it replaces the part. */
export function whole<S, E extends EventName>(
  event: E,
  change: (held: S, data: EventData<E>) => S,
): EventChange<S> {
  return following(event, change, 'whole');
}

function following<S, E extends EventName>(
  event: E,
  change: (held: S, data: EventData<E>) => S,
  kept: Kept,
): EventChange<S> {
  return {
    event,
    follow: (client, apply) =>
      client.on(event, (data) => {
        try {
          apply((s) => change(s, data), kept);
        } catch (err) {
          // Data the change cannot take (not the contract's shape): the state held stays, and the
          // transport goes on to the event's other listeners.
          console.warn(`the window could not take a ${event} event: ${messageOf(err)}`);
        }
      }),
  };
}

export interface AgentStoreSpec<S extends object> {
  /** The state before the first read answers. */
  initial: S;
  /** Reads the state (on connecting, and on `refresh`); `held` is what the store holds now. */
  load: (call: ApiClient['call'], held: S) => Promise<S>;
  /** The events that keep it live, one `when` each. */
  events?: readonly EventChange<S>[];
  /** What a failed read could not read, for its error line: `the messages`. */
  what: string;
}

export interface LiveStore<S extends object> {
  /** For useSyncExternalStore: the same object until something changed. */
  get(): Loaded<S>;
  subscribe(listener: () => void): Disposer;
  /** Reads again; resolves once the state holds the answer (or the failure). */
  refresh(): Promise<void>;
  /** Applies a merge made here (an action's answer), and again to the answer of a read running now. */
  update(change: Change<S>): void;
  /** Applies what a newer answer replaces (a part read again): not to a read running now. */
  replace(change: Change<S>): void;
  dispose(): void;
}

/** Whether `err` is an agent's refusal of a method it does not know (an older release). */
export function isUnknownMethod(err: unknown): boolean {
  return err instanceof ApiError && /unknown method/.test(err.message);
}

export function agentStore<S extends object>(client: ApiClient, spec: AgentStoreSpec<S>): LiveStore<S> {
  let held: S = spec.initial;
  let load: LoadState = { phase: 'loading', error: null };
  let snapshot: Loaded<S> = { ...held, ...load };
  const listeners = new Listeners<[]>();
  /** The merges made while the read running now was out, in order; null while none runs. */
  let during: Change<S>[] | null = null;
  let running: Promise<void> | null = null;
  let again = false;
  const call: ApiClient['call'] = (method, params) => client.call(method, params);

  const publish = () => {
    snapshot = { ...held, ...load };
    listeners.emit();
  };

  const apply = (change: Change<S>, kept: Kept) => {
    held = change(held);
    if (kept === 'merge') during?.push(change);
    publish();
  };

  const readOnce = async () => {
    const changes: Change<S>[] = [];
    during = changes;
    try {
      let answer: S = await spec.load(call, held);
      for (const change of changes) answer = change(answer);
      held = answer;
      load = { phase: 'ready', error: null };
    } catch (err) {
      load = isUnknownMethod(err)
        ? { phase: 'unsupported', error: null }
        : { phase: 'error', error: `Could not read ${spec.what}: ${messageOf(err)}` };
    } finally {
      during = null;
    }
    publish();
  };

  const refresh = (): Promise<void> => {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        await readOnce();
      } while (again);
    })().finally(() => (running = null));
    return running;
  };

  const read = () => inBackground(refresh(), console, `reading ${spec.what}`);
  const disposers: Disposer[] = [
    client.transport.onState((state) => {
      if (state.kind === 'connected') read();
    }),
  ];
  for (const e of spec.events ?? []) disposers.push(e.follow(client, apply));
  if (client.transport.state.kind === 'connected') read();

  return {
    get: () => snapshot,
    subscribe: (listener) => listeners.add(listener),
    refresh,
    update: (change) => apply(change, 'merge'),
    replace: (change) => apply(change, 'whole'),
    dispose: () => {
      for (const d of disposers.splice(0)) d();
      listeners.clear();
    },
  };
}
