/**
 * Wire format of the `udp-connect` service (docs/protocol.md "udp-connect service"): one stream per UDP
 * flow. The OPEN arguments say where the exit sends; the exit answers with the same one result message
 * as tcp-connect (tcp-connect-protocol.ts: ok, or why not), then both directions carry datagram frames
 * (protocol/udp-frames.ts). Pure: no sockets here. The schema is made on use (ADR 0073).
 */
import { z } from 'zod';
import { madeOnUse } from '../core/made-on-use.js';
import { resumeIdSchema } from './tcp-connect-protocol.js';
import { MAX_UDP_IDLE_MS, MIN_UDP_IDLE_MS } from './forward-bounds.js';

/** Service name in the mux OPEN frame. */
export const UDP_CONNECT_SERVICE = 'udp-connect';
/** Version of the OPEN arguments (`v`); a newer opener is refused with a reason, not misread. */
export const UDP_CONNECT_VERSION = 1;

/** OPEN arguments: where the exit peer sends the flow's datagrams, and how long it keeps an idle flow. */
export const udpConnectArgsSchema = madeOnUse(() =>
  z
    .object({
      v: z.literal(UDP_CONNECT_VERSION),
      host: z
        .string()
        .min(1)
        .max(255)
        .regex(/^[A-Za-z0-9._:-]+$/, 'host must be a name or an IP address'),
      port: z.number().int().min(1).max(65535),
      /** The opener's idle time in ms; the exit uses it within its own bounds (default 60 s). */
      idleMs: z.number().int().min(MIN_UDP_IDLE_MS).max(MAX_UDP_IDLE_MS).optional(),
      /**
       * The flow's resume ID (ADR 0023): its stream outlives its link, so the exit keeps its socket (and
       * source port) while the opener re-attaches with `stream-resume`.
       */
      resume: resumeIdSchema().optional(),
    })
    .strict(),
);
export type UdpConnectArgs = z.infer<ReturnType<typeof udpConnectArgsSchema>>;
