/**
 * The domains' parts of the `clawbridge` command (docs/adr/0086-cli-and-window-per-domain.md): each
 * domain's `cli/` folder describes its commands and status lines in one `<folder>-cli.ts` (domain-cli.ts)
 * whose one export is its `DomainCli`, and the domains that have one are found from app/domains.ts's list
 * (domain-cli-modules.ts, docs/adr/0087-domain-layers-and-clis-from-the-list.md), in its order: the
 * order `status` prints their lines. Only the small descriptions load here, every command's code stays
 * behind its `load()` (docs/design/loading-on-demand.md).
 */
import type { AgentFlag, DomainCli } from './domain-cli.js';
import { domainCliModules } from './domain-cli-modules.js';

/** The one export of a domain's `cli/` module, checked to be a description. */
export function domainCliOf(module: Readonly<Record<string, unknown>>): DomainCli {
  const exported = Object.values(module);
  const only = exported[0] as Partial<DomainCli> | undefined;
  if (exported.length !== 1 || typeof only?.modules !== 'object' || only.modules === null)
    throw new Error("a domain's cli/ module exports its DomainCli and nothing else (cli/domain-cli.ts)");
  return only as DomainCli;
}

let loaded: Promise<readonly DomainCli[]> | undefined;

/** Every domain's `cli/` description, in app/domains.ts's order. */
export function domainClis(): Promise<readonly DomainCli[]> {
  return (loaded ??= domainCliModules().then((modules) => modules.map(domainCliOf)));
}

/** The flags the domains add to `clawbridge agent`, in app/domains.ts's order. */
export async function domainAgentFlags(): Promise<readonly AgentFlag[]> {
  return (await domainClis()).flatMap((d) => d.agentFlags ?? []);
}
