/**
 * The relay's page as a group's member (ADR 0094 §Groups), in Chromium on a fresh profile: a relay, O1
 * owning `lab` with O2 and O3 (marked mine to it; O3 stopped once added), `group invite lab` on O1. The
 * page opened on the invitation's link (`#groups?join=<link>`) has the Join group form filled in; it
 * joins with the code entered under Invitation code, lists lab with O2 and O3 and no owner's parts (no
 * New group, no invitations), learns the owner's `group allow` from O2. "Open terminal on o3", offline,
 * keeps the focus, opens nothing and says why (its description); "Open terminal on o2" opens a
 * terminal tab there where `echo $((6*7))` answers 42.
 * O1 removes the member: the terminal ends within 5 s, and lab is gone (a device told the page) or
 * says the page was removed, its Open terminal doing nothing, and Leave forgets it without knocking on o2.
 * Screenshots light and dark, at desktop width and on a 390 × 844 phone.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import type { InvitationInfo } from '../../src-main/group-members/group-members-contract.js';
import {
  browserMissing,
  card,
  launchBrowser,
  nav,
  screenshotThemes,
  waitForText,
} from '../helpers/browser.js';
import { groupsUntil, listGroups, mine, startGroupNode } from '../helpers/group-agents.js';
import { agentCall, cli, cliJson, startRelay, stopAll } from '../helpers/processes.js';
import { openRelayPage, run, shownFingerprint, terminalLive } from '../helpers/relay-page.js';
import { until } from '../helpers/wait.js';

const missing = browserMissing();
if (missing) console.log(`# ${missing}`);
after(stopAll);

/** The bound for a member to reach the group's devices, and for a removal to end its terminal. */
const JOIN_MS = 30_000;
const REMOVAL_MS = 5_000;

/** Screenshots of the page at a phone's width too, then back at the desktop's. */
async function screenshotsBothWidths(page: Page, name: string): Promise<void> {
  await screenshotThemes(page, name);
  await page.setViewportSize({ width: 390, height: 844 });
  await screenshotThemes(page, `${name}-phone`);
  await page.setViewportSize({ width: 1280, height: 800 });
}

