/**
 * What the node keeps (settings, peers, blocked nodes, relays) and the sections its domains bring
 * (settings-sections.ts, ADR 0093): the schema every read and write is checked against, and the types
 * the rest of the agent uses. The file itself is read and written by settings-file.ts, and only the
 * node-state store (node-state.ts) writes it.
 */
import { DEFAULT_RELAY_LISTEN } from '../core/relay-url.js';
import type { KnownFields } from './settings-extras.js';
import { z } from 'zod';
import { madeOnUse } from '../core/made-on-use.js';
import type { DeepReadonly } from '../core/deep-readonly.js';
import { nodeNameSchema } from '../core/name-schema.js';
import { MAX_FORWARD_TO_PATTERN_CHARS, MAX_FORWARD_TO_PATTERNS } from '../core/forward-limits.js';
import { dialAddressProblem, parseHostPort } from '../core/host-port.js';
import { MAX_TOKEN_BYTES } from '../protocol/relay-frames.js';
import { PERMISSION_WORD, type Permission, type PermissionVocabulary } from '../core/permissions.js';
import { MAX_ROUTE_HOPS } from '../core/routes.js';
import { MAX_PEER_ADDRESSES, type KnownAddress } from './address-book.js';
import { ADDRESS_SOURCES } from '../core/address-source.js';
import { MAX_MEMBER_RECORDS, memberRecord } from '../protocol/member-records.js';
import type { DomainSettings } from '../api/contract-piece.js';
import type { Vocabulary } from '../api/vocabulary.js';
import { listSections } from './settings-sections.js';

/** Default direct listener: all interfaces, a fixed port so a firewall rule can name it. */
export const DEFAULT_DIRECT_LISTEN = '0.0.0.0:7475';

/** Default web UI address: loopback only, a fixed port so its link stays the same (docs/web-ui.md). */
export const DEFAULT_UI_LISTEN = '127.0.0.1:7476';

/**
 * The schemas of the settings file, made when the file is read or changed and let go of after
 * (core/made-on-use.ts, ADR 0073): ~280 zod schema instances an idle agent does not need. With the
 * words and sections of `vocabulary` (api/vocabulary.ts): the composition's, handed to the file.
 */
