/**
 * The CLI's bundle without zod's unused parts (scripts/zod-lean.ts, ADR 0115): what an agent started
 * from the built bundle loads holds none of zod's 62 translations nor its JSON Schema reader, and no
 * code of ours names what the bundle leaves out. Needs `npm run build` first (`npm test` does it).
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { leanZod } from '../../scripts/zod-lean.js';
import { exitProbe, loadedAtExit } from '../helpers/loaded-at-exit.js';
import { startAgent, stopAll, tempHome } from '../helpers/processes.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const CLI = join(root, 'dist/cli/bundle/clawbridge.js');
const skip = existsSync(CLI) ? false : 'dist/cli/bundle/clawbridge.js is not built: run `npm run build`';

/** The sources (as their maps name them) of every chunk of the bundle that `files` holds. */
function sourcesOf(files: string[]): string[] {
  return files
    .filter((f) => f.endsWith('.js') && f.includes('/dist/cli/bundle/'))
    .flatMap((f) => {
      const map = `${f}.map`;
      return existsSync(map) ? (JSON.parse(readFileSync(map, 'utf8')) as { sources: string[] }).sources : [];
    });
}

describe("the CLI bundle's zod", { skip }, () => {
  after(stopAll);

  it('an agent started from the bundle loads no zod locale but English, nor its reading of JSON Schema', async () => {
    const home = tempHome('zod-lean');
    await promisify(execFile)(process.execPath, [CLI, 'id', '--home', home], { timeout: 30_000 });
    const agent = await startAgent(home, { listen: '127.0.0.1:0', node: exitProbe(home) });
    // The agent answers a command that validates with zod's schemas once it is up.
    const status = await promisify(execFile)(process.execPath, [CLI, 'status', '--home', home], {
      timeout: 30_000,
    }).catch((e: unknown) => ({ stdout: String(e) }));
    await agent.stop();
    const err = agent.stderr();
    assert.match(status.stdout, /direct: 127\.0\.0\.1:\d+/, `status answered: ${status.stdout}`);
    const zod = sourcesOf(loadedAtExit(err).files).filter((s) => s.includes('/node_modules/zod/'));
    assert.ok(
      zod.some((s) => s.endsWith('/zod/v4/classic/schemas.js')),
      `the probe sees zod's schemas loaded: ${zod.length} zod sources`,
    );
    const unused = zod.filter(
      (s) =>
        (s.includes('/zod/v4/locales/') && !s.endsWith('/locales/en.js')) ||
        /from-json-schema|json-schema-generator|deep-partial/.test(s),
    );
    assert.deepEqual(unused, [], "the agent loaded zod's unused parts");
  });

  it('leanZod drops the exports from the installed zod and refuses a zod without them', () => {
    const require = createRequire(import.meta.url);
    const external = join(dirname(require.resolve('zod/package.json')), 'v4/classic/external.js');
    const code = readFileSync(external, 'utf8');
    const lean = leanZod(code);
    assert.ok(!lean.includes('locales') && !lean.includes('toJSONSchema'), `left: ${lean}`);
    assert.ok(lean.includes('export * as iso from "./iso.js"'), 'z.iso stays (audit-events.ts uses it)');
    assert.throws(() => leanZod(lean), /update DROPPED in scripts\/zod-lean\.ts/);
  });

  it('no module of src-main reaches what the bundle leaves out of `z`', () => {
    const files = execFileSync('git', ['ls-files', 'src-main'], { cwd: root, encoding: 'utf8' })
      .split('\n')
      .filter((f) => /\.tsx?$/.test(f));
    const using = files.filter((f) =>
      /\bz\.(locales|core|toJSONSchema|fromJSONSchema|deepPartial|compile|withParser)\b|from 'zod\/v4\/(core|locales)/.test(
        readFileSync(join(root, f), 'utf8'),
      ),
    );
    assert.deepEqual(using, [], 'these name a part of zod the CLI bundle drops (scripts/zod-lean.ts)');
  });
});
