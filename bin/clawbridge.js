#!/usr/bin/env node
// Thin launcher so `npx clawbridge` works from the built bundle (dist/cli/bundle/, made by `npm run build` /
// `prepare`; scripts/vite-cli.config.ts). CommonJS, as the bundle (bin/package.json, ADR 0121): an ES
// module here would start Node's ES module loader, which an agent would then keep for its whole life.
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const entry = join(__dirname, '..', 'dist', 'cli', 'bundle', 'clawbridge.js');
if (!existsSync(entry)) {
  console.error('clawbridge is not built yet: run `npm run build` in the clawbridge folder, then try again');
  process.exit(1);
}
require(entry);
