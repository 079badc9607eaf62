/**
 * Rollup plugin for the bundles: a dependency that reads its own package.json at run time
 * (`createRequire(import.meta.url)('../../package.json')`, @achingbrain/ssdp for its SSDP signature)
 * finds nothing beside a bundled chunk; the read is replaced by the JSON it would have read, at build.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Plugin } from 'vite';

const READ = /\breq\((['"])(\.\.\/)+package\.json\1\)/g;

export function inlinePackageJson(): Plugin {
  return {
    name: 'inline-package-json',
    transform(code, id) {
      if (!id.includes('node_modules') || !code.includes('package.json')) return undefined;
      const replaced = code.replace(READ, (call: string) => {
        const path = resolve(dirname(id), /\((['"])(.*)\1\)/.exec(call)![2]!);
        const { name, version } = JSON.parse(readFileSync(path, 'utf8')) as { name: string; version: string };
        return `(${JSON.stringify({ name, version })})`;
      });
      return replaced === code ? undefined : { code: replaced, map: null };
    },
  };
}
