#!/usr/bin/env node
// Thin launcher so `npx clawbridge` works from the built bundle (dist/cli/bundle/, made by `npm run build` /
// `prepare`; scripts/vite-cli.config.ts).
import('../dist/cli/bundle/clawbridge.js').catch((err) => {
  if (err && err.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('dist/cli/bundle')) {
    console.error(
      'clawbridge is not built yet: run `npm run build` in the clawbridge folder, then try again',
    );
    process.exit(1);
  }
  throw err;
});