test(
  'the relay page joins a group with its code, opens a terminal on its device, and removal ends it',
  { skip: missing ?? false },
  async () => {
    const relay = await startRelay();
    const printed = await relay.proc.waitForLine(/^relay page at (http:\/\/127\.0\.0\.1:\d+\/) sha256 /m);
    const pageUrl = printed[1]!;
    const [o1, o2, o3] = await Promise.all([
      startGroupNode('o1', 'pgroup', relay.url, false),
      startGroupNode('o2', 'pgroup', relay.url, false),
      startGroupNode('o3', 'pgroup', relay.url, false),
    ]);
    await mine(o1, o2);
    await mine(o1, o3);
    await cliJson(['group', 'create', 'lab', '--home', o1.home]);
    await cliJson(['group', 'add', 'lab', 'o2', 'o3', '--home', o1.home]);
    // o3 is a device of lab the page never reaches: offline all along.
    await o3.proc.stop();
    const invitation = await cliJson<InvitationInfo>(['group', 'invite', 'lab', '--home', o1.home]);

    const browser = await launchBrowser();
    try {
      const { page, errors } = await openRelayPage(browser, pageUrl);
      const fingerprint = await shownFingerprint(page);
      await nav(page, 'Groups').click();
      const view = page.getByRole('main', { name: 'Groups' });
      await view.waitFor();
      // The member's side only: a browser owns no group.
      assert.equal(await page.getByRole('region', { name: 'New group' }).count(), 0, 'no New group form');
      assert.equal(await page.getByRole('button', { name: 'Create group' }).count(), 0);
      await screenshotsBothWidths(page, 'browser-node-groups-empty');

      // The invitation's link opens the view with the form filled in.
      await page.goto(`${pageUrl}#groups?join=${encodeURIComponent(invitation.link)}`);
      const field = page.getByLabel('Invitation code');
      await until(
        'the link fills the Join group form',
        async () => (await field.inputValue()) === invitation.link,
      );

      // The code, entered by hand.
      await field.fill(invitation.code);
      await page.getByRole('button', { name: 'Join group' }).click();
      await waitForText(view, /Joined lab, invited by o1/, JOIN_MS);
      const lab = card(page, 'lab');
      await waitForText(lab, /o2/, JOIN_MS);
      const [owned] = await listGroups(o1);
      assert.deepEqual(
        owned?.members?.map((m) => m.root),
        [fingerprint],
        'the page is the member',
      );
      await waitForText(lab, /online, relay/, JOIN_MS);
      assert.equal(await lab.getByRole('button', { name: /^Drop|^Invite|^Remove|^Delete/ }).count(), 0);
      await screenshotsBothWidths(page, 'browser-node-groups-member');

      // The owner's `group allow` reaches the page from o2 (a sync when the view is opened again).
      await cliJson(['group', 'allow', 'lab', 'terminal,forward', '--home', o1.home]);
      await until(
        'the page shows the new words',
        async () => {
          await nav(page, 'Peers').click();
          await nav(page, 'Groups').click();
          return /may do there: terminal, forward/.test(await card(page, 'lab').innerText());
        },
        JOIN_MS,
      );

      // Open terminal on o3, offline: it stays (and keeps the focus) but opens nothing, and says why.
      await waitForText(lab.getByRole('listitem', { name: 'o3' }), /offline/, JOIN_MS);
      const openO3 = lab.getByRole('button', { name: 'Open terminal on o3' });
      assert.equal(await openO3.getAttribute('aria-disabled'), 'true', 'Open terminal on an offline device');
      const describedBy = (await openO3.getAttribute('aria-describedby')) ?? '';
      assert.equal(
        await page.locator(`[id="${describedBy}"]`).textContent(),
        'o3 is offline: it must be online for this',
        "the button's description says why",
      );
      // Pressed as a keyboard user would: it keeps the focus (aria-disabled), and does nothing.
      await openO3.focus();
      await page.keyboard.press('Enter');
      assert.equal(await view.count(), 1, 'still on Groups');
      assert.equal(await page.getByRole('tabpanel').count(), 0, 'no terminal tab opened');
      await screenshotThemes(page, 'browser-node-groups-device-offline');

      // Open terminal on o2: a terminal tab through the page's own terminal stream.
      await lab.getByRole('button', { name: 'Open terminal on o2' }).click();
      await page.getByRole('main', { name: 'Terminals' }).waitFor();
      await terminalLive(page);
      await run(page, 'echo $((6*7))', /^42$/m);
      assert.match(await page.getByRole('tab', { selected: true }).innerText(), /o2/);
      await screenshotsBothWidths(page, 'browser-node-groups-terminal');

      // The owner removes the member: the terminal ends within 5 s, and lab says o2 refuses the page.
      const member = owned?.members?.[0]?.name ?? '';
      const removed = await cli(['group', 'remove', 'lab', member, '--home', o1.home]);
      assert.equal(removed.code, 0, removed.stderr);
      await waitForText(page.getByRole('tabpanel').getByRole('status'), /The session ended/i, REMOVAL_MS);
      await screenshotThemes(page, 'browser-node-groups-removed-terminal');
      await groupsUntil(o1, 'lab lists no member', (g) => (g[0]?.members ?? []).length === 0);
      await nav(page, 'Groups').click();
      // Gone, where a group's device tells the removed member so; else shown as removed (the devices
      // refuse it), and Leave forgets it (no device would take a removed member's leave).
      const lab2 = card(page, 'lab');
      const shown = await until(
        'lab is gone or says the page was removed',
        async () => {
          // One read that does not wait: the card may go between a count and a read of its text, and a
          // read of a card that is gone waits for one to come.
          const [text] = await lab2.allInnerTexts();
          if (text === undefined) return 'gone';
          return /this browser was removed from the group/.test(text) && 'removed';
        },
        JOIN_MS,
      );
      await screenshotsBothWidths(page, `browser-node-groups-${shown}`);
      if (shown === 'removed') {
        assert.equal(
          await lab2.getByRole('button', { name: 'Open terminal on o2' }).getAttribute('aria-disabled'),
          'true',
          'Open terminal on a device that refuses the page',
        );
        await lab2.getByRole('button', { name: 'Leave lab' }).click();
        await until('lab is gone from the page', async () => (await lab2.count()) === 0, JOIN_MS);
      }
      await waitForText(view, /enter it under Invitation code/, JOIN_MS);
      assert.deepEqual(
        await agentCall(o2.home, 'pending.list', {}),
        [],
        'the page did not knock on o2 for its owner to approve',
      );
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
    }
  },
);
