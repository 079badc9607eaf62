/**
 * The CLI's bundle is CommonJS (scripts/vite-cli.config.ts, ADR 0121): an agent started as users start
 * it (bin/clawbridge.js) loads its chunks with `require` and never loads an ES module, so Node's ES
 * module loader (its code, module records and jobs, ~1.4 MB of an idle agent's RSS) never runs. Needs
 * `npm run build` first (`npm test` does it).
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { exitProbe, loadedAtExit } from '../helpers/loaded-at-exit.js';
import { cli, startAgent, stopAll, tempHome } from '../helpers/processes.js';

const BUNDLE = fileURLToPath(new URL('../../dist/cli/bundle/', import.meta.url));
const skip = existsSync(join(BUNDLE, 'clawbridge.js'))
  ? false
  : 'dist/cli/bundle/clawbridge.js is not built: run `npm run build`';

/** Node's modules that load only when an ES module is imported (its jobs and its source translators). */
const ES_MODULE_LOADING = ['internal/modules/esm/module_job', 'internal/modules/esm/translators'];

describe('the CLI bundle as CommonJS', { skip }, () => {
  after(stopAll);

  it("the bundle's folder tells Node its .js files are CommonJS", () => {
    const pkg = JSON.parse(readFileSync(join(BUNDLE, 'package.json'), 'utf8')) as { type?: string };
    assert.equal(pkg.type, 'commonjs');
  });

  it('an agent started from bin/clawbridge.js requires its chunks and imports no ES module', async () => {
    const home = tempHome('cli-commonjs');
    await cli(['id', '--home', home]);
    const agent = await startAgent(home, { listen: '127.0.0.1:0', node: exitProbe(home) });
    await agent.stop();
    const seen = loadedAtExit(agent.stderr());
    // `require` names each file by its real path; a test may run from a mirror of links.
    const real = `${realpathSync(BUNDLE)}/`;
    const chunks = seen.files.filter((f) => f.startsWith(real));
    assert.ok(
      chunks.some((f) => f.endsWith('/run-agent.js')),
      `the agent's chunks are required: ${chunks.length} of the bundle's files`,
    );
    const esm = seen.builtins.filter((m) => ES_MODULE_LOADING.some((name) => m.endsWith(` ${name}`)));
    assert.deepEqual(esm, [], 'an ES module was loaded');
  });
});
