/**
 * The listings whose rows are cut to the terminal's width, as `peers` was first: those whose last
 * column is prose that can run long (why a peer is offline, what an audit event was, a device's state
 * with its reason). A listing that ends in something to copy whole (an invitation link, a fingerprint
 * to compare) is never cut. Off a terminal, with `--wide` or with `--json`, rows stay whole.
 */
import type { Command } from 'commander';

/** Each fitted listing's command path, and what shows its rows whole (said under a cut listing). */
const FITTED: Readonly<Record<string, string>> = {
  peers: '--wide or --json',
  status: '--wide or --json',
  log: '--wide or --json',
  'group ls': '--json',
  // `group` alone lists them too.
  group: '--json',
};

/** `group ls` for the `ls` under `group`: the words after `clawbridge`. */
function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/** Before `cmd`'s action (main.ts's preAction hook): fits its tables to the terminal when it is listed. */
export async function fitListing(cmd: Command): Promise<void> {
  const whole = FITTED[commandPath(cmd)];
  if (whole === undefined || !process.stdout.isTTY || !process.stdout.columns) return;
  const opts = cmd.opts<{ wide?: boolean; json?: boolean }>();
  if (opts.wide === true || opts.json === true) return;
  // Loaded here: measuring columns loads the East Asian Width data (table.ts), which other commands skip.
  (await import('./table.js')).fitTablesTo(process.stdout.columns, whole);
}
