/**
 * `clawbridge sessions share` names its viewers one way (docs/adr/0123-shared-terminals.md): peers
 * with `--with`, or a group with `--group`, never both; the CLI says so before it asks any agent.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cli, tempHome } from '../helpers/processes.js';

const ID = '0123456789abcdef';

test('sessions share refuses --with and --group together, and neither, saying what to give', async () => {
  const home = tempHome('share-args');
  const both = await cli(['sessions', 'share', ID, '--with', 'carol', '--group', 'team', '--home', home]);
  assert.notEqual(both.code, 0, 'both together fail');
  assert.match(both.stderr, /--with NAME or --group G, not both/, `says why: ${both.stderr}`);
  const neither = await cli(['sessions', 'share', ID, '--home', home]);
  assert.notEqual(neither.code, 0, 'neither fails');
  assert.match(
    neither.stderr,
    /'--with <name>' or '--group <group>'/,
    `says what to give: ${neither.stderr}`,
  );
});
