/**
 * Rollup plugin for the CLI's bundle: every character outside ASCII in a chunk is written as a `\u`
 * escape (ADR 0068).
 *
 * V8 keeps each module's source text in the heap for the life of the process (functions compile from
 * it lazily), and a source with one character above U+00FF — an em dash in a comment, a `→` in a log
 * line — is kept as UTF-16, two bytes a character, the whole file: the agent's run-agent.js chunk, and
 * zod's and pino's, would take twice their size of an idle agent's heap
 * (docs/design/compiler-and-gc-tiers.md §What the bundles do for it). Escaped, every chunk is ASCII and
 * is kept one byte a character.
 *
 * The escape means the same character wherever it stands in JavaScript: in a string or a template
 * literal's value, in a regular expression (with or without the `u` flag: a character beyond the BMP
 * is written as its two UTF-16 halves, which both read as the one character), in an identifier, and
 * harmlessly in a comment. Only a tagged template's `raw` text would differ (it would show the escape):
 * no tagged template in the bundle has such a character (none did when this was written; the bundle's
 * one `String.raw`-like use, in @peculiar/x509, is ASCII).
 */
import type { Plugin } from 'vite';

/** `code` with every UTF-16 unit above U+007F written as `\uXXXX`. Pure. */
export function asciiOnly(code: string): string {
  // eslint-disable-next-line no-control-regex -- the range is what is escaped, not a control character
  return code.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * The plugin: applied to each chunk once every other plugin has rendered it (in generateBundle, not
 * renderChunk: Vite's own esbuild pass renders chunks after the plugins of a config do, and prints
 * such characters as they are).
 */
export function asciiSource(): Plugin {
  return {
    name: 'clawbridge-ascii-source',
    enforce: 'post',
    generateBundle(_options, bundle) {
      for (const chunk of Object.values(bundle)) {
        if (chunk.type === 'chunk') chunk.code = asciiOnly(chunk.code);
      }
    },
  };
}