function makeSettingsSchemas({ sections, permissions }: Vocabulary) {
  const defaultAllow = (): Permission[] => [...permissions.byDefault];
  const lists = listSections(sections);
  const sectionEntries = new Map(lists.map(([key, section]) => [key, section.entry(z)]));
  const sectionShape = Object.fromEntries(
    [...sections].map(([key, section]) => [
      key,
      'entry' in section ? z.array(sectionEntries.get(key)!).max(section.max).default([]) : section.option(z),
    ]),
  );
  const relaySchema = z.object({
    // Checked as the relay client checks it, so a bad one names the file and the field at start.
    url: z.string().refine((url) => {
      try {
        const u = new URL(url);
        return (u.protocol === 'ws:' || u.protocol === 'wss:') && u.hostname !== '';
      } catch {
        return false;
      }
    }, 'relay URL must be ws://HOST:PORT or wss://HOST:PORT'),
    fingerprint: z
      .string()
      .regex(/^[0-9a-f]{64}$/)
      .optional(),
    token: z
      .string()
      .refine((t) => Buffer.byteLength(t) <= MAX_TOKEN_BYTES, `must be at most ${MAX_TOKEN_BYTES} bytes`)
      .optional(),
  });

  const fingerprintSchema = z.string().regex(/^[0-9a-f]{64}$/);

  /**
   * A date and time as the agent writes them (ISO 8601). Checked when the file is read: a pending
   * request with an unreadable date would otherwise count as expired and vanish without a word.
   */
  const timestampSchema = z
    .string()
    .refine((t) => !Number.isNaN(Date.parse(t)), 'must be a date and time such as 2026-11-23T09:41:00Z');

  const knownAddressSchema = z.object({
    address: z.string().min(1).max(300),
    from: z.array(z.enum(ADDRESS_SOURCES)).min(1).max(ADDRESS_SOURCES.length),
    lastWorked: timestampSchema.optional(),
  });

  const peerSchema = z.object({
    fingerprint: fingerprintSchema,
    name: nodeNameSchema(),
    allow: z.array(permissionWord()).default(defaultAllow),
    /** The peer's certificate (base64 DER) when we have seen it: stored at approval. */
    cert: z.string().max(12_000).optional(),
    /**
     * Where the peer can be dialed directly, each with where it came from and when it last worked
     * (address-book.ts). Files from before this release hold plain strings: they were the user's hint and
     * what the peer announced, told apart nowhere, so they read as announced ones.
     */
    addresses: z
      .array(z.union([z.string().max(300), knownAddressSchema]))
      .max(MAX_PEER_ADDRESSES)
      .default([])
      .transform((list) =>
        list
          .map((a): KnownAddress => (typeof a === 'string' ? { address: a, from: ['hello'] } : a))
          // What an older release saved from a hello without checking it (an escape sequence, say) is
          // no address: dropped, as a hello naming it now is refused (core/host-port-schema.ts).
          .filter((a) => dialAddressProblem(a.address) === undefined),
      ),
    addedAt: timestampSchema,
    /**
     * Where this peer's forwards may go from here: `HOST:PORT` patterns with `*` wildcards (see
     * forwards/destination-policy.ts). Absent = anywhere.
     */
    forwardTo: z.array(z.string().max(MAX_FORWARD_TO_PATTERN_CHARS)).max(MAX_FORWARD_TO_PATTERNS).optional(),
    /**
     * Where this peer's reverse forwards may listen on this node (permission `listen`): `HOST:PORT`
     * patterns as forwardTo's, matched against the address to bind. Absent = any port on loopback (other
     * addresses need allowRemoteReverseListen too).
     */
    listenOn: z.array(z.string().max(MAX_FORWARD_TO_PATTERN_CHARS)).max(MAX_FORWARD_TO_PATTERNS).optional(),
    /**
     * The peer's home relay: what its hello announced, or the relay its invite named. Dialed on demand
     * when this node shares no relay with the peer (relay-set.ts; docs/relay-protocol.md §Home relays).
     */
    homeRelay: relaySchema.optional(),
    /**
     * Reach this peer only through these peers, in order (fingerprints; docs/adr/0017-multi-hop-routes.md).
     * Checked in full (known peers, no loop) when set: node-state.ts setRoute.
     */
    route: z.array(fingerprintSchema).min(1).max(MAX_ROUTE_HOPS).optional(),
    /**
     * One of the owner's devices (ADR 0056): it and this node introduce each other to the
     * owner's other devices, and a removal here removes it on all of them. Counts only when the peer
     * marks this node too (pairing/introductions.ts). Absent: no.
     */
    mine: z.boolean().optional(),
    /** The device whose owner's decision made this a peer here (a membership introduction), if one did. */
    introducedBy: fingerprintSchema.optional(),
  });

  const pendingSchema = z.object({
    id: z.string().regex(/^[a-z0-9]{1,16}$/),
    fingerprint: fingerprintSchema,
    name: nodeNameSchema(),
    /** `code`: the node proved knowledge of a pairing code (PAKE); `fingerprint`: it only knew ours. */
    via: z.enum(['code', 'fingerprint']),
    address: z.string().max(300),
    cert: z.string().max(12_000).optional(),
    addresses: z
      .array(z.string().max(300))
      .max(32)
      .default([])
      .transform((list) => list.filter((a) => dialAddressProblem(a) === undefined)),
    firstSeen: timestampSchema,
    lastSeen: timestampSchema,
    /**
     * It joined with a code made as one of the owner's devices (`pair new --mine`, ADR 0056): approving
     * it marks it so unless the approval says otherwise. Absent: no.
     */
    mine: z.literal(true).optional(),
  });

  /** A `HOST:PORT` to listen on, checked when the file is read so a bad one names the file and the key. */
  const listenAddress = z.string().superRefine((value, ctx) => {
    try {
      parseHostPort(value);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message });
    }
  });

  const blockedSchema = z.object({
    fingerprint: fingerprintSchema,
    at: timestampSchema,
    /**
     * Blocked because a signed removal from the owner's devices said so (ADR 0056): a newer
     * introduction of it (the owner paired it again on another device) may bring it back. Absent: the
     * owner removed or rejected it here, and only pairing it here again does.
     */
    byRemoval: z.literal(true).optional(),
  });

  const uiSchema = z.object({
    listen: listenAddress.nullable().default(DEFAULT_UI_LISTEN),
    allowRemote: z.boolean().default(false),
  });

  const nodeFields = {
    name: nodeNameSchema().optional(),
    relays: z.array(relaySchema).default([]),
    /** `HOST:PORT` of the direct listener, or null for --no-direct. */
    listen: listenAddress.nullable().default(DEFAULT_DIRECT_LISTEN),
    /** Also serve the relay for peers allowed `relay` (own-relay.ts), listening on relayListen. */
    actAsRelay: z.boolean().default(false),
    relayListen: listenAddress.default(DEFAULT_RELAY_LISTEN),
    /**
     * Whether that relay serves the browser-node page at its root (ADR 0094): absent means yes; written
     * only once `--[no-]relay-page` was given, so files from before it read and save as they were.
     */
    relayPage: z.boolean().optional(),
    /** Announce and discover nodes on the LAN (mDNS) when the listener is reachable from it. */
    lan: z.boolean().default(true),
    /**
     * Ask the LAN's router (UPnP IGD, NAT-PMP) to map the direct listener's port, so peers behind other
     * NATs can dial it (docs/security.md §Port mapping). Off: nothing is ever sent to the router.
     */
    portMapping: z.boolean().default(true),
    peers: z.array(peerSchema).default([]),
    /**
     * Pending requests as releases before ADR 0080 kept them here. Read only: start moves them to
     * pending.json (state/pending-file.ts; node-state.ts moveLegacyPending) and drops them from this
     * file; nothing writes them here any more, so a knock never writes the owner's file.
     */
    pending: z.array(pendingSchema).optional(),
    /**
     * Nodes removed or rejected by the owner: they are refused without becoming pending again, until they
     * pair by code (which proves the owner handed them a fresh code).
     */
    blocked: z.array(blockedSchema).max(1024).default([]),
    /**
     * The web UI (docs/web-ui.md): `HOST:PORT` it is served on (a free port when that one is taken), or
     * null for --no-ui; an address other machines can reach only with allowRemote (--allow-remote-ui).
     */
    ui: uiSchema.default({ listen: DEFAULT_UI_LISTEN, allowRemote: false }),
    /** Desktop notifications (a device asks to pair, pairing done, a forward cannot listen). */
    notifications: z.boolean().default(true),
    /**
     * Peers allowed `listen` may have this node listen on addresses other machines can reach (not
     * only loopback) for their reverse forwards: the owner's explicit consent, off by default.
     */
    allowRemoteReverseListen: z.boolean().default(false),
    /**
     * The permissions the release that wrote this file knew. A permission added since is granted on
     * upgrade as its decision says (upgradeSettings), once: after that the owner's choice stands.
     */
    knownPermissions: z
      .array(z.string().max(32))
      .max(32)
      .default(() => [...permissions.words]),
    /**
     * What a device introduced by another of the owner's devices may do here (ADR 0056): the same as
     * a peer approved with the defaults, as the owner decided it once for all their machines.
     */
    mineAllow: z.array(permissionWord()).default(defaultAllow),
    /**
     * Signed membership records as releases before ADR 0065 kept them here. Read only: start moves
     * them to members.json (state/member-log.ts moveLegacyMembers) and drops them from this
     * file; nothing writes them here any more.
     */
    members: z.array(memberRecord()).max(MAX_MEMBER_RECORDS).optional(),
  };
  for (const key of sections.keys()) {
    if (Object.hasOwn(nodeFields, key))
      throw new Error(`a domain brings the settings' ${key}, the node's own`);
  }
  // The domains' sections (ADR 0093) after the node's lists, where the forwards' list has always been
  // written: a file saved now reads as one an older release saved.
  const fields = Object.entries(nodeFields);
  const at = fields.findIndex(([key]) => key === 'blocked') + 1;
  const settingsSchema = z
    .object({
      ...(Object.fromEntries(fields.slice(0, at)) as Partial<typeof nodeFields>),
      ...sectionShape,
      ...(Object.fromEntries(fields.slice(at)) as Partial<typeof nodeFields>),
    } as unknown as typeof nodeFields & SectionShape)
    .superRefine((s, ctx) => {
      // Peers are found by name and fingerprint, a section's entries by their key: a second one under
      // the same key could not be reached, removed or stopped. The agent never writes one; a hand edit can.
      const repeated = (path: string, keys: string[]) => {
        const seen = new Set<string>();
        for (const [i, key] of keys.entries()) {
          if (seen.has(key))
            ctx.addIssue({ code: 'custom', path: [path, i], message: `'${key}' appears twice` });
          seen.add(key);
        }
      };
      repeated(
        'peers',
        s.peers.map((p) => p.name),
      );
      repeated(
        'peers',
        s.peers.map((p) => p.fingerprint),
      );
      const values = s as unknown as Record<string, readonly Record<string, unknown>[]>;
      for (const [key, section] of lists)
        repeated(
          key,
          values[key]!.map((entry) => String(entry[section.key])),
        );
    });
  return {
    settingsSchema,
    peerSchema,
    pendingSchema,
    blockedSchema,
    relaySchema,
    uiSchema,
    sectionEntries,
  };
}

