/**
 * A command a message tells its reader to run, as data (a "hint"). The sentence says what failed and
 * what to do in words; the hint is the command that does it, and each client renders it its own way:
 * the CLI as a shell command line (with the user's `--home` for a command meant for this node), the
 * window as code. No layer finds a command inside another layer's sentence. Its schema, for every
 * boundary that receives one, is in hint-schema.ts (apart: loading zod slows a CLI command's start;
 * docs/design/loading-on-demand.md).
 */
import { shellWord } from './shell-word.js';
/**
 * - `argv`: the `clawbridge` command's arguments WITHOUT the leading `clawbridge` (`['peers']`,
 *   `['approve', '3', '--fingerprint', 'FINGERPRINT']`); a word in capitals is a placeholder to fill in;
 * - `where`: `here` to run it on this node (the CLI adds its `--home`), `peer` on the other node;
 * - `flag`: the flag the hint is about (`--fingerprint`), when there is one;
 * - `at`: where the message itself names the command (`[start, end)`, in UTF-16 units, the
 *   backticked `` `clawbridge …` `` included), when the sentence reads with the command inside it
 *   ("no peer named 'x'; `clawbridge peers` lists them"): a client puts its own rendering of the
 *   command there (the CLI with `--home`, the window as code) instead of after the message. The
 *   message stays a whole sentence for readers that ignore hints.
 */
export interface Hint {
  argv: string[];
  where: 'here' | 'peer';
  flag?: string;
  at?: [number, number];
}

/** A hint to run `argv` on this node. */
export function hereHint(argv: string[], flag?: string): Hint {
  return flag === undefined ? { argv, where: 'here' } : { argv, where: 'here', flag };
}

/** A hint to run `argv` on the other node. */
export function peerHint(argv: string[], flag?: string): Hint {
  return flag === undefined ? { argv, where: 'peer' } : { argv, where: 'peer', flag };
}

/**
 * A message that names its command inside the sentence, and the hint that says where: `before`, then
 * `` `clawbridge ARGS` ``, then `after`.
 */
export function commandIn(before: string, hint: Hint, after: string): { message: string; hint: Hint } {
  const named = `\`${['clawbridge', ...hint.argv].join(' ')}\``;
  return {
    message: before + named + after,
    hint: { ...hint, at: [before.length, before.length + named.length] },
  };
}

/** `commandIn` as the arguments a ClawError takes after its code: `new ClawError(code, ...commandArgs(…))`. */
export function commandArgs(before: string, hint: Hint, after: string): [string, { hint: Hint }] {
  const { message, hint: at } = commandIn(before, hint, after);
  return [message, { hint: at }];
}

/** The span `at` of `hint` when it lies within `message`; undefined otherwise (then it goes after). */
export function spanIn(message: string, hint: Hint): [number, number] | undefined {
  const at = hint.at;
  return at && at[0] <= at[1] && at[1] <= message.length ? at : undefined;
}

/** True when `argv` already names a home (`--home DIR` or `--home=DIR`), before any `--`. */
function namesHome(argv: readonly string[]): boolean {
  for (const arg of argv) {
    if (arg === '--') return false;
    if (arg === '--home' || arg.startsWith('--home=')) return true;
  }
  return false;
}

/**
 * The hint as a shell command line, `clawbridge ARGS…`, each word quoted as the shell needs. A command
 * for this node gets `--home HOME` when one is given (the home the user's own command named): pasted
 * as it is, it must talk to the same node. A command for the other node never does.
 */
export function hintCommandLine(hint: Hint, home?: string): string {
  const withHome = hint.where === 'here' && home !== undefined && !namesHome(hint.argv);
  const argv = withHome ? [...hint.argv, '--home', home] : hint.argv;
  return ['clawbridge', ...argv].map(shellWord).join(' ');
}

/**
 * A message and its hint as one line for a terminal: `MESSAGE (`clawbridge …`)`, and ` there` after a
 * command to run on the other node — the words the messages used when they held their commands.
 */
export function lineWithHint(message: string, hint: Hint | undefined, home?: string): string {
  if (!hint) return message;
  const at = spanIn(message, hint);
  const command = `\`${hintCommandLine(hint, home)}\``;
  // Named inside the sentence: the same words as ever, the command as this user runs it.
  if (at) return message.slice(0, at[0]) + command + message.slice(at[1]);
  return `${message} (${command}${hint.where === 'peer' ? ' there' : ''})`;
}
