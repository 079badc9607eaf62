/**
 * Services peers can open on this node over a link (architecture.md §Services): a registry from service name to handler,
 * with the permission each needs checked here, by the side that grants it, before any handler runs.
 */
import { MAX_REASON_BYTES } from '../protocol/mux-frames.js';
import type { StreamRequest } from '../mux/types.js';
import type { PathKind } from '../transport/link.js';
import { Emitter } from '../core/emitter.js';
import type { Permission } from './settings.js';

/** The peer a stream came from, as this node knows it. */
export interface StreamPeer {
  fingerprint: string;
  /** This node's name for the peer. */
  name: string;
  allow: readonly Permission[];
  /** The link the stream came on, when known: for the audit log. */
  via?: { path: PathKind; address: string };
}

/** A stream this registry refused (the audit log records each). */
export interface RefusedStream {
  peer: StreamPeer;
  service: string;
  code: 'UNKNOWN_SERVICE' | 'PERMISSION_DENIED';
  reason: string;
}

/** An incoming stream request, already past the permission check. */
export interface ServiceRequest extends StreamRequest {
  peer: StreamPeer;
}

export type ServiceHandler = (req: ServiceRequest) => void;

export interface ServiceDefinition {
  /** The permission a peer needs to open this service, or null when every peer may. */
  permission: Permission | null;
  /** Plural noun for the refusal line: `B does not allow terminals from A`. */
  noun: string;
  handle: ServiceHandler;
}

export class ServiceRegistry {
  private readonly services = new Map<string, ServiceDefinition>();
  /** `refused`: a peer's stream refused here, after the reason went back to it. */
  readonly events = new Emitter<{ refused: [RefusedStream] }>();

  register(name: string, def: ServiceDefinition): void {
    this.services.set(name, def);
  }

  /** Routes one request: refuses unknown services and missing permissions with a clear reason. */
  dispatch(selfName: string, peer: StreamPeer, req: StreamRequest): void {
    const def = this.services.get(req.service);
    if (!def) {
      const reason = `unknown service '${req.service}'`;
      req.reject('UNKNOWN_SERVICE', reason);
      return this.events.emit('refused', { peer, service: req.service, code: 'UNKNOWN_SERVICE', reason });
    }
    if (def.permission && !peer.allow.includes(def.permission)) {
      const denied = `permission denied: ${selfName} does not allow ${def.noun} from ${peer.name}`;
      // The command is for the owner of this node, under the name this node knows the peer by; left
      // out when long names would push it past what a REJECT carries (it would arrive cut).
      // Text only: a reason crosses to the other node, whose clients show it as it is.
      const hint = ` (its owner can run \`clawbridge peers allow ${peer.name} ${def.permission}\` there)`;
      const fits = Buffer.byteLength(denied + hint) <= MAX_REASON_BYTES;
      req.reject('PERMISSION_DENIED', fits ? denied + hint : denied);
      return this.events.emit('refused', {
        peer,
        service: req.service,
        code: 'PERMISSION_DENIED',
        reason: denied,
      });
    }
    def.handle(Object.assign(req, { peer }));
  }
}
