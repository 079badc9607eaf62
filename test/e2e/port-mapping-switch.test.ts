/**
 * Settings → Connections → the "Port mapping" switch in Chromium, against a real agent's web UI
 * (docs/adr/0081-direct-across-nats.md): found by its role and accessible name inside the Connections
 * card, toggled as a person does, and the agent's own `settings.get` says the new value each time.
 * Screenshots of the card, light and dark, go to test-results/screenshots/.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import {
  browserMissing,
  launchBrowser,
  nav,
  openUi,
  screenshotThemes,
  uiUrl,
  type UiPage,
} from '../helpers/browser.js';
import { agentCall, startRelay, startRelayAgent, stopAll, tempHome } from '../helpers/processes.js';
import { until } from '../helpers/wait.js';

const skip = browserMissing();
if (skip) console.log(`# ${skip}`);

let browser: Browser | undefined;
let ui: UiPage;
let home = '';

before(async () => {
  if (skip) return;
  const relay = await startRelay();
  home = tempHome('e2e-port-mapping');
  await startRelayAgent(home, 'a', relay.url, ['--ui-listen', '127.0.0.1:0']);
  browser = await launchBrowser();
  ui = await openUi(browser, await uiUrl(home));
});

after(async () => {
  await browser?.close();
  await stopAll();
});

const portMapping = async () => (await agentCall(home, 'settings.get', {})).portMapping;

test(
  'the Port mapping switch in the Connections card turns the setting off and on',
  { skip: skip ?? false, timeout: 60_000 },
  async () => {
    const { page } = ui;
    await nav(page, 'Settings').click();
    const connections = page.getByRole('region', { name: 'Connections' });
    const toggle = connections.getByRole('switch', { name: 'Port mapping' });
    await toggle.waitFor({ timeout: 15_000 });
    assert.equal(await portMapping(), true, 'on by default');
    assert.equal(await toggle.isChecked(), true);
    await screenshotThemes(page, 'settings-port-mapping-on');

    await toggle.click();
    await until('settings.get says port mapping is off', async () => (await portMapping()) === false, 10_000);
    await until('the switch shows off', async () => !(await toggle.isChecked()), 10_000);
    await screenshotThemes(page, 'settings-port-mapping-off');

    await toggle.click();
    await until('settings.get says port mapping is on', async () => (await portMapping()) === true, 10_000);
    await until('the switch shows on', () => toggle.isChecked(), 10_000);
    assert.deepEqual(ui.errors, []);
  },
);
