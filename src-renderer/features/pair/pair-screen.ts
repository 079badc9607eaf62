/**
 * The code that "Pair new device" shows right now (PairNew.tsx sets it while it is open), so that
 * Approvals does not toast a request the Pair view already announces (approvals/request-notices.ts).
 * Pair's own service (lib/feature-services.ts): Approvals reads it through the key exported here.
 */
import { serviceKey } from '../../lib/feature-services.js';

export class PairScreen {
  code: string | null = null;
}

export const PAIR_SCREEN = serviceKey('pair.screen', () => new PairScreen());
