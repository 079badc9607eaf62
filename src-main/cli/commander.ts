/**
 * commander's classes, loaded with require: commander is a CommonJS package, and importing it as ESM
 * makes Node 20 scan its source for named exports and wrap it on every command's start-up (require
 * skips that scan; docs/design/loading-on-demand.md). Types still come from
 * `import type … from 'commander'`.
 */
import { createRequire } from 'node:module';
import type * as Commander from 'commander';

const commander = createRequire(import.meta.url)('commander') as typeof Commander;

export const { Command, CommanderError, Option } = commander;
