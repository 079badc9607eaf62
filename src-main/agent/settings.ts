/**
 * The node's saved settings and peers (conf, JSON in the home, mode 0600). Everything read from disk
 * is validated: a hand-edited or corrupt file is reported with its path and what is wrong, and is never
 * overwritten silently.
 */
import { readFileSync, readlinkSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Conf from 'conf';
import { replaceFileSync } from './durable-file.js';
import {
  extrasOf,
  pruneExtras,
  withExtras,
  type KnownFields,
  type SettingsExtras,
} from './settings-extras.js';
import { z } from 'zod';
import { ClawError } from '../core/errors.js';
import { hereHint } from '../core/hint.js';
import { describeZodError } from '../api/validate.js';
import { nodeNameSchema } from '../api/contract.js';
import { MAX_FORWARD_TO_PATTERN_CHARS, MAX_FORWARD_TO_PATTERNS } from '../forwards/destination-policy.js';
import { ensureHomeDir } from './home-dir.js';
import { parseHostPort } from '../core/host-port.js';
import { MAX_TOKEN_BYTES } from '../protocol/relay-frames.js';
import { DEFAULT_ALLOW, PERMISSIONS, type Permission } from '../core/permissions.js';

/** Default direct listener: all interfaces, a fixed port so a firewall rule can name it. */
export const DEFAULT_DIRECT_LISTEN = '0.0.0.0:7475';

/** Default web UI address: loopback only, a fixed port so its link stays the same (docs/web-ui.md). */
export const DEFAULT_UI_LISTEN = '127.0.0.1:7476';

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

export { DEFAULT_ALLOW, PERMISSIONS, type Permission };

const fingerprintSchema = z.string().regex(/^[0-9a-f]{64}$/);

/**
 * A date and time as the agent writes them (ISO 8601). Checked when the file is read: a pending
 * request with an unreadable date would otherwise count as expired and vanish without a word.
 */
const timestampSchema = z
  .string()
  .refine((t) => !Number.isNaN(Date.parse(t)), 'must be a date and time such as 2026-11-23T09:41:00Z');

const peerSchema = z.object({
  fingerprint: fingerprintSchema,
  name: nodeNameSchema,
  allow: z.array(z.enum(PERMISSIONS)).default(DEFAULT_ALLOW),
  /** The peer's certificate (base64 DER) when we have seen it: stored at approval. */
  cert: z.string().max(12_000).optional(),
  /** Direct addresses: the user's hint first, then what the peer announced. */
  addresses: z.array(z.string()).max(32).default([]),
  addedAt: timestampSchema,
  /**
   * Where this peer's forwards may go from here: `HOST:PORT` patterns with `*` wildcards (see
   * forwards/destination-policy.ts). Absent = anywhere.
   */
  forwardTo: z.array(z.string().max(MAX_FORWARD_TO_PATTERN_CHARS)).max(MAX_FORWARD_TO_PATTERNS).optional(),
  /**
   * The peer's home relay: what its hello announced, or the relay its invite named. Dialed on demand
   * when this node shares no relay with the peer (relay-set.ts; docs/relay-protocol.md §Home relays).
   */
  homeRelay: relaySchema.optional(),
});

const pendingSchema = z.object({
  id: z.string().regex(/^[a-z0-9]{1,16}$/),
  fingerprint: fingerprintSchema,
  name: nodeNameSchema,
  /** `code`: the node proved knowledge of a pairing code (PAKE); `fingerprint`: it only knew ours. */
  via: z.enum(['code', 'fingerprint']),
  address: z.string().max(300),
  cert: z.string().max(12_000).optional(),
  addresses: z.array(z.string().max(300)).max(32).default([]),
  firstSeen: timestampSchema,
  lastSeen: timestampSchema,
});

/** A saved local listener: a TCP forward (`tcp`) or a proxy (`socks`, `http`); see src-main/forwards/. */
const forwardSchema = z.object({
  name: z.string().regex(/^[\w.-]{1,64}$/),
  kind: z.enum(['tcp', 'socks', 'http']),
  /** `HOST:PORT` to listen on. */
  listen: z.string().min(1).max(300),
  /** Exit peer (name or fingerprint); optional for SOCKS, where the user name may choose it. */
  via: z.string().min(1).max(200).optional(),
  /**
   * The exit peer's fingerprint, saved with `via` since this release: the forward is bound to that
   * machine, never to whichever peer holds the name later. Absent in older files (filled in at start).
   */
  viaFingerprint: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .optional(),
  /** `HOST:PORT` as seen from the peer (TCP forwards only). */
  remote: z.string().min(1).max(300).optional(),
  /** Switched off by the user (`forward.disable`): kept, but not listening. */
  enabled: z.boolean().default(true),
});

/** A `HOST:PORT` to listen on, checked when the file is read so a bad one names the file and the key. */
const listenAddress = z.string().superRefine((value, ctx) => {
  try {
    parseHostPort(value);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
  }
});

const blockedSchema = z.object({ fingerprint: fingerprintSchema, at: timestampSchema });

const uiSchema = z.object({
  listen: listenAddress.nullable().default(DEFAULT_UI_LISTEN),
  allowRemote: z.boolean().default(false),
});

/** Bounds of terminalResumeMs (and of `agent --terminal-resume`): 1 s to 24 h. */
export const TERMINAL_RESUME_MIN_MS = 1_000;
/** The terminal resume window when none is set, in ms (60 s). */
export const TERMINAL_RESUME_DEFAULT_MS = 60_000;
export const TERMINAL_RESUME_MAX_MS = 24 * 60 * 60 * 1000;

export const settingsSchema = z
  .object({
    name: nodeNameSchema.optional(),
    relays: z.array(relaySchema).default([]),
    /** `HOST:PORT` of the direct listener, or null for --no-direct. */
    listen: listenAddress.nullable().default(DEFAULT_DIRECT_LISTEN),
    /** Also serve the relay for peers allowed `relay` (own-relay.ts), listening on relayListen. */
    actAsRelay: z.boolean().default(false),
    relayListen: listenAddress.default('0.0.0.0:7474'),
    /** Announce and discover nodes on the LAN (mDNS) when the listener is reachable from it. */
    lan: z.boolean().default(true),
    peers: z.array(peerSchema).default([]),
    /** Requests waiting for the owner's decision; they survive restarts and expire (pending.ts). */
    pending: z.array(pendingSchema).default([]),
    /**
     * Nodes removed or rejected by the owner: they are refused without becoming pending again, until they
     * pair by code (which proves the owner handed them a fresh code).
     */
    blocked: z.array(blockedSchema).max(1024).default([]),
    /** Local forwards and proxies, started with the agent. */
    forwards: z.array(forwardSchema).max(256).default([]),
    /**
     * How long a terminal session served here waits for its client after the stream is lost (path
     * switch, relay outage), in ms. This node's own sessions on its peers keep trying to resume for as
     * long, and at least TERMINAL_RESUME_DEFAULT_MS (the peer's window, not this one, decides there).
     */
    terminalResumeMs: z
      .number()
      .int()
      .min(TERMINAL_RESUME_MIN_MS)
      .max(TERMINAL_RESUME_MAX_MS)
      .default(TERMINAL_RESUME_DEFAULT_MS),
    /**
     * The web UI (docs/web-ui.md): `HOST:PORT` it is served on (a free port when that one is taken), or
     * null for --no-ui; an address other machines can reach only with allowRemote (--allow-remote-ui).
     */
    ui: uiSchema.default({ listen: DEFAULT_UI_LISTEN, allowRemote: false }),
    /** Desktop notifications (a device asks to pair, pairing done, a forward cannot listen). */
    notifications: z.boolean().default(true),
  })
  .superRefine((s, ctx) => {
    // Peers and forwards are found by name (and peers by fingerprint): a second one under the same key
    // could not be reached, removed or stopped. The agent never writes one; a hand edit can.
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
    repeated(
      'forwards',
      s.forwards.map((f) => f.name),
    );
  });

export type Settings = z.infer<typeof settingsSchema>;

/** The fields each kind of entry has in this release; any other is kept as an extra. */
const KNOWN_FIELDS: KnownFields = {
  peers: new Set(Object.keys(peerSchema.shape)),
  pending: new Set(Object.keys(pendingSchema.shape)),
  blocked: new Set(Object.keys(blockedSchema.shape)),
  forwards: new Set(Object.keys(forwardSchema.shape)),
  relays: new Set(Object.keys(relaySchema.shape)),
  ui: new Set(Object.keys(uiSchema.shape)),
};
export type RelaySetting = z.infer<typeof relaySchema>;
export type PeerRecord = z.infer<typeof peerSchema>;
export type PendingRecord = z.infer<typeof pendingSchema>;
export type ForwardRecord = z.infer<typeof forwardSchema>;

/**
 * A config.json that is a link to nothing (settings kept elsewhere, on a disk not mounted yet) would
 * read as no settings at all: the node would start as new, with defaults, and overwrite the link.
 */
function refuseDanglingLink(path: string): void {
  let target: string;
  try {
    target = readlinkSync(path);
  } catch {
    return; // no file, no link: a first start
  }
  throw new ClawError(
    'CONFIG_INVALID',
    `${path} is a link to ${target}, which does not exist; make it reachable again (or remove the link to start with default settings)`,
  );
}

/**
 * conf reads a config.json whose top level is not an object (an array, null, a string) as `{}`, and
 * the first save would then replace the user's file with defaults: refuse it like any other bad file.
 */
function refuseNonObjectFile(path: string): void {
  // Not a regular file (a FIFO would block the read for good, a device could be endless).
  if (statSync(path, { throwIfNoEntry: false })?.isFile() === false) {
    throw new ClawError(
      'CONFIG_INVALID',
      `${path} is not a regular file; move it away (the agent then starts with default settings)`,
    );
  }
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') refuseDanglingLink(path);
    return; // none yet (or unreadable: conf says so)
  }
  if (text.startsWith('\ufeff')) {
    // Invisible in an editor and in JSON.parse's complaint ("Unexpected token ''").
    throw new ClawError(
      'CONFIG_INVALID',
      `${path} starts with a byte-order mark (BOM): save it as UTF-8 without BOM`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return; // conf reports the syntax error
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    const what = value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
    throw new ClawError(
      'CONFIG_INVALID',
      `settings in ${path} are invalid (the file holds ${what}, not an object of settings) — fix the file or move it away`,
    );
  }
}

/** What to do when a save fails with an error code, beyond "make its folder writable". */
const SAVE_FIX: Record<string, string> = {
  ENOSPC: 'free some disk space',
  EDQUOT: 'free some space within your disk quota',
  EFBIG: 'raise the file size limit (ulimit -f)',
};

export class SettingsStore {
  private readonly conf: Conf<Settings>;
  private current: Settings;
  /**
   * Top-level settings this release does not know (written by a newer release, or by hand), written
   * back as they were: a save would otherwise drop them, and the newer release would lose them.
   */
  private unknown: Record<string, unknown> = {};
  /** The same inside entries (a peer's, a forward's…), put back on the same entry (settings-extras.ts). */
  private extras: SettingsExtras = { lists: {}, where: [] };
  /** The file's text as last read or written here: another text means someone edited it meanwhile. */
  private seen: string | undefined;

  constructor(readonly home: string) {
    // Before conf, which would create the home with the default mode (0755): the home holds the key.
    ensureHomeDir(home);
    refuseNonObjectFile(join(home, 'config.json'));
    try {
      this.conf = new Conf<Settings>({
        cwd: home,
        configName: 'config',
        configFileMode: 0o600,
        clearInvalidConfig: false,
        projectName: 'clawbridge',
        projectSuffix: '',
      });
    } catch (err) {
      throw new ClawError(
        'CONFIG_INVALID',
        `cannot read settings in ${home}/config.json: ${(err as Error).message} — fix the file or move it away`,
      );
    }
    this.current = this.adopt(this.conf.store);
    this.seen = this.readText();
  }

  get path(): string {
    return this.conf.path;
  }

  get(): Settings {
    return this.current;
  }

  /**
   * Top-level keys of the file this release does not know (a newer release's settings, or a typo such
   * as `relay` for `relays`): kept when saving, but not used.
   */
  get unknownKeys(): string[] {
    return [...Object.keys(this.unknown), ...this.extras.where];
  }

  /**
   * Applies `change` and saves. An edit by hand while the agent runs is never overwritten: the save is
   * refused until the agent restarts (refuseIfEdited).
   * @throws ClawError('CONFIG_INVALID') naming the file when it was changed since it was read, or
   *   cannot be written; ClawError('BAD_ARGUMENT') naming the field when the change is not a valid
   *   setting. Nothing changes then.
   */
  update(change: (s: Settings) => Settings): Settings {
    this.refuseIfEdited();
    const parsed = settingsSchema.safeParse(change(structuredClone(this.current)));
    // Callers check what they are given first; this is the last guard, so a value the file could not
    // be read back with is never written (the next start would refuse the file).
    if (!parsed.success) {
      throw new ClawError(
        'BAD_ARGUMENT',
        `not saved: ${describeZodError(parsed.error)}; nothing was changed`,
      );
    }
    const next = parsed.data;
    let extras = this.extras;
    try {
      // As conf writes it (tab-indented JSON), but not through conf: durable-file.ts says why.
      extras = pruneExtras(this.extras, next);
      const saved = { ...this.unknown, ...withExtras(next, extras) };
      replaceFileSync(this.path, JSON.stringify(saved, undefined, '\t'), 0o600);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new ClawError(
        'CONFIG_INVALID',
        `cannot save the settings to ${this.path}${code ? ` (${code})` : ''}: ${SAVE_FIX[code ?? ''] ?? 'make its folder writable'} and try again; nothing was changed`,
        { cause: err },
      );
    }
    this.current = next;
    this.extras = extras;
    this.seen = this.readText();
    return next;
  }

  private readText(): string | undefined {
    try {
      return readFileSync(this.path, 'utf8');
    } catch {
      return undefined;
    }
  }

  /**
   * The agent acts on what it read at start (its peers, forwards, limits): a save over a file changed
   * since would drop the change, and adopting it here would leave the running agent out of step with
   * its own file. So it refuses, and the file stays as edited until a restart reads it. A file that is
   * gone is no edit: saving then writes what this process holds.
   */
  private refuseIfEdited(): void {
    const text = this.readText();
    if (text === undefined || text === this.seen) return;
    throw new ClawError(
      'CONFIG_INVALID',
      `${this.path} was changed since this agent read it (by hand, or by another program); nothing was changed — stop the agent, then start it again so it uses the file as it is now`,
      { hint: hereHint(['stop']) },
    );
  }

  private adopt(raw: unknown): Settings {
    const parsed = settingsSchema.safeParse(raw);
    if (!parsed.success) {
      throw new ClawError(
        'CONFIG_INVALID',
        `settings in ${this.path} are invalid (${describeZodError(parsed.error)}) — fix the file or move it away`,
      );
    }
    const known = new Set(Object.keys(settingsSchema.shape));
    this.unknown = Object.fromEntries(
      Object.entries(raw as Record<string, unknown>).filter(([key]) => !known.has(key)),
    );
    this.extras = extrasOf(raw, KNOWN_FIELDS);
    return parsed.data;
  }
}
