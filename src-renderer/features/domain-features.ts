/**
 * The domains' features of the window, in the order of the domains' list (src-main/app/domains.ts):
 * each domain that has one names its folder here in its description (`window: 'terminals'`). The
 * window's builds replace this module with one that imports each by name (scripts/domain-features.ts,
 * a plugin of vite.config.ts and scripts/vite-web-node.config.ts; ADR 0111), so no one keeps this list
 * by hand. This source is what the typecheck reads; a build without the plugin stops here rather than
 * show a window without the domains' views.
 */
import type { Feature } from './registry.js';

function writtenByTheBuild(): never {
  throw new Error(
    'src-renderer/features/domain-features.ts is written by the build: add the domainFeatures plugin (scripts/domain-features.ts) to this Vite config',
  );
}

export const DOMAIN_FEATURES: readonly Feature[] = writtenByTheBuild();
