/**
 * The Groups view in Chromium, both sides, through accessible names: real agents on loopback with a
 * relay. The owner's window (O1, with O2 marked mine) creates `lab`, adds O2 and invites: a code and
 * its link appear. The member's window (M1) enters a wrong code, is told of a refused link, is opened
 * on the invitation's link (as the desktop app opens clawbridge://group?…), joins with it, and sees
 * lab's device O2 with its state and an "Open terminal on o2" button, which opens a terminal there.
 * The owner's session history of lab: empty at first, then the member's terminal on o2, open, then
 * ended once the owner removes the member (it leaves the owner's list, and o2 stops being online to
 * the member); an invitation past its TTL, or cancelled elsewhere, is no longer offered; with o2
 * stopped, the history says o2 could not be asked, and with O1's agent stopped, that it is read once
 * the agent is back. Screenshots light and dark. Before all that, a window of its own shows the
 * Groups view four times and asks for the groups once.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Locator, Page } from 'playwright-core';
import {
  browserMissing,
  card,
  launchBrowser,
  nav,
  openUi,
  screenshotThemes,
  toast,
  uiUrl,
  waitForScreen,
  waitForText,
  UNNAMED,
  assertWithin,
  type UiPage,
} from '../helpers/browser.js';
import { pairMine, type LoopbackNode } from '../helpers/loopback-nodes.js';
import {
  agentCall,
  startAgent,
  startRelay,
  stopAll,
  tempHome,
  type AgentProc,
} from '../helpers/processes.js';
import { until } from '../helpers/wait.js';

const skip = browserMissing();
if (skip) console.log(`# ${skip}`);

/** The bound for a member to see the group's devices (and for a removal to reach it). */
const GROUP_MS = 30_000;

let browser: Browser | undefined;
let owner: UiPage;
let member: UiPage;
const nodes: Record<'o1' | 'o2' | 'm1', LoopbackNode & { proc: AgentProc }> = {} as never;

async function startNode(name: 'o1' | 'o2' | 'm1', relay: string, ui: boolean): Promise<void> {
  const home = tempHome(`e2e-groups-${name}`);
  const proc = await startAgent(home, { name, relay, listen: '127.0.0.1:0', ui });
  nodes[name] = { name, home, fingerprint: proc.fingerprint, address: proc.listen ?? '', proc };
}

/** The card of group `name` in the view (a list item named by its heading). */
const groupCard = (page: Page, name: string): Locator => card(page, name);

before(async () => {
  if (skip) return;
  const relay = (await startRelay()).url;
  await Promise.all([
    startNode('o1', relay, true),
    startNode('o2', relay, false),
    startNode('m1', relay, true),
  ]);
  await pairMine(nodes.o1, nodes.o2, true);
  browser = await launchBrowser();
  owner = await openUi(browser, await uiUrl(nodes.o1.home));
  member = await openUi(browser, await uiUrl(nodes.m1.home));
});

after(async () => {
  await browser?.close();
  await stopAll();
});

test(
  'the groups are read once: showing the Groups view again asks the agent nothing',
  { skip: skip ?? false, timeout: 120_000 },
  async () => {
    // A page of its own, so every request it sends over its WebSocket is counted from the start.
    const context = await browser!.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    const asked: string[] = [];
    page.on('websocket', (ws) =>
      ws.on('framesent', ({ payload }) => {
        if (typeof payload !== 'string') return;
        const frame = JSON.parse(payload) as { type?: string; method?: string };
        if (frame.type === 'request' && frame.method) asked.push(frame.method);
      }),
    );
    await page.goto(await uiUrl(nodes.o1.home));
    const empty = page.getByText(/A group shares some of your devices with other people/);
    for (let shown = 0; shown < 3; shown++) {
      await nav(page, 'Groups').click();
      await empty.waitFor({ timeout: 15_000 });
      await nav(page, 'Peers').click();
      await page.getByRole('heading', { name: 'Peers', level: 1 }).waitFor({ timeout: 15_000 });
    }
    await nav(page, 'Groups').click();
    await empty.waitFor({ timeout: 15_000 });
    // A round trip through the page, so a request sent on showing the view has been seen.
    await page.evaluate(() => 0);
    assert.equal(
      asked.filter((m) => m === 'groups.list').length,
      1,
      `groups.list asked once, not each time the view is shown: ${asked.join(', ')}`,
    );
    await context.close();
  },
);