/** Each vocabulary's schemas, made on use: a cache, which changes nothing any schema reads. */
const made = new WeakMap<Vocabulary, () => SettingsSchemas>();

/**
 * The settings schemas with the words and sections of `vocabulary` (api/vocabulary.ts: its
 * composition's; NODE_VOCABULARY for the node's own fields alone): made on use (see
 * makeSettingsSchemas).
 */
export function settingsSchemas(vocabulary: Vocabulary): SettingsSchemas {
  let schemas = made.get(vocabulary);
  if (!schemas) {
    schemas = madeOnUse(() => makeSettingsSchemas(vocabulary));
    made.set(vocabulary, schemas);
  }
  return schemas();
}

export type { Permission };

/**
 * A permission word in a peer's `allow` (or `mineAllow`): any word of its form, not only those the
 * domains of this release bring. A word no domain brings (a newer release's, or one whose domain is
 * not in this build) is kept as it is and grants nothing, since only its domain's services check it;
 * the agent says so once at start (docs/adr/0085-domains-as-plug-ins.md).
 */
function permissionWord() {
  return z.custom<Permission>(
    (w) => typeof w === 'string' && PERMISSION_WORD.test(w),
    'a permission is a lowercase word (letters, digits, -)',
  );
}

/**
 * What the node keeps, read-only all the way down: only the node-state store (node-state.ts) changes
 * it, by building the next value and saving it through a named write that announces the change. The
 * settings file hands out what it holds frozen (settings-file.ts), so a write that gets past the
 * compiler throws rather than changing what every reader shares.
 */
