/**
 * The features the node behind the window serves (registry.ts Feature `needs`, ADR 0094): all of them
 * where it serves every method (`serves` absent: an agent behind the window), else those that say
 * what they need and get all of it. Pure, with no React, so node:test checks it.
 */
export function servedFeatures<F extends { readonly needs?: readonly string[] }>(
  features: readonly F[],
  serves: ((method: string) => boolean) | undefined,
): readonly F[] {
  if (!serves) return features;
  return features.filter((f) => f.needs !== undefined && f.needs.every((m) => serves(m)));
}
