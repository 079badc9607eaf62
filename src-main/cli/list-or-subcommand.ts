/**
 * `peers`, `forward` and `proxy` list when run alone and have subcommands: commander hands a mistyped
 * subcommand (`peers ad …`) to the listing as an argument and says "too many arguments for 'peers'".
 * These helpers make it commander's own "unknown command 'ad' (Did you mean add?)" instead.
 */
import type { Command } from 'commander';

/**
 * Lets the listing receive stray words, so `refuseStrayWords` can name them. Call it once the
 * subcommands are added: each copies this setting when it is created, and they must keep refusing
 * extra arguments.
 */
export function allowStrayWords(cmd: Command): void {
  cmd.allowExcessArguments(true);
}

/** Call first in the listing's action: a word after the command is an unknown subcommand. */
export function refuseStrayWords(cmd: Command): void {
  if (cmd.args.length === 0) return;
  // commander 14's own error for an unknown subcommand, with its suggestion (pinned in package.json;
  // test/unit/cli/list-or-subcommand.test.ts fails if it goes away).
  (cmd as unknown as { unknownCommand(): never }).unknownCommand();
}
