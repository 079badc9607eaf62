import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startAgent, stopAll, tempHome } from '../helpers/processes.js';

/**
 * The CLI as tsc writes it, one file a module: what a command imports shows there package by package.
 * `bin/clawbridge.js` runs the bundle of the same modules (ADR 0064), which inlines the packages, so a
 * probe cannot tell them apart in it; the bundle keeps every dynamic import of this graph a chunk of
 * its own, so what is lazy here is lazy there.
 */
const CLI = fileURLToPath(new URL('../../dist/src-main/cli/main.js', import.meta.url));

/**
 * Packages a command's start-up parses only when it needs them: the certificate builder (with its
 * ASN.1 schemas) when an identity is generated, the agent's network, logging and metrics modules
 * when an agent or relay runs. Each cost `clawbridge id` tenths of a second on every call.
 */
const HEAVY = ['@peculiar/x509', 'ws', 'pino', 'prom-client', 'bonjour-service'];

/** Prints, at exit, which of HEAVY the process loaded (CommonJS packages land in require.cache). */
const PROBE = `data:text/javascript,${encodeURIComponent(`
import { createRequire } from 'node:module';
const cache = createRequire('/').cache;
process.on('exit', () => {
  const loaded = ${JSON.stringify(HEAVY)}.filter((p) => Object.keys(cache).some((k) => k.includes('/node_modules/' + p + '/')));
  process.stderr.write('LOADED ' + JSON.stringify(loaded) + '\\n');
});`)}`;

async function loadedBy(args: string[]): Promise<{ stdout: string; loaded: string[] }> {
  const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--import', PROBE, CLI, ...args], {
    timeout: 20_000,
  });
  const line = stderr.split('\n').find((l) => l.startsWith('LOADED '));
  assert.ok(line, `the probe printed nothing: ${stderr}`);
  return { stdout, loaded: JSON.parse(line.slice('LOADED '.length)) as string[] };
}

/** Writes `ESM <url>` to stderr for every package module the ESM loader resolves (off-thread hooks). */
const ESM_PROBE = `data:text/javascript,${encodeURIComponent(`
import { register } from 'node:module';
register('data:text/javascript,' + encodeURIComponent(\`
import { writeSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  if (r.url.includes('/node_modules/')) writeSync(2, 'ESM ' + r.url + '\\\\n');
  return r;
}\`));`)}`;

/** The packages whose modules the ESM loader resolved for `args` (the command may fail). */
async function importedBy(args: string[]): Promise<string[]> {
  const r = await new Promise<string>((resolve) => {
    execFile(
      process.execPath,
      ['--import', ESM_PROBE, CLI, ...args],
      { timeout: 20_000 },
      (_err, _out, err) => resolve(err),
    );
  });
  const urls = r
    .split('\n')
    .filter((l) => l.startsWith('ESM '))
    .map((l) => l.slice(4));
  return [...new Set(urls.map((u) => /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(u)?.[1] ?? u))];
}

describe('what a command parses at start-up', () => {
  after(stopAll);

  it('`id` loads the certificate builder only to create the identity, and never the agent', async () => {
    const home = tempHome('startup-id');
    const first = await loadedBy(['id', '--home', home]);
    assert.match(first.stdout, /[0-9a-f]{64}/);
    assert.deepEqual(
      first.loaded,
      ['@peculiar/x509'],
      'generating the identity needs the builder (the probe sees it)',
    );
    const again = await loadedBy(['id', '--home', home]);
    assert.equal(again.stdout, first.stdout, 'the same identity');
    assert.deepEqual(again.loaded, [], 'reading an identity loads none of them');
  });

  it('`--version` loads no command module, and `--help` none of the agent: each parsed the whole agent (~1 s)', async () => {
    const { stdout, loaded } = await loadedBy(['--version']);
    assert.match(stdout, /^\d+\.\d+\.\d+/);
    assert.deepEqual(loaded, []);
    const help = await loadedBy(['--help']);
    assert.match(help.stdout, /Commands:[\s\S]*agent[\s\S]*relay/, 'the help lists every command');
    assert.deepEqual(help.loaded, []);
  });

  it('`term` loads no table code, and commander is required, not imported (each ~4 ms of start-up)', async () => {
    // No agent runs for this home: term fails after its start-up, with every module it needs loaded.
    const imported = await importedBy(['term', 'b', '--home', tempHome('startup-term'), '--', 'true']);
    assert.ok(!imported.includes('get-east-asian-width'), `term imported ${imported.join(', ')}`);
    assert.ok(!imported.includes('commander'), `term imported ${imported.join(', ')}`);
    // The probe sees what a command does import: a table's column widths.
    const peers = await importedBy(['peers', '--home', tempHome('startup-peers')]);
    assert.ok(peers.includes('get-east-asian-width'), `peers imported ${peers.join(', ')}`);
  });

  it('`agent` on a home with an identity loads neither the certificate builder nor the relay server', async () => {
    const home = tempHome('startup-agent');
    await loadedBy(['id', '--home', home]);
    const agent = await startAgent(home, {
      listen: '127.0.0.1:0',
      entry: 'modules',
      node: ['--import', PROBE],
    });
    await agent.stop();
    const err = agent.stderr();
    const line = err.split('\n').find((l) => l.startsWith('LOADED '));
    assert.ok(line, `the probe printed nothing: ${err}`);
    const loaded = JSON.parse(line.slice('LOADED '.length)) as string[];
    assert.ok(loaded.includes('ws'), 'the probe sees what the agent does load');
    assert.ok(!loaded.includes('@peculiar/x509'), `loaded ${loaded.join(', ')}`);
    assert.ok(!loaded.includes('prom-client'), `loaded ${loaded.join(', ')}`);
  });
});
