/**
 * The node's domains, as data (docs/architecture.md §Adding a domain, ADR 0079): the one place that
 * names them. run-agent.ts creates each in this order, before anything starts, and puts their parts in
 * the agent's lifecycle in this order (`beforeNode` ones before the node, `afterNode` ones after it;
 * stopped in reverse); the API handler answers each method with the domain that has it. A new domain
 * is a folder that exports a `DomainDescription` (links/domain.ts) and one line here.
 */
import type { DomainDescription } from '../links/domain.js';
import { filesDomain } from '../files/files-domain.js';
import { forwardsDomain } from '../forwards/forwards-domain.js';
import { messagesDomain } from '../messages/messages-domain.js';
import { routesDomain } from '../routes/routes-domain.js';
import { shareDomain } from '../share/share-domain.js';
import { terminalsDomain } from '../terminal/terminals-domain.js';

export const domains: readonly DomainDescription[] = [
  messagesDomain,
  filesDomain,
  terminalsDomain,
  // Before forwards: it gives forwards the file server that answers shares' connections.
  shareDomain,
  forwardsDomain,
  routesDomain,
];
