import { test } from 'node:test';
import assert from 'node:assert/strict';
import { agentOverrides, checkUiFlags } from '../../../src-main/cli/agent-flags.js';
import { DEFAULT_UI_LISTEN, settingsSchemas } from '../../../src-main/state/settings.js';
import { openerFor } from '../../../src-main/cli/ui-command.js';
import { agentVocabulary } from '../../helpers/agent-contract.js';

const saved = settingsSchemas(agentVocabulary).settingsSchema.parse({});

test('the web UI is on loopback by default', () => {
  assert.equal(DEFAULT_UI_LISTEN, '127.0.0.1:7476');
  assert.deepEqual(saved.ui, { listen: '127.0.0.1:7476', allowRemote: false });
  assert.deepEqual(agentOverrides({}, saved), {});
});

test('--ui-listen and --no-ui are saved like the other agent flags', () => {
  assert.deepEqual(agentOverrides({ uiListen: '127.0.0.1:0' }, saved).ui, {
    listen: '127.0.0.1:0',
    allowRemote: false,
  });
  assert.deepEqual(agentOverrides({ uiListen: '[::1]:9000' }, saved).ui, {
    listen: '[::1]:9000',
    allowRemote: false,
  });
  assert.deepEqual(agentOverrides({ ui: false }, saved).ui, { listen: null, allowRemote: false });
  // commander sets ui: true when --no-ui is absent: nothing changes
  assert.equal(agentOverrides({ ui: true }, saved).ui, undefined);
});

test('an address other machines can reach needs --allow-remote-ui, which is saved with it', () => {
  for (const listen of ['0.0.0.0:7476', '192.0.2.5:7476', '[::]:7476', 'nas.lan:7476']) {
    assert.throws(
      () => checkUiFlags({ uiListen: listen }),
      /reachable from other machines.*add --allow-remote-ui/,
    );
  }
  assert.deepEqual(agentOverrides({ uiListen: '0.0.0.0:7476', allowRemoteUi: true }, saved).ui, {
    listen: '0.0.0.0:7476',
    allowRemote: true,
  });
  const remote = { ...saved, ui: { listen: '0.0.0.0:7476', allowRemote: true } };
  // back to loopback: the consent is dropped with the remote address
  assert.deepEqual(agentOverrides({ uiListen: '127.0.0.1:7476' }, remote).ui, {
    listen: '127.0.0.1:7476',
    allowRemote: false,
  });
  assert.deepEqual(agentOverrides({ allowRemoteUi: true }, saved).ui, {
    listen: '127.0.0.1:7476',
    allowRemote: true,
  });
});

test('contradictions and bad addresses are refused', () => {
  assert.throws(() => checkUiFlags({ ui: false, uiListen: '127.0.0.1:1' }), /--no-ui contradicts/);
  assert.throws(() => checkUiFlags({ ui: false, allowRemoteUi: true }), /--no-ui contradicts/);
  assert.throws(() => checkUiFlags({ uiListen: 'nope' }), /is not HOST:PORT/);
  assert.throws(() => checkUiFlags({ uiListen: '127.0.0.1:70000' }), /port must be a number/);
});

test('the browser opener of each platform', () => {
  const url = 'http://127.0.0.1:7476/#token=ab';
  assert.deepEqual(openerFor(url, 'linux'), ['xdg-open', [url]]);
  assert.deepEqual(openerFor(url, 'darwin'), ['open', [url]]);
  assert.deepEqual(openerFor(url, 'win32'), ['cmd', ['/c', 'start', '""', url]]);
});