export type Settings = DeepReadonly<z.infer<SettingsSchemas['settingsSchema']>>;

/**
 * The schemas of the domains' sections, as their types say (`DomainSettings`): a list of entries, or
 * one value.
 */
type SectionShape = {
  [K in keyof DomainSettings]: DomainSettings[K] extends { entry: infer E }
    ? z.ZodDefault<z.ZodArray<z.ZodType<E>>>
    : DomainSettings[K] extends { option: infer T }
      ? z.ZodDefault<z.ZodType<T>>
      : never;
};

type SettingsSchemas = ReturnType<typeof makeSettingsSchemas>;

/**
 * Settings as an older release wrote them, brought up to this one before they are read (the file is
 * rewritten with the next save): a permission added since the file was written is granted as its
 * domain decided (PermissionWord.grantedWith) — the messages domain's `message` to every peer allowed
 * `terminal` (ADR 0046: it adds nothing `terminal` did not allow). Anything that is not an object of
 * settings is left for the schema to refuse.
 */
export function upgradeSettings(raw: unknown, vocabulary: PermissionVocabulary): unknown {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return raw;
  const file = raw as Record<string, unknown>;
  const known = Array.isArray(file.knownPermissions) ? (file.knownPermissions as unknown[]) : [];
  const added = vocabulary.words.flatMap((word) => {
    const withWord = vocabulary.about.get(word)?.grantedWith;
    return withWord !== undefined && !known.includes(word) ? [{ word, withWord }] : [];
  });
  if (added.length === 0) return raw;
  const peers = Array.isArray(file.peers)
    ? file.peers.map((p: unknown) => {
        if (p === null || typeof p !== 'object' || Array.isArray(p)) return p;
        const allow = (p as { allow?: unknown }).allow;
        // No list: the schema's default, which has the new words that are granted by default.
        if (!Array.isArray(allow)) return p;
        const more = added.filter((a) => allow.includes(a.withWord) && !allow.includes(a.word));
        return more.length === 0 ? p : { ...p, allow: [...(allow as unknown[]), ...more.map((a) => a.word)] };
      })
    : file.peers;
  const words = [...new Set([...known, ...vocabulary.words])];
  return { ...file, ...(peers !== undefined ? { peers } : {}), knownPermissions: words };
}

/**
 * The lists of the file whose entries keep a newer release's fields, each with the field that finds
 * an entry, the one that names it for people, and the fields this release knows; and `ui`'s fields.
 */
export function knownFields(vocabulary: Vocabulary): KnownFields {
  const { peerSchema, pendingSchema, blockedSchema, relaySchema, uiSchema, sectionEntries } =
    settingsSchemas(vocabulary);
  const fields = (schema: z.ZodObject) => new Set(Object.keys(schema.shape));
  return {
    lists: {
      peers: { key: 'fingerprint', label: 'name', fields: fields(peerSchema) },
      pending: { key: 'id', label: 'name', fields: fields(pendingSchema) },
      blocked: { key: 'fingerprint', fields: fields(blockedSchema) },
      ...Object.fromEntries(
        listSections(vocabulary.sections).map(([key, section]) => [
          key,
          { key: section.key, fields: fields(sectionEntries.get(key)!) },
        ]),
      ),
      relays: { key: 'url', fields: fields(relaySchema) },
    },
    ui: fields(uiSchema),
  };
}
// Each entry read-only all the way down, as the Settings it is part of.
export type RelaySetting = DeepReadonly<z.infer<SettingsSchemas['relaySchema']>>;
export type PeerRecord = DeepReadonly<z.infer<SettingsSchemas['peerSchema']>>;
export type PendingRecord = DeepReadonly<z.infer<SettingsSchemas['pendingSchema']>>;
