/**
 * Takes the window where an app link says (lib/fragment.ts): a view with its intent, and for
 * `terminals?open=<peer>` a new terminal tab to that peer, opened here rather than by the view so a
 * re-render never opens a second one.
 */
import type { AppLink } from './fragment.js';
import type { Navigation } from './navigation.js';

/**
 * What following a link uses of the window's services. Declared here, not taken from services.ts,
 * so this module (and its Node unit test) does not pull in xterm and the DOM typings behind it.
 */
export interface LinkTargets {
  nav: Pick<Navigation, 'go'>;
  terminals: { open(opts: { peer: string; peerName: string }): unknown };
}

export function followLink(services: LinkTargets, link: AppLink | null): void {
  if (!link) return;
  const { openTerminal, ...intent } = link.intent;
  if (openTerminal) {
    services.terminals.open({ peer: openTerminal.peer, peerName: openTerminal.name });
    services.nav.go('terminals');
    return;
  }
  services.nav.go(link.view, intent);
}
