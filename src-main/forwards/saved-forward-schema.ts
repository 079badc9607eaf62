/**
 * The forwards domain's section of config.json (ADR 0093): one saved forward, proxy or share, as the
 * settings file checks it on every read and write. Handed zod (the contract piece brings it, and a
 * client loads the piece without zod); the state layer takes it from the piece and names no field of
 * it. The file's format is the one releases before the domains brought their sections wrote.
 */
import type { z } from 'zod';
import type { Zod } from '../api/contract-piece.js';
import type { DeepReadonly } from '../core/deep-readonly.js';
import { MAX_UDP_IDLE_MS, MIN_UDP_IDLE_MS, PROXY_SECRET_PATTERN } from './forward-bounds.js';

/** At most this many saved forwards and proxies. */
export const MAX_SAVED_FORWARDS = 256;

/** A saved local listener: a TCP forward (`tcp`) or a proxy (`socks`, `http`). */
export const savedForwardSchema = (z: Zod) =>
  z.object({
    name: z.string().regex(/^[\w.-]{1,64}$/),
    kind: z.enum(['tcp', 'socks', 'http']),
    /** `HOST:PORT` to listen on. */
    listen: z.string().min(1).max(300),
    /** Exit peer (name or fingerprint); optional for SOCKS, where the user name may choose it. */
    via: z.string().min(1).max(200).optional(),
    /**
     * The exit peer's fingerprint, saved with `via`: the forward is bound to that machine, never to
     * whichever peer holds the name later. Absent in older files (filled in at start: saved-forwards.ts
     * bindLegacyForwards).
     */
    viaFingerprint: z
      .string()
      .regex(/^[0-9a-f]{64}$/)
      .optional(),
    /** `HOST:PORT` as seen from the peer (TCP forwards only); for a reverse one, as seen from this node. */
    remote: z.string().min(1).max(300).optional(),
    /**
     * `reverse` (TCP-kind forwards only, like `ssh -R`): `listen` is an address on the peer `via`, and
     * its connections (or UDP flows, with `protocol: 'udp'`) come back here to `remote`
     * (reverse-forwards.ts). Absent: a local forward.
     */
    direction: z.enum(['local', 'reverse']).optional(),
    /** Switched off by the user (`forward.disable`): kept, but not listening. */
    enabled: z.boolean().default(true),
    /**
     * A proxy's password (proxy-secret.ts): clients must give it (SOCKS5 username/password, HTTP
     * `Proxy-Authorization: Basic`). Absent: any local program may use the proxy, as proxies saved by
     * older releases and those added with `--no-auth`. Never on a TCP forward (no protocol to carry it).
     */
    secret: z.string().regex(PROXY_SECRET_PATTERN).optional(),
    /** `udp` on a TCP-kind forward: it forwards UDP datagrams (udp-forward.ts). Absent: TCP. */
    protocol: z.literal('udp').optional(),
    /** A UDP forward's idle time per client flow, in ms (default udp-flow.ts DEFAULT_UDP_IDLE_MS). */
    udpIdleMs: z.number().int().min(MIN_UDP_IDLE_MS).max(MAX_UDP_IDLE_MS).optional(),
    /**
     * A shared folder (`share`, ADR 0052) on a reverse forward: its connections are served by this
     * node's file server (src-main/share/) from `dir`, not dialed to `remote`. `passwordHash`: the
     * salted scrypt hash of its password (share/share-password.ts), never the password.
     */
    share: z
      .object({
        dir: z.string().min(1).max(4096),
        dotfiles: z.boolean().default(false),
        passwordHash: z.string().max(300).optional(),
      })
      .optional(),
  });

/** A saved forward as the schema reads it (what the section's entries are: `DomainSettings`). */
export type SavedForwardEntry = z.output<ReturnType<typeof savedForwardSchema>>;

/** A saved forward as every reader gets it: read-only all the way down, as the settings it is part of. */
export type ForwardRecord = DeepReadonly<SavedForwardEntry>;
