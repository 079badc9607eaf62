#!/usr/bin/env node
// Runs npm scripts side by side and fails when any of them fails: `npm test` runs lint, typecheck and
// build this way, since none of them reads what another writes (eslint and prettier skip dist/, tsc
// -p tsconfig.json emits nothing) and on two cores they took 131 s one after another. Each script's
// output is held and printed whole when it ends, so two scripts' lines never interleave.
import { spawn } from 'node:child_process';

const names = process.argv.slice(2);
if (names.length === 0) {
  console.error('usage: node scripts/run-side-by-side.mjs SCRIPT [SCRIPT…] (npm scripts of package.json)');
  process.exit(2);
}
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
console.log(`running ${names.join(', ')} side by side…`);

/** @param {string} name @returns {Promise<boolean>} */
function run(name) {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const child = spawn(npm, ['run', '-s', name], {
      stdio: ['ignore', 'pipe', 'pipe'],
      shell: process.platform === 'win32',
    });
    /** @type {Buffer[]} */
    const out = [];
    child.stdout.on('data', (d) => out.push(d));
    child.stderr.on('data', (d) => out.push(d));
    const end = (/** @type {string} */ how, /** @type {boolean} */ ok) => {
      const s = ((performance.now() - t0) / 1000).toFixed(0);
      process.stdout.write(`── ${name}: ${how} after ${s} s\n`);
      process.stdout.write(Buffer.concat(out));
      resolve(ok);
    };
    child.on('error', (err) => end(`could not start (${err.message})`, false));
    child.on('close', (code, signal) =>
      end(code === 0 ? 'passed' : `failed (${signal ?? `exit ${code}`})`, code === 0),
    );
  });
}

const results = await Promise.all(names.map(run));
const failed = names.filter((_, i) => !results[i]);
if (failed.length > 0) {
  console.error(`failed: ${failed.join(', ')}`);
  process.exit(1);
}
