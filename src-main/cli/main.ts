#!/usr/bin/env node
/**
 * `clawbridge` entry point. Every failure ends as one line on stderr, `clawbridge: <what failed and
 * what to do>`, and exit status 1.
 */
import { inspect } from 'node:util';
import type { Command as CommandType } from 'commander';
import { Command, CommanderError } from './commander.js';
import { errorMessage, hintOf } from '../core/errors.js';
import { lineWithHint } from '../core/hint.js';
import { tuneGcForBulkTransfer } from '../runtime/gc-tuning.js';
import { AGENT_VERSION } from '../core/version.js';
import { failWritesPastTheFileSizeLimit } from '../home/file-size-limit.js';
import { registerCommandsFor } from './command-modules.js';
import {
  commanderOutput,
  errorJson,
  homeArgument,
  inFlagTerms,
  jsonArgument,
  printBlockToStderr,
  printErrorJson,
  printNote,
} from './output.js';
import { homeAfterCommand } from './home-first.js';
import { exitAfterOutput, watchOutput } from './output-errors.js';
import { fitListing } from './fitted-listings.js';

tuneGcForBulkTransfer();
failWritesPastTheFileSizeLimit();
watchOutput();

const program = new Command('clawbridge')
  .description(
    'Reach your own machines: pair once, then connect directly or through an end-to-end encrypted relay.',
  )
  .version(AGENT_VERSION)
  .showHelpAfterError('(run `clawbridge --help` for usage)')
  // Set before the commands are added, which inherit it.
  .configureOutput(commanderOutput)
  .exitOverride()
  // A listing on a terminal fits it (fitted-listings.ts); called for every command under this one.
  .hook('preAction', (_program, action) => fitListing(action));

/** A usage error in `clawbridge peers add` points at `clawbridge peers add --help`, not the top-level help. */
function pointUsageErrorsAtOwnHelp(cmd: CommandType, path: string[] = []): void {
  for (const sub of cmd.commands) {
    const subPath = [...path, sub.name()];
    // `term b ls -d /` reads -d as term's own option: the usual mistake is a missing `--`.
    const dashes =
      sub.name() === 'term' ? 'a command for the peer goes after --: `clawbridge term PEER -- ls -l`; ' : '';
    sub.showHelpAfterError(`(${dashes}run \`clawbridge ${subPath.join(' ')} --help\` for usage)`);
    pointUsageErrorsAtOwnHelp(sub, subPath);
  }
}

// No top-level await here: bundled (scripts/vite-cli.config.ts), the command modules loaded below share
// chunks with this entry, and an entry still suspended in a top-level await cannot be imported by them.
// main() says every error itself; one in its own handling is said as it is, and the status is 1.
main(homeAfterCommand(process.argv.slice(2))).catch((err: unknown) => {
  process.stderr.write(`clawbridge: ${errorMessage(err)}\n`);
  process.exitCode = 1;
});

async function main(args: string[]): Promise<void> {
  try {
    // Only the modules this command line needs (command-modules.ts): a client command starts fast.
    await registerCommandsFor(program, args);
    pointUsageErrorsAtOwnHelp(program);
    await program.parseAsync([process.argv[0]!, process.argv[1]!, ...args]);
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and the version are written just before: a write that failed (a full disk) must be seen.
      exitAfterOutput(err.exitCode);
    } else {
      // A script asked for JSON: it gets the error as data on stdout, as the window does (the line below
      // still goes to stderr, for the person watching).
      if (jsonArgument(args)) printErrorJson(errorJson(err));
      // Errors may quote what another node sent (a refusal reason): never let it drive the terminal.
      // A hint's command for this node gets the --home this command was given, so it works as pasted.
      const line = lineWithHint(inFlagTerms(errorMessage(err)), hintOf(err), homeArgument(args));
      printNote(line);
      if (process.env.CLAWBRIDGE_DEBUG) printBlockToStderr(inspect(err));
      // Once the JSON and the line are out (a pipe may take them asynchronously).
      exitAfterOutput(1);
    }
  }
}
