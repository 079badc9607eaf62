/**
 * The domains' parts of the `clawbridge` command (docs/adr/0086-cli-and-window-per-domain.md): each
 * domain's `cli/` folder describes its commands and status lines (domain-cli.ts), and this list names
 * those descriptions, in the order `status` prints their lines. Not app/domains.ts: that list loads
 * every domain's agent code, which a client command must not (docs/design/loading-on-demand.md).
 * test/unit/cli/command-modules.test.ts holds this list to the domain folders that have a `cli/` part.
 */
import type { DomainCli } from './domain-cli.js';
import { filesCli } from '../files/cli/files-cli.js';
import { forwardsCli } from '../forwards/cli/forwards-cli.js';
import { messagesCli } from '../messages/cli/messages-cli.js';
import { shareCli } from '../share/cli/share-cli.js';
import { terminalCli } from '../terminal/cli/terminal-cli.js';

export const DOMAIN_CLIS: readonly DomainCli[] = [messagesCli, filesCli, terminalCli, shareCli, forwardsCli];
