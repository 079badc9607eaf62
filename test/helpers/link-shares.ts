/**
 * A terminal shared by link, as the share tests set it up (docs/adr/0123-shared-terminals.md §Link):
 * A's shell on its peer b that says it is ready, `sessions share ID --link` on A, and a code one
 * character off the real one for the wrong-code cases.
 */
import type { MethodResults } from '../../src-main/api/contract.js';
import { cliJson } from './processes.js';
import { openTerminal } from './terminal-viewer.js';

/** What `sessions share ID --link --json` prints: a share with its one-time code and the relay page's link. */
export type LinkShare = MethodResults['terminal.share'] & { code: string; link: string };

/** `home`'s terminal on its peer b: a shell that prints `screen-before-42`, then reads commands. */
export const readyShellOnB = (home: string) =>
  openTerminal(home, 'b', ['sh', '-c', 'echo screen-before-$((6*7)); exec sh'], 'screen-before-42');

/** Shares terminal `id` of `home` by link, through the CLI as a user does. */
export async function shareByLink(home: string, id: string): Promise<LinkShare> {
  const r = await cliJson<MethodResults['terminal.share']>([
    'sessions',
    'share',
    id,
    '--link',
    '--home',
    home,
  ]);
  if (!r.code || !r.link)
    throw new Error(`sessions share --link printed no code or link: ${JSON.stringify(r)}`);
  return { ...r, code: r.code, link: r.link };
}

/** `code` with its last character changed: a wrong code of the right shape. */
export function wrongCodeFor(code: string): string {
  const last = code.at(-1);
  return code.slice(0, -1) + (last === '7' ? '8' : '7');
}
