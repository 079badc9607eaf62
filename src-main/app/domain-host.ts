/**
 * The narrow host each domain is given (links/domain.ts DomainContext, ADR 0085, ADR 0091): the
 * node's state, notices and service registry cut down, at run time as in the types, to what a domain
 * may read and the services it registers; what a domain writes is the settings section it owns, whose
 * slice `section` makes for that domain alone (domain-set.ts). A domain that reached past its types
 * (a cast) finds nothing more on these objects. Names no domain: the sections are the domains' keys.
 */
import type { DomainNotices, DomainServices, DomainState } from '../links/domain.js';
import type { ServiceRegistry } from '../services/services.js';
import type { NodeState } from '../state/node-state.js';
import type { Notices } from '../state/notices.js';
import type { SectionKey, SettingsSlice } from '../state/settings-sections.js';

export interface DomainHost {
  readonly state: DomainState;
  readonly notices: DomainNotices;
  readonly services: DomainServices;
}

/** The slice of the settings section `key`, for the one domain that owns it (NodeState.section). */
export function domainSection(state: NodeState): <K extends SectionKey>(key: K) => SettingsSlice<K> {
  return (key) => state.section(key);
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
    },
    notices: {
      changed: () => notices.changed(),
      notice: (notice, fields) => notices.notice(notice, fields),
      onChanged: (listener) => notices.onChanged(listener),
    },
    services: {
      register: (name, def) => services.register(name, def),
      opener: (service) => services.opener(service),
      admitGuests: (source) => services.admitGuests(source),
    },
  };
}
