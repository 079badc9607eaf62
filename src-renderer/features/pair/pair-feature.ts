import type { Feature } from '../registry.js';
import { PAIR_LINKS } from './pair-links.js';
import { PairView } from './PairView.js';

/** Pairing a new device: a code to show, or one to join with. */
export const pairFeature: Feature = {
  id: 'pair',
  label: 'Pair',
  View: PairView,
  links: PAIR_LINKS,
  // Joining is the least a node pairs by; showing a code (pair.new) is offered where it is served.
  needs: ['pair.join'],
};
