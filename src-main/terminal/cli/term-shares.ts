/**
 * `clawbridge term shares` and `clawbridge term unshare ID`: shorter words, beside `term` itself, for
 * what `clawbridge sessions` lists (this node's shared terminals and who watches each) and what `sessions
 * unshare ID` does. `term NAME` opens a shell on the peer NAME, so a peer really named `shares` or
 * `unshare` keeps its meaning: the words apply only when no peer has that name.
 */
import { call, type HomeOpts } from '../../cli/client-commands.js';
import { printLine } from '../../cli/output.js';
import { ClawError } from '../../core/errors.js';
import { nameKey } from '../../state/peer-names.js';
import { printSessions } from './sessions-table.js';

/** What `term WORD [ARGS]` asks for, when WORD is one of the share words. */
export type ShareWord = { word: 'shares' } | { word: 'unshare'; args: readonly string[] };

/** The share word in `term PEER COMMAND…`, or undefined when PEER is none (then it names a peer). Pure. */
export function shareWord(peer: string, command: readonly string[]): ShareWord | undefined {
  if (peer === 'shares') return command.length === 0 ? { word: 'shares' } : undefined;
  return peer === 'unshare' ? { word: 'unshare', args: command } : undefined;
}

/**
 * Does what `word` asks, unless a peer is named so.
 * @returns false when a peer has that name (the caller opens its terminal instead)
 */
export async function runShareWord(word: ShareWord, opts: HomeOpts): Promise<boolean> {
  const peers = await call(opts, 'peers.list', {});
  if (peers.some((p) => nameKey(p.name) === nameKey(word.word))) return false;
  if (word.word === 'shares') {
    printSessions(await call(opts, 'terminal.sessions', {}), true);
    return true;
  }
  const [id, ...more] = word.args;
  if (id === undefined || more.length > 0)
    throw new ClawError(
      'BAD_ARGUMENT',
      'term unshare takes one terminal ID (clawbridge term shares lists them)',
    );
  await call(opts, 'terminal.unshare', { id });
  printLine(`terminal ${id} is no longer shared`);
  return true;
}
