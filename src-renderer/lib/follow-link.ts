/**
 * Takes the window where an app link says (lib/fragment.ts): a view with its intent, and for
 * `terminals?open=<peer>` a new terminal tab to that peer, opened here rather than by the view so a
 * re-render never opens a second one.
 */
import type { Services } from '../services.js';
import type { AppLink } from './fragment.js';

export function followLink(services: Pick<Services, 'nav' | 'terminals'>, link: AppLink | null): void {
  if (!link) return;
  const { openTerminal, ...intent } = link.intent;
  if (openTerminal) {
    services.terminals.open({ peer: openTerminal.peer, peerName: openTerminal.name });
    services.nav.go('terminals');
    return;
  }
  services.nav.go(link.view, intent);
}
