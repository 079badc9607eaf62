/**
 * The node's domains, as data (docs/architecture.md §Adding a domain, ADR 0079, ADR 0085): the one
 * place that names them. run-agent.ts builds the agent's contract from their contract pieces, creates
 * each in this order, before anything starts, and puts their parts in the agent's lifecycle in this
 * order (`beforeNode` ones before the node, `afterNode` ones after it; stopped in reverse); the API
 * handler answers each method with the domain that has it. Cheap to import: a description loads its
 * domain's modules only when an agent creates it, so a client (the CLI, the desktop app's main
 * process) reads the contracts here without them. Lint, the layer order, the architecture tests and
 * the CLI's list of the domains' `cli/` parts take the domains from here too (scripts/domain-folders.mjs
 * reads this file's text: one `import { xDomain } from '../<folder>/<file>.js'` and one name in the list
 * a domain; ADR 0087). A new domain is a folder that exports a `DomainDescription` (links/domain.ts)
 * and its line here.
 */
import type { ListedDomain } from '../links/domain.js';
import { filesDomain } from '../files/files-domain.js';
import { forwardsDomain } from '../forwards/forwards-domain.js';
import { groupMembersDomain } from '../group-members/group-members-domain.js';
import { groupsDomain } from '../groups/groups-domain.js';
import { messagesDomain } from '../messages/messages-domain.js';
import { routesDomain } from '../routes/routes-domain.js';
import { shareDomain } from '../share/share-domain.js';
import { terminalsDomain } from '../terminal/terminals-domain.js';

export const domains: readonly ListedDomain[] = [
  messagesDomain,
  filesDomain,
  // Before forwards: it gives forwards the file server that answers shares' connections.
  shareDomain,
  forwardsDomain,
  routesDomain,
  groupsDomain,
  // After groups: a terminal is shared with a group's devices as its book names them.
  terminalsDomain,
  // After groups: invitations and history read and write its book.
  groupMembersDomain,
];