test(
  'the owner creates lab, adds o2 and invites; the member joins with the code, opens a terminal on o2, and is removed',
  { skip: skip ?? false, timeout: 240_000 },
  async () => {
    const o = owner.page;
    await nav(o, 'Groups').click();
    // By keyboard: the name, then Enter.
    await o.getByRole('textbox', { name: 'Group name' }).fill('lab');
    await o.getByRole('textbox', { name: 'Group name' }).press('Enter');
    const lab = groupCard(o, 'lab');
    await lab.waitFor({ timeout: 15_000 });
    await lab.getByRole('combobox', { name: 'Device to add' }).selectOption({ label: 'o2' });
    await lab.getByRole('button', { name: 'Add device to lab' }).click();
    const o2Row = lab.getByRole('list', { name: 'Devices of lab' }).getByRole('listitem', { name: 'o2' });
    await waitForText(o2Row, /online/, 15_000);

    // The session history, shown by keyboard: no member has had a session yet.
    const show = lab.getByRole('button', { name: 'Show session history of lab' });
    await show.focus();
    await o.keyboard.press('Enter');
    assert.equal(
      await lab.getByRole('button', { name: 'Hide session history of lab' }).getAttribute('aria-expanded'),
      'true',
    );
    const history = lab.getByRole('region', { name: 'Session history' });
    await waitForText(history, /No member has had a session on these devices yet/, 30_000);

    await lab.getByRole('button', { name: 'Invite to lab' }).click();
    const made = lab.getByRole('group', { name: 'New invitation' });
    const shown = await waitForText(made, /[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}/, 15_000);
    const code = /[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}/.exec(shown)![0];
    assert.match(shown, /clawbridge:\/\/group\?/, 'the link is shown beside the code');
    const link = (await made.locator('code.group-invite-link').innerText()).trim();
    assert.match(link, /^clawbridge:\/\/group\?invite=/);
    assert.equal(await made.getByRole('button', { name: 'Copy code' }).count(), 1);
    assert.equal(
      await made.getByRole('img', { name: 'Invitation link as a QR code' }).count(),
      1,
      'the link is shown as a QR code too',
    );
    const pending = lab.getByRole('list', { name: 'Pending invitations to lab' });
    assert.equal(await pending.getByRole('button', { name: `Cancel invitation ${code}` }).count(), 1);
    await screenshotThemes(o, 'groups-owner-invite');

    const m = member.page;
    await nav(m, 'Groups').click();
    // A code no one holds: said under the field, which keeps what was typed.
    const joinRegion = m.getByRole('region', { name: 'Join a group' });
    await m.getByRole('textbox', { name: 'Invitation code' }).fill('AAAA-BBBB-CCCC');
    await m.getByRole('button', { name: 'Join group' }).click();
    await joinRegion.getByRole('alert').waitFor({ timeout: 60_000 });
    assert.equal(await m.getByRole('textbox', { name: 'Invitation code' }).inputValue(), 'AAAA-BBBB-CCCC');
    await screenshotThemes(m, 'groups-member-bad-code');
    // What the desktop app opens for a malformed clawbridge://group?… link: the reason under the form.
    const field = m.getByRole('textbox', { name: 'Invitation code' });
    const why = 'group invitation has no code — it must carry invite=<code>';
    await m.evaluate(`location.hash = 'groups?refused=' + encodeURIComponent(${JSON.stringify(why)})`);
    await waitForText(
      joinRegion.getByRole('alert'),
      /The invitation link was not opened: group invitation has no code/,
    );
    assert.equal(await field.inputValue(), '', 'nothing filled in');
    await screenshotThemes(m, 'groups-member-refused-link');
    // And for the link `group invite` printed: Groups, the form filled in with it; Join group joins.
    await m.evaluate(`location.hash = 'groups?join=' + encodeURIComponent(${JSON.stringify(link)})`);
    await until(
      'the link in the Invitation code field',
      async () => (await field.inputValue()) === link,
      5_000,
    );
    assert.equal(await joinRegion.getByRole('alert').count(), 0, 'the refusal is gone with the new link');
    await m.getByRole('button', { name: 'Join group' }).click();
    await waitForText(joinRegion, /Joined lab, invited by o1/, 150_000);
    const joined = groupCard(m, 'lab');
    const open = joined.getByRole('button', { name: 'Open terminal on o2' });
    await open.waitFor({ timeout: GROUP_MS });
    await waitForText(joined.getByRole('listitem', { name: 'o2' }), /online/, GROUP_MS);
    assert.equal(await joined.getByRole('button', { name: 'Leave lab' }).count(), 1);
    await screenshotThemes(m, 'groups-member');

    // The owner's side lists the member with its device; the invitation is spent.
    const members = lab.getByRole('list', { name: 'Members of lab' });
    await waitForText(members, /m1/, GROUP_MS);
    await waitForText(lab, /Last invitation \S+: used by m1/, GROUP_MS);
    await screenshotThemes(o, 'groups-owner-member');

    // Open terminal: a tab to o2 in Terminals, and the shell there answers.
    await open.click();
    await m.getByRole('tab', { name: /o2/ }).waitFor({ timeout: 15_000 });
    await until(
      'the terminal on o2 to answer',
      async () => {
        await m.keyboard.type('echo group-$((6*7))\n');
        return waitForScreen(m, /group-42/, 3_000).then(
          () => true,
          () => false,
        );
      },
      GROUP_MS,
    );

    // The owner's history: the member's terminal on o2, still open.
    const refresh = lab.getByRole('button', { name: 'Refresh session history of lab' });
    const sessions = lab.getByRole('table', { name: 'Session history of lab' });
    const m1OnO2 = sessions.getByRole('row').filter({ hasText: 'm1/m1' }).filter({ hasText: 'o2' });
    await until(
      "the member's open terminal in the owner's history",
      async () => {
        await refresh.click();
        return waitForText(m1OnO2, /open/, 5_000).then(
          () => true,
          () => false,
        );
      },
      GROUP_MS,
    );
    assert.match(
      await m1OnO2.innerText(),
      /^m1\s+m1\/m1\s+o2\s+\S.*\s+open$/,
      'member, its device, group device, start, open',
    );
    await history.scrollIntoViewIfNeeded();
    await screenshotThemes(o, 'groups-owner-history');

    await members.getByRole('button', { name: 'Remove m1 from lab' }).click();
    await until('m1 gone from lab', async () => (await members.count()) === 0, 15_000);
    await nav(m, 'Groups').click();
    // o2 lets the removed member's agent in for the news of its removal alone (ADR 0092, amended):
    // lab leaves the member's view, and its Join form stays.
    await until(
      'lab gone from the removed member’s Groups view',
      async () => (await joined.count()) === 0,
      GROUP_MS,
    );
    await m.getByRole('button', { name: 'Join group' }).waitFor({ timeout: 5_000 });
    // Said wherever the window is, since the group only vanishes from this view.
    await toast(m, 'You are no longer in lab: its owner removed you or deleted the group').waitFor({
      timeout: 5_000,
    });
    await screenshotThemes(m, 'groups-member-removed');

    // An invitation past its TTL while shown leaves Pending invitations and is said to be expired,
    // though nothing has asked the agent since (it ends the code only when next asked).
    const brief = await agentCall(nodes.o1.home, 'groups.invite', { group: 'lab', ttlMs: 10_000 });
    const briefRow = pending.getByRole('listitem', { name: `Invitation ${brief.code}` });
    await briefRow.waitFor({ timeout: 15_000 });
    await waitForText(lab, new RegExp(`Last invitation ${brief.code}: expired`), GROUP_MS);
    assert.equal(await briefRow.count(), 0);
    // One shown in the window and cancelled elsewhere (`group invitations cancel` on another terminal):
    // the code is no longer offered, and the last invitation says cancelled.
    await lab.getByRole('button', { name: 'Invite to lab' }).click();
    const again = await waitForText(made, /[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}/, 15_000);
    const second = /[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}/.exec(again)![0];
    await agentCall(nodes.o1.home, 'groups.cancelInvitation', { code: second });
    await waitForText(lab, new RegExp(`Last invitation ${second}: cancelled`), 15_000);
    assert.equal(await made.count(), 0, 'the cancelled code is no longer shown');

    // The removal ended the terminal: the owner's history has its end (by keyboard: Refresh, Enter).
    await until(
      "the member's terminal ended in the owner's history",
      async () => {
        await refresh.focus();
        await o.keyboard.press('Enter');
        return waitForText(m1OnO2, /\(\d+ (s|min)\)$/, 5_000).then(
          () => true,
          () => false,
        );
      },
      GROUP_MS,
    );
    assert.doesNotMatch(await m1OnO2.innerText(), /open/);
    await lab.getByRole('button', { name: 'Delete lab' }).scrollIntoViewIfNeeded();
    await screenshotThemes(o, 'groups-owner-history-ended');
    assert.deepEqual(await o.evaluate(UNNAMED), [], 'every control of the history has a name');
    // In a narrow window the table stays inside the group's card.
    const wide = o.viewportSize();
    await o.setViewportSize({ width: 480, height: 800 });
    await sessions.scrollIntoViewIfNeeded();
    await assertWithin(sessions, lab, 'the session history at 480 px');
    await screenshotThemes(o, 'groups-owner-history-narrow');
    if (wide) await o.setViewportSize(wide);

    // o2 stops: the history says it could not be asked, and shows none of its sessions.
    await nodes.o2.proc.stop();
    await refresh.click();
    const notAsked = lab.getByRole('group', { name: 'Devices of lab not asked' });
    await waitForText(notAsked, /o2: \S/, 60_000);
    await waitForText(notAsked, /No device of lab could be asked/, 5_000);
    assert.equal(await sessions.count(), 0);
    await lab.getByRole('button', { name: 'Delete lab' }).scrollIntoViewIfNeeded();
    await screenshotThemes(o, 'groups-owner-history-device-offline');
    assert.deepEqual(owner.errors, []);
    assert.deepEqual(member.errors, []);

    // The owner's agent stops under the window: the history says it is read once the agent is back,
    // and Refresh keeps the focus but does nothing.
    await nodes.o1.proc.stop();
    await waitForText(history.getByRole('status'), /The agent is not connected/, GROUP_MS);
    assert.equal(await refresh.getAttribute('aria-disabled'), 'true');
    await lab.getByRole('button', { name: 'Delete lab' }).scrollIntoViewIfNeeded();
    await screenshotThemes(o, 'groups-owner-history-agent-away');
  },
);
