/**
 * How a control-socket client subscribes with options (ADR 0059): instead of the bare `"subscribe"`
 * line, a request `{"id":N,"method":"events.subscribe","params":{"messageStates":"batched"}}`, which the
 * agent answers `{"id":N,"ok":true,"result":{"messageStates":"batched"}}` (the form in effect). It is
 * the connection's, not the agent's, so it is no method of the contract: the transport takes it. An
 * older agent answers it with BAD_ARGUMENT (unknown method); a client that also writes `"subscribe"`
 * right after it gets the events either way (a second subscription of a connection changes nothing);
 * one that asks with several options also writes requests with fewer (subscribeLines, ADR 0122).
 * No zod here: the client library loads this. Which options there are, and the values each takes, the
 * domains say (ContractPiece.eventOptions: the messages domain's `messageStates`); the first value
 * of each is what a subscription that does not say gets.
 */
import type { EventOptions } from './contract.js';

/** The subscription options an agent takes, each with its values, the default first. */
export type EventOptionValues = ReadonlyMap<string, readonly string[]>;

/** The request's method name. */
export const EVENTS_SUBSCRIBE_METHOD = 'events.subscribe';

/** Longest line looked at as a subscribe request (a long one is a request for the agent: not scanned). */
const SUBSCRIBE_LINE_MAX = 4096;

/** What a transport makes of a line: not this request, a bad one (the reply says why), or its options. */
export type SubscribeRequest =
  | { kind: 'options'; id: number; options: EventOptions }
  | { kind: 'bad'; id: number | null; message: string };

/**
 * The `events.subscribe` request in `line`, or undefined when the line is something else (a request
 * for the agent). Cheap for every other line: it is parsed only when it names the method.
 */
export function subscribeRequestOf(line: string, known: EventOptionValues): SubscribeRequest | undefined {
  if (line.length > SUBSCRIBE_LINE_MAX || !line.includes(`"${EVENTS_SUBSCRIBE_METHOD}"`)) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    return undefined; // the request path says what is wrong with it
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
  const { id, method, params } = raw as { id?: unknown; method?: unknown; params?: unknown };
  if (method !== EVENTS_SUBSCRIBE_METHOD) return undefined;
  const goodId = typeof id === 'number' && Number.isSafeInteger(id) ? id : null;
  const problem = eventOptionsProblem(params, known);
  if (goodId === null) return { kind: 'bad', id: null, message: 'events.subscribe needs a numeric id' };
  if (problem) return { kind: 'bad', id: goodId, message: `events.subscribe: ${problem}` };
  return { kind: 'options', id: goodId, options: { ...(params as EventOptions | undefined) } };
}

/** Why `params` are not event options, or undefined. */
export function eventOptionsProblem(params: unknown, known: EventOptionValues): string | undefined {
  if (params === undefined) return undefined;
  if (typeof params !== 'object' || params === null || Array.isArray(params))
    return 'params must be an object';
  for (const [key, value] of Object.entries(params)) {
    const values = known.get(key);
    if (!values) return `unknown option '${key.slice(0, 40)}'`;
    if (!values.includes(value as string))
      return `${key} is one of ${values.map((m) => `'${m}'`).join(', ')}`;
  }
  return undefined;
}

/** The options a subscription has: those it gave, and each other's default. */
export function optionsInEffect(options: EventOptions, known: EventOptionValues): Record<string, string> {
  const given = options as Record<string, string | undefined>;
  return Object.fromEntries([...known].map(([key, values]) => [key, given[key] ?? values[0]!]));
}

/** The request line a client writes (with its newline). */
export function subscribeRequestLine(id: number, options: EventOptions): string {
  return `${JSON.stringify({ id, method: EVENTS_SUBSCRIBE_METHOD, params: options })}\n`;
}

/**
 * What a client writes to subscribe with `options` to an agent of any release, in one write: a
 * request with every option, then one without the last of them, and so on, then the bare
 * `"subscribe"` line. An agent refuses a request that names an option it does not know, so the first
 * request an agent takes is the one with as many of the options as it knows, in the order given; a
 * connection already subscribed lets the later ones go (ADR 0122). `nextId` gives each request's ID.
 */
export function subscribeLines(nextId: () => number, options: EventOptions | undefined): string {
  const entries = Object.entries(options ?? {}).filter(([, value]) => value !== undefined);
  let lines = '';
  for (let n = entries.length; n > 0; n--) {
    lines += subscribeRequestLine(nextId(), Object.fromEntries(entries.slice(0, n)));
  }
  return `${lines}"subscribe"\n`;
}
