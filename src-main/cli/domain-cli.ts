/**
 * What a domain brings to the `clawbridge` command (docs/adr/0086-cli-and-window-per-domain.md): from
 * its folder's `cli/` part, a small description of its command modules — the top-level commands each
 * registers, loaded only when a command line names one of them (docs/design/loading-on-demand.md) —
 * and the lines it adds to `status`. The description is loaded for every command, so it stays small:
 * types, words and status lines, with every command's code behind `load`.
 */
import type { Command } from 'commander';
import type { StatusResult } from '../api/contract.js';
import type { Settings } from '../state/settings.js';

/** Registers a module's commands on the program. */
export type Register = (program: Command) => void;

export interface CommandModuleDescription {
  /** Where its commands stand in `clawbridge --help`, among every module's, lowest first. */
  readonly helpOrder: number;
  /** The top-level commands it registers (a unit test holds this to what `load` registers). */
  readonly commands: readonly string[];
  readonly load: () => Promise<Register>;
}

export interface DomainCli {
  /** Its command modules, by a name unique among all of the CLI's. */
  readonly modules: Readonly<Record<string, CommandModuleDescription>>;
  /**
   * The lines it adds to `status` (after the node's own, before the peers), each starting with its
   * label, as the rest of `status`.
   */
  statusLines?(status: StatusResult): string[];
  /**
   * The flags it adds to `clawbridge agent` (and to what `service install agent` accepts): each sets
   * its domain's settings, saved like the node's own flags (cli/agent-flags.ts).
   */
  readonly agentFlags?: readonly AgentFlag[];
}

/** A flag a domain adds to `clawbridge agent`, for a setting of its own section. */
export interface AgentFlag {
  /** As commander takes it: `--terminal-resume <duration>`. */
  readonly flags: string;
  /** Its line in `clawbridge agent --help`. */
  readonly description: string;
  /**
   * The settings its value sets. Checked before the home is read or made, so a refused value leaves
   * nothing on disk.
   * @throws ClawError('BAD_ARGUMENT') naming the flag when the value is not one it takes
   */
  settings(value: string): Partial<Settings>;
}
