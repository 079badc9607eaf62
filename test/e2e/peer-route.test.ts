/**
 * A peer's saved route set from the window (docs/adr/0017-multi-hop-routes.md): three agents as real
 * processes on loopback, A's web UI in Chromium. A routes c through b with the peer card's Route…
 * dialog, `clawbridge peers --json` on A shows it, a looping route is refused inside the dialog with
 * the agent's words, and Clear route takes the route away. Screenshots light and dark.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import {
  browserMissing,
  card,
  launchBrowser,
  openUi,
  screenshotThemes,
  toast,
  uiUrl,
  waitForText,
  type UiPage,
} from '../helpers/browser.js';
import { cli, peerOf, stopAll, tempHome, startAgent } from '../helpers/processes.js';

const skip = browserMissing();
if (skip) console.log(`# ${skip}`);

const homes = { a: '', b: '', c: '' };
let browser: Browser | undefined;
let A: UiPage;

/** Node `name` listening on loopback (only `a` with its web UI); its fingerprint. */
async function startNode(name: 'a' | 'b' | 'c'): Promise<string> {
  homes[name] = tempHome(`e2e-route-${name}`);
  return (await startAgent(homes[name], { name, listen: '127.0.0.1:0', ui: name === 'a' })).fingerprint;
}

before(async () => {
  if (skip) return;
  const [, b, c] = await Promise.all([startNode('a'), startNode('b'), startNode('c')]);
  // Trusted on A by fingerprint: a route is saved whether or not its hops are reachable now.
  for (const [name, fp] of [
    ['b', b],
    ['c', c],
  ] as const) {
    const r = await cli(['peers', 'add', fp, '--name', name, '--allow', 'terminal', '--home', homes.a]);
    assert.equal(r.code, 0, r.stderr);
  }
  browser = await launchBrowser();
  A = await openUi(browser, await uiUrl(homes.a));
  await card(A.page, 'c').waitFor();
});

after(async () => {
  await browser?.close();
  await stopAll();
});

test('a route set, refused and cleared through the peer card', { skip: skip ?? false }, async () => {
  const { page } = A;
  const c = card(page, 'c');
  await c.getByRole('button', { name: 'Route for c' }).click();
  const dialog = page.getByRole('dialog', { name: 'Route to c' });
  await dialog.waitFor();
  // The peer itself is never offered as a hop.
  const hop1 = dialog.getByLabel('Hop 1');
  assert.deepEqual(await hop1.locator('option').allTextContents(), ['(none)', 'b']);
  await hop1.selectOption({ label: 'b' });
  await dialog.getByRole('button', { name: 'Save' }).click();
  await toast(page, 'Route to c saved').waitFor();
  await dialog.waitFor({ state: 'detached' });
  await waitForText(c, /via b\b/);
  assert.deepEqual((await peerOf(homes.a, 'c'))?.route, ['b']);
  await screenshotThemes(page, 'peer-route-card');

  // A hop twice: the agent's refusal stays in the dialog, with what was chosen.
  await c.getByRole('button', { name: 'Route for c' }).click();
  await dialog.waitFor();
  assert.equal(await hop1.inputValue(), (await peerOf(homes.a, 'b'))?.fingerprint, 'the saved hop');
  await dialog.getByLabel('Hop 2').selectOption({ label: 'b' });
  await dialog.getByRole('button', { name: 'Save' }).click();
  await waitForText(dialog.getByRole('alert'), /hop b comes twice: a route may not loop/);
  assert.equal(await dialog.getByLabel('Hop 2').getAttribute('aria-invalid'), 'true');
  await screenshotThemes(page, 'peer-route-dialog-error');
  assert.deepEqual((await peerOf(homes.a, 'c'))?.route, ['b'], 'nothing saved');

  await dialog.getByRole('button', { name: 'Clear route' }).click();
  await toast(page, 'Route to c cleared').waitFor();
  await dialog.waitFor({ state: 'detached' });
  assert.equal((await peerOf(homes.a, 'c'))?.route, null);
  assert.doesNotMatch(await c.innerText(), /via b/);
  assert.deepEqual(A.errors, []);
});
