/**
 * Rollup plugin for the CLI's bundle: zod's `z` without the parts no code of ours reaches (ADR 0115).
 *
 * `import { z } from 'zod'` is a namespace the code reads by property (`z.object`, `z.iso.datetime`), so
 * the bundler keeps everything that namespace exports: `z.locales` (62 translations of its error
 * messages), `z.core`, JSON Schema in both directions, `deepPartial` and the schema compiler. They made a
 * 330 KB chunk (external.js) that every agent parsed at start and whose source its heap kept for good.
 * The plugin drops those exports from zod's module as the bundle reads it; English messages stay (zod
 * registers them from schemas.js on the first schema). A zod that no longer has a line the plugin drops
 * fails the build, which says which: update the list below with it.
 */
import type { Plugin } from 'vite';

/** The module that makes `z` (zod 4's classic API). */
const EXTERNAL = /\/node_modules\/zod\/v4\/classic\/external\.js$/;

/** Each export the bundle leaves out; none is named in src-main (test/packaging/zod-lean.test.ts). */
const DROPPED: readonly RegExp[] = [
  /^export \* as locales from "\.\.\/locales\/index\.js";$/m,
  /^export \* as core from "\.\.\/core\/index\.js";$/m,
  /^export \{ toJSONSchema \} from "[^"]+";$/m,
  /^export \{ fromJSONSchema \} from "[^"]+";$/m,
  /^export \{ deepPartial \} from "[^"]+";$/m,
  /\bcompile, withParser, ZodCompileAsyncError, ZodCompileUnsupportedError, /,
];

/** zod's external.js without the DROPPED exports; throws when one is not there. Pure. */
export function leanZod(code: string): string {
  let out = code;
  for (const line of DROPPED) {
    if (!line.test(out))
      throw new Error(
        `zod-lean: zod's classic/external.js no longer has ${String(line)}: update DROPPED in scripts/zod-lean.ts for this zod`,
      );
    out = out.replace(line, '');
  }
  return out;
}

export function zodLean(): Plugin {
  return {
    name: 'clawbridge-zod-lean',
    transform(code, id) {
      return EXTERNAL.test(id) ? { code: leanZod(code), map: null } : null;
    },
  };
}
