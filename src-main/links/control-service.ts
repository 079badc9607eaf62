/**
 * The `control` service: right after a link comes up each side opens one control stream whose OPEN
 * arguments are its hello — name, direct addresses, home relay and its pin — so a peer learns where to
 * dial us, directly or on our home relay, without any configuration (architecture.md §Links and paths,
 * architecture.md §Services, docs/relay-protocol.md §Home relays).
 */
import { z } from 'zod';
import { ClawError } from '../core/errors.js';
import { describeZodError } from '../core/zod-error.js';
import { madeOnUse } from '../core/made-on-use.js';
import { nodeNameSchema } from '../core/name-schema.js';
import { receivedNodeName } from '../core/names.js';
import { hasControlChars } from '../core/terminal-text.js';
import { FEATURE_EARLY_DATA } from '../mux/early-data.js';
import {
  FEATURE_INPUT_RESUME,
  FEATURE_PIPES,
  FEATURE_PTY_MODES,
  FEATURE_TERMINAL_TYPE,
} from '../protocol/terminal-frames.js';
import { FEATURE_SPLICE } from './relay-splice.js';
import { FEATURE_TRAVERSE, FEATURE_TRAVERSE_USE } from './traverse-protocol.js';
import type { RelaySetting } from '../state/settings.js';
import { AGENT_VERSION } from '../core/version.js';
import { isLaneToken } from '../transport/lane-token.js';
import { dialAddressListSchema } from '../core/host-port-schema.js';

export const CONTROL_SERVICE = 'control';

// Made on use (core/made-on-use.ts, ADR 0073): a hello comes when a link comes up, not all day.
const helloSchema = madeOnUse(() =>
  z.object({
    v: z.literal(1),
    /** Checked as it came, then in normal form: shown as what it is (core/names.ts receivedNodeName). */
    name: nodeNameSchema().transform((name) => receivedNodeName(name)),
    version: z.string().max(32),
    /**
     * Direct addresses to dial this node at, best first (empty with --no-direct): each HOST:PORT and
     * nothing else, or the hello is malformed (they are saved, dialed and shown).
     */
    addresses: dialAddressListSchema(),
    /** The relay peers dial on demand to reach this node (its first saved relay), or null. */
    homeRelay: z.string().max(300).nullable(),
    /**
     * The home relay's pinned certificate fingerprint, when this node pins one: peers pin exactly what
     * was announced, and an unpinned wss:// home relay must have a CA-valid certificate
     * (docs/relay-protocol.md §Home relays). Absent in hellos from older nodes.
     */
    homeRelayFingerprint: z
      .string()
      .regex(/^[0-9a-f]{64}$/, 'homeRelayFingerprint must be 64 lowercase hex characters')
      .optional(),
    /** What this node can do beyond version 1, e.g. `splice` (links/relay-splice.ts). Absent in older hellos. */
    features: z.array(z.string().max(32)).max(16).optional(),
    /**
     * On a direct link the peer dialed: a token to dial a quiet lane with (links/quiet-lanes.ts). Older
     * nodes neither send nor read it.
     */
    lane: z.string().refine(isLaneToken, 'lane must be 32 lowercase hex characters').optional(),
    /**
     * True: this node dials as a guest (a domain here says the other lets it in: a member's device
     * dialing a group's device), so where it is not let in (yet) its hello is no request to pair.
     * Older nodes neither send nor read it.
     */
    guest: z.literal(true).optional(),
  }),
);

export type Hello = z.infer<ReturnType<typeof helloSchema>>;

export function parseHello(args: unknown): Hello {
  const parsed = helloSchema().safeParse(args);
  if (!parsed.success) {
    throw new ClawError('PROTOCOL', `peer sent a malformed hello: ${describeZodError(parsed.error)}`);
  }
  return parsed.data;
}

/** A relay a peer announced as its home: where to dial it on demand, pinned to what it announced. */
export interface AnnouncedRelay {
  url: string;
  fingerprint?: string;
}

/**
 * The home relay a hello announces, or undefined when it names none or something that is not a ws:// or
 * wss:// URL (an older or odd peer: the rest of its hello still counts). A fingerprint is kept only
 * for wss://, the only scheme with a certificate to pin.
 */
export function announcedHomeRelay(hello: Hello): AnnouncedRelay | undefined {
  // Kept as it came, saved and shown (`status`): a URL with a control character in it is no URL here.
  if (hello.homeRelay === null || hasControlChars(hello.homeRelay)) return undefined;
  let url: URL;
  try {
    url = new URL(hello.homeRelay);
  } catch {
    return undefined;
  }
  if ((url.protocol !== 'ws:' && url.protocol !== 'wss:') || url.hostname === '') return undefined;
  const fingerprint = url.protocol === 'wss:' ? hello.homeRelayFingerprint : undefined;
  return { url: hello.homeRelay, ...(fingerprint ? { fingerprint } : {}) };
}

/**
 * This node's hello: where it listens, and its home relay (the first saved one, with its pin) so
 * peers reach it there on demand; `features` says what it can do beyond protocol version 1; `lane`
 * offers a quiet lane on this link; `guest` says it comes as a guest, not to pair.
 */
export function ownHello(
  name: string,
  addresses: string[],
  home: RelaySetting | undefined,
  lane?: string,
  guest = false,
): Hello {
  return {
    v: 1,
    name,
    version: AGENT_VERSION,
    addresses,
    homeRelay: home?.url ?? null,
    ...(home?.fingerprint ? { homeRelayFingerprint: home.fingerprint } : {}),
    features: [
      FEATURE_SPLICE,
      FEATURE_TERMINAL_TYPE,
      FEATURE_PTY_MODES,
      FEATURE_PIPES,
      FEATURE_EARLY_DATA,
      FEATURE_INPUT_RESUME,
      FEATURE_TRAVERSE,
      FEATURE_TRAVERSE_USE,
    ],
    ...(lane === undefined ? {} : { lane }),
    ...(guest ? { guest: true as const } : {}),
  };
}
