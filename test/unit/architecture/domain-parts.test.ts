/**
 * A domain's part of the CLI lives in its folder (`messages/cli/`, docs/adr/0086) and belongs to the
 * `cli` layer (scripts/layers.mjs DOMAIN_PARTS): lint lets it use the CLI's shared pieces, refuses it
 * what the CLI may not import either, and refuses the domain's own files (and every layer below the
 * CLI) an import of it. The probes lint real files with one import added, as an editor would.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { layerFolderOf } from '../../../scripts/layers.mjs';
import { layerMessages } from '../../helpers/layer-lint.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));

async function layerErrors(file: string, importLine: string, use: string): Promise<string[]> {
  const text = `${importLine}\nvoid ${use};\n${readFileSync(`${root}/${file}`, 'utf8')}`;
  return (await layerMessages(file, text)).map((m) => m.message);
}

test("a domain's cli/ part counts in the cli layer; other nested folders in their top folder's", () => {
  assert.equal(layerFolderOf('messages/cli'), 'cli');
  assert.equal(layerFolderOf('forwards/cli'), 'cli');
  assert.equal(layerFolderOf('cli'), 'cli');
  assert.equal(layerFolderOf('terminal/sessions'), 'terminal');
  assert.equal(layerFolderOf('messages'), 'messages');
});

test("a domain's cli/ part may import the CLI's shared pieces, and its own domain", async () => {
  assert.deepEqual(
    await layerErrors(
      'src-main/messages/cli/msg-format.ts',
      "import { printLine as p2 } from '../../cli/output.js';\nimport { MESSAGES_DIR } from '../message-store.js';",
      'p2, MESSAGES_DIR',
    ),
    [],
  );
});

test("a domain's cli/ part may not import what the CLI may not (the desktop app)", async () => {
  const errors = await layerErrors(
    'src-main/messages/cli/msg-format.ts',
    "import { connectAgentClient } from '../../electron/agent-client.js';",
    'connectAgentClient',
  );
  assert.equal(errors.length, 1);
  assert.match(errors[0]!, /cli points up the layer order/);
});

test("the domain's own files, and a lower layer, may not import its cli/ part", async () => {
  for (const file of ['src-main/messages/inbox.ts', 'src-main/api/control-client.ts']) {
    const errors = await layerErrors(
      file,
      "import { messagesCli } from '../messages/cli/messages-cli.js';",
      'messagesCli',
    );
    assert.equal(errors.length, 1, file);
    assert.match(errors[0]!, /points up the layer order/, file);
  }
});
