/**
 * Takes the window where an app link says (lib/fragment.ts): the view, opened for what the link says.
 * A feature that acts on a link before its view shows (`terminals?open=<peer>` opens a new tab) does
 * it here, through its `follow`, rather than in the view, so a re-render never does it twice.
 */
import type { AppLink } from './fragment.js';
import type { LinkedFeature, LinkTargets } from './navigation.js';

export function followLink(
  targets: LinkTargets,
  features: readonly LinkedFeature[],
  link: AppLink | null,
): void {
  if (!link) return;
  const feature = features.find((f) => f.id === link.view);
  const intent = feature?.follow ? feature.follow(link.intent, targets) : link.intent;
  targets.nav.show(link.view, intent);
}
