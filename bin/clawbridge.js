#!/usr/bin/env node
// Thin launcher so `npx clawbridge` works from the compiled output (built by `npm run build` / `prepare`).
import('../dist/src-main/cli/main.js').catch((err) => {
  if (err && err.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('dist/src-main')) {
    console.error(
      'clawbridge is not built yet: run `npm run build` in the clawbridge folder, then try again',
    );
    process.exit(1);
  }
  throw err;
});
