/**
 * The narrow host each domain is given (links/domain.ts DomainContext, ADR 0085): the node's state,
 * notices and service registry cut down, at run time as in the types, to what a domain may read, the
 * named writes it may make and the services it registers. A domain that reached past its types (a
 * cast) finds nothing more on these objects.
 */
import type { DomainNotices, DomainServices, DomainState } from '../links/domain.js';
import type { ServiceRegistry } from '../services/services.js';
import type { NodeState } from '../state/node-state.js';
import type { Notices } from '../state/notices.js';

export interface DomainHost {
  readonly state: DomainState;
  readonly notices: DomainNotices;
  readonly services: DomainServices;
}

/** The host the domains see of `node`'s state, notices and services. */
export function domainHost(node: {
  state: NodeState;
  notices: Notices;
  services: ServiceRegistry;
}): DomainHost {
  const { state, notices, services } = node;
  return {
    state: {
      get: () => state.get(),
      peers: () => state.peers(),
      peer: (fingerprint) => state.peer(fingerprint),
      subscribe: (listener) => state.subscribe(listener),
      forward: (name) => state.forward(name),
      saveForward: (record) => state.saveForward(record),
      editForward: (name, edit) => state.editForward(name, edit),
      removeForward: (name) => state.removeForward(name),
      bindLegacyForwards: () => state.bindLegacyForwards(),
    },
    notices: {
      changed: () => notices.changed(),
      notice: (notice, fields) => notices.notice(notice, fields),
      onChanged: (listener) => notices.onChanged(listener),
    },
    services: {
      register: (name, def) => services.register(name, def),
      opener: (service) => services.opener(service),
    },
  };
}
