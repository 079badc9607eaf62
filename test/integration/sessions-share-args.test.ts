/**
 * `clawbridge sessions share` names its viewers one way (docs/adr/0123-shared-terminals.md): peers
 * with `--with`, a group with `--group`, or a link with `--link`, never two; the CLI says so before it
 * asks any agent.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cli, tempHome } from '../helpers/processes.js';

const ID = '0123456789abcdef';

test('sessions share refuses two of --with, --group and --link, and none, saying what to give', async () => {
  const home = tempHome('share-args');
  const both = await cli(['sessions', 'share', ID, '--with', 'carol', '--group', 'team', '--home', home]);
  assert.notEqual(both.code, 0, 'both together fail');
  assert.match(both.stderr, /give one of --with NAME, --group G or --link/, `says why: ${both.stderr}`);
  const linkToo = await cli(['sessions', 'share', ID, '--with', 'carol', '--link', '--home', home]);
  assert.notEqual(linkToo.code, 0, 'a link and a peer together fail');
  assert.match(linkToo.stderr, /give one of --with NAME, --group G or --link/, `says why: ${linkToo.stderr}`);
  const neither = await cli(['sessions', 'share', ID, '--home', home]);
  assert.notEqual(neither.code, 0, 'neither fails');
  assert.match(
    neither.stderr,
    /'--with <name>', '--group <group>' or '--link'/,
    `says what to give: ${neither.stderr}`,
  );
});
