/**
 * The Messages view end to end (issue 54 item 4): agents a, b and c as real processes on a loopback
 * relay, a's and b's windows in Chromium, acting through accessible names as a person would.
 *
 * - c's window before it has peers: the empty state says to pair, with the button to do it.
 * - b joined a's code allowing a only terminals: a's conversation with b says b does not take
 *   messages and where to grant it; a message sent anyway comes back refused with the same words.
 * - b's owner allows messages: the warning goes by itself; a sends with Enter; b's window shows the
 *   message with an unread count (navigation entry and conversation), b opens it by keyboard, and a
 *   sees `read`. b's reply written with Shift+Enter arrives in two lines and a's open conversation
 *   reads it at once.
 * - a body over 1 MiB is refused at once naming the limit, and nothing is queued.
 * - the conversation list moves with the arrow keys without opening anything; Enter opens.
 * - b stopped: a's message says "queued: b is offline, it goes when it comes back", and is
 *   delivered once b is back.
 * Screenshots light and dark go to test-results/screenshots/messages-*.png.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import type { OutboxMessage } from '../../src-main/messages/messages-contract.js';
import {
  becomesFocused,
  browserMissing,
  launchBrowser,
  nav,
  openUi,
  screenshotThemes,
  uiUrl,
  waitForText,
  type UiPage,
  laidOut,
} from '../helpers/browser.js';
import {
  agentCall,
  cli,
  cliJson,
  pairedAgents,
  startRelay,
  startRelayAgent,
  stopAll,
  tempHome,
  type Proc,
} from '../helpers/processes.js';
import { until, sleep } from '../helpers/wait.js';

const skip = browserMissing();
if (skip) console.log(`# ${skip}`);

const UI = ['--ui-listen', '127.0.0.1:0'];
let browser: Browser | undefined;
let relayUrl = '';
let A: UiPage;
let B: UiPage;
let homeA = '';
let homeB = '';
let agentB: Proc;

after(async () => {
  await browser?.close();
  await stopAll();
});

before(async () => {
  if (skip) return;
  const relay = await startRelay();
  relayUrl = relay.url;
  // b lets a open terminals only: a may not put messages into b's inbox yet.
  const pair = await pairedAgents(relayUrl, ['msg-a', 'msg-b'], 'terminal');
  ({ homeA, homeB } = pair);
  agentB = pair.b;
  browser = await launchBrowser();
  [A, B] = await Promise.all([openUi(browser, await uiUrl(homeA)), openUi(browser, await uiUrl(homeB))]);
  // a knows what b grants it (b's grants message over their link).
  await until(
    'b to tell a what it grants',
    async () => {
      const peers = await agentCall(homeA, 'peers.list', {});
      return peers.some((p) => p.name === 'b' && p.theyAllow !== null);
    },
    20_000,
  );
});

/** The conversation entry of `name` in the list ("b", or "b, 2 unread"). */
const entry = (page: Page, name: string | RegExp) =>
  page.getByRole('list', { name: 'Conversations' }).getByRole('button', { name });

const outbox = (home: string) => cliJson<OutboxMessage[]>(['msg', 'outbox', '--json', '--home', home]);

test('a peer without peers: the empty state says to pair', { skip: skip ?? false }, async () => {
  const homeC = tempHome('msg-c');
  await startRelayAgent(homeC, 'c', relayUrl, UI);
  const C = await openUi(browser!, await uiUrl(homeC));
  await nav(C.page, 'Messages').click();
  await C.page.getByText('No peers yet. Messages go between paired devices').waitFor();
  await C.page.getByRole('button', { name: 'Pair new device' }).waitFor();
  await screenshotThemes(C.page, 'messages-no-peers');
  assert.deepEqual(C.errors, []);
  // c pairs with a, for the list's keyboard test below.
  const { code } = await cliJson<{ code: string }>(['pair', 'new', '--home', homeA]);
  const join = cli([
    'pair',
    'join',
    code,
    '--home',
    homeC,
    '--timeout',
    '30s',
    '--allow',
    'terminal,message',
  ]);
  await until('c pending on a', async () => (await agentCall(homeA, 'pending.list', {})).length > 0, 15_000);
  assert.equal((await cli(['approve', '--latest', '--home', homeA])).code, 0);
  assert.equal((await join).code, 0);
  await C.context.close();
});

test(
  'b does not take messages from a: said before sending, and a message sent anyway is refused with where to grant it',
  { skip: skip ?? false },
  async () => {
    const page = A.page;
    await nav(page, 'Messages').click();
    await page.getByRole('heading', { name: 'Messages', level: 1 }).waitFor();
    await page.getByText('Choose a conversation.').waitFor();
    await entry(page, 'b').click();
    const conversation = page.getByRole('region', { name: 'Conversation with b' });
    await conversation.getByText('b does not allow messages from this device.').waitFor();
    assert.match(
      (await conversation.locator('.why').textContent()) ?? '',
      /On b, open Peers → Permissions of a and allow “Send messages to programs here”, or run clawbridge peers allow a message there\./,
    );
    await conversation.getByText('No messages with b yet.').waitFor();
    await screenshotThemes(page, 'messages-no-permission');
    const box = page.getByRole('textbox', { name: 'Message to b' });
    await box.fill('first try');
    await box.press('Enter');
    const refused = page.getByRole('log', { name: 'Messages with b' }).getByRole('listitem').last();
    await waitForText(refused, /refused/, 15_000);
    await waitForText(refused, /b does not allow messages from this device \(PERMISSION_DENIED\)/);
    assert.match((await refused.textContent()) ?? '', /Permissions of a/);
    await screenshotThemes(page, 'messages-refused');
  },
);

test(
  'a sends, b sees it unread, opens it by keyboard, a sees read; b replies in two lines',
  { skip: skip ?? false },
  async () => {
    assert.equal((await cli(['peers', 'allow', 'a', 'message', '--home', homeB])).code, 0);
    const page = A.page;
    const conversation = page.getByRole('region', { name: 'Conversation with b' });
    // The warning goes by itself once b says it grants messages.
    await conversation
      .getByText(/^b does not allow messages from this device\. On b/)
      .waitFor({ state: 'detached', timeout: 15_000 });
    await nav(B.page, 'Messages').click();
    await entry(B.page, 'a').waitFor();

    const box = page.getByRole('textbox', { name: 'Message to b' });
    await box.fill('hello from a');
    await box.press('Enter');
    // Queued: the composer is empty again.
    await until('the composer to empty', async () => (await box.inputValue()) === '', 10_000);
    const log = page.getByRole('log', { name: 'Messages with b' });
    const mine = log.getByRole('listitem').filter({ hasText: 'hello from a' });
    await waitForText(mine, /delivered|read/, 15_000);

    // b: the count in the navigation and on the conversation, nothing read yet.
    await nav(B.page, 'Messages 1 unread').waitFor({ timeout: 10_000 });
    const fromA = entry(B.page, 'a, 1 unread');
    await fromA.waitFor();
    assert.match((await fromA.textContent()) ?? '', /hello from a/);
    await screenshotThemes(B.page, 'messages-unread');
    assert.equal(
      (await outbox(homeA)).find((m) => m.state === 'read'),
      undefined,
      'not read before it is opened',
    );
    // By keyboard: the list is one Tab stop; Enter opens.
    await fromA.focus();
    await B.page.keyboard.press('Enter');
    await B.page.getByRole('log', { name: 'Messages with a' }).getByText('hello from a').waitFor();
    await nav(B.page, /^Messages$/).waitFor({ timeout: 10_000 });
    await waitForText(mine, /read/, 15_000);
    assert.deepEqual(
      (await outbox(homeA)).filter((m) => m.state === 'read').length,
      1,
      'a read receipt for the message b opened',
    );
    await screenshotThemes(page, 'messages-read');

    // b replies: Shift+Enter a new line, Enter sends.
    const reply = B.page.getByRole('textbox', { name: 'Message to a' });
    await reply.focus();
    await B.page.keyboard.type('line one');
    await B.page.keyboard.press('Shift+Enter');
    await B.page.keyboard.type('line two');
    await B.page.keyboard.press('Enter');
    const got = log.getByRole('listitem').filter({ hasText: 'line one' });
    await got.waitFor({ timeout: 15_000 });
    assert.equal(await got.locator('.msg-text').innerText(), 'line one\nline two');
    // a's conversation with b is open and on screen: it is read at once.
    const theirs = B.page.getByRole('log', { name: 'Messages with a' }).getByRole('listitem').last();
    await waitForText(theirs, /read/, 15_000);
    await screenshotThemes(B.page, 'messages-conversation');
    assert.deepEqual([...A.errors, ...B.errors], []);
  },
);

test(
  'over 1 MiB is refused at once, naming the limit; nothing is queued',
  { skip: skip ?? false },
  async () => {
    const page = A.page;
    const before = (await outbox(homeA)).length;
    const box = page.getByRole('textbox', { name: 'Message to b' });
    await box.fill('x'.repeat(1024 * 1024 + 1));
    await page.getByRole('button', { name: 'Send', exact: true }).click();
    const alert = page.getByRole('region', { name: 'Conversation with b' }).getByRole('alert');
    await waitForText(alert, /The message is 1\.0 MiB; a message holds at most 1 MiB — nothing was sent/);
    assert.equal(await box.getAttribute('aria-invalid'), 'true');
    assert.equal((await outbox(homeA)).length, before, 'nothing queued');
    // Writing again clears the refusal: the alert goes and the box is no longer marked invalid.
    await box.fill('x');
    await until('the refusal cleared', async () => (await alert.count()) === 0, 10_000);
    assert.equal(await box.getAttribute('aria-invalid'), 'false');
    await box.fill('');
  },
);

test(
  'the conversation list: arrows move without opening, Enter opens; focus is visible',
  { skip: skip ?? false },
  async () => {
    const page = A.page;
    const b = entry(page, 'b');
    await entry(page, 'c').waitFor();
    assert.equal(await b.getAttribute('tabindex'), '0', 'the open conversation is the list’s Tab stop');
    assert.equal(await entry(page, 'c').getAttribute('tabindex'), '-1');
    await b.focus();
    // b has the newest messages: first. Down moves to c, opening nothing.
    await page.keyboard.press('ArrowDown');
    assert.ok(await becomesFocused(entry(page, 'c')), "await becomesFocused(entry(page, 'c'))");
    assert.equal(await entry(page, 'c').getAttribute('aria-current'), null);
    const outline = await page.evaluate<string>(`getComputedStyle(document.activeElement).outlineStyle`);
    assert.equal(outline, 'solid', 'the focus shows');
    await page.keyboard.press('Home');
    assert.ok(await becomesFocused(b), 'await becomesFocused(b)');
    await page.keyboard.press('End');
    await page.keyboard.press('Enter');
    await page
      .getByRole('region', { name: 'Conversation with c' })
      .getByText('No messages with c yet.')
      .waitFor();
    assert.equal(await entry(page, 'c').getAttribute('aria-current'), 'true');
    // Tab from the list goes to the conversation's messages, then the composer, then Send.
    await page.keyboard.press('Tab');
    assert.ok(
      await becomesFocused(page.getByRole('log', { name: 'Messages with c' })),
      "await becomesFocused(page.getByRole('log', { name: 'Messages with c' }))",
    );
    await page.keyboard.press('Tab');
    assert.ok(
      await becomesFocused(page.getByRole('textbox', { name: 'Message to c' })),
      "await becomesFocused(page.getByRole('textbox', { name: 'Message to c' }))",
    );
    await page.keyboard.press('Tab');
    assert.ok(
      await becomesFocused(page.getByRole('button', { name: 'Send', exact: true })),
      "await becomesFocused(page.getByRole('button', { name: 'Send', exact: true }))",
    );
    await screenshotThemes(page, 'messages-keyboard');
    await entry(page, 'b').click();
    // At a phone's width the list and the conversation stack: nothing scrolls sideways.
    const size = page.viewportSize();
    await page.setViewportSize({ width: 320, height: 700 });
    await laidOut(page);
    const [scroll, client] = await page.evaluate<[number, number]>(
      `(() => { const m = document.querySelector('main'); return [m.scrollWidth, m.clientWidth]; })()`,
    );
    assert.ok(scroll <= client, `Messages at 320 px: main scrollWidth ${scroll} > clientWidth ${client}`);
    await screenshotThemes(page, 'messages-320');
    if (size) await page.setViewportSize(size);
  },
);

test(
  'a message that arrives while the window is not in front stays unread until the user is back',
  { skip: skip ?? false },
  async () => {
    const page = A.page;
    await page.getByRole('region', { name: 'Conversation with b' }).waitFor();
    // The window loses the focus (the user is in another app; the desktop app notifies then).
    await page.evaluate('document.hasFocus = () => false');
    const sent = await cliJson<{ id: string }>([
      'msg',
      'send',
      'a',
      'while a looks away',
      '--json',
      '--home',
      homeB,
    ]);
    await page.getByRole('log', { name: 'Messages with b' }).getByText('while a looks away').waitFor();
    await nav(page, 'Messages 1 unread').waitFor();
    await sleep(500, 'nothing may mark it read within this window, while nobody looks');
    const state = async () => (await outbox(homeB)).find((m) => m.id === sent.id)?.state;
    assert.equal(await state(), 'delivered', 'not read while nobody looks');
    await page.evaluate(`delete document.hasFocus; window.dispatchEvent(new Event('focus'))`);
    await until('b to see read', async () => (await state()) === 'read', 15_000);
    await nav(page, /^Messages$/).waitFor();
  },
);

test(
  "what was sent shows its text after a reload and in a fresh window, a program's too; sending scrolls to it",
  { skip: skip ?? false },
  async () => {
    const page = A.page;
    const log = () => page.getByRole('log', { name: 'Messages with b' });
    // Enough messages that the conversation scrolls, sent by a program here (the API a program uses).
    await agentCall(homeA, 'messages.sendMany', {
      peer: 'b',
      messages: Array.from({ length: 30 }, (_, i) => ({ text: `program line ${i}` })),
    });
    await log().getByText('program line 29').waitFor({ timeout: 15_000 });
    // The reader scrolls up to older ones; a message sent now is scrolled to all the same.
    await page.evaluate(
      `(() => { const l = document.querySelector('[role="log"]'); l.scrollTop = 0; l.dispatchEvent(new Event('scroll')); })()`,
    );
    assert.equal(await inView(page, 'program line 29'), false, 'scrolled up, away from the newest');
    const box = page.getByRole('textbox', { name: 'Message to b' });
    await box.fill('typed in this window');
    await box.press('Enter');
    const typed = log().getByRole('listitem').filter({ hasText: 'typed in this window' });
    await typed.waitFor({ timeout: 15_000 });
    await until(
      'the view to scroll to the message just sent',
      () => inView(page, 'typed in this window'),
      5_000,
    );
    await waitForText(typed, /delivered|read/, 15_000);

    // After a reload, and in a window that never sent it (fresh storage), the texts are there.
    await page.reload();
    await nav(page, 'Messages').click();
    await entry(page, 'b').click();
    await log().getByText('typed in this window').waitFor({ timeout: 15_000 });
    await log().getByText('program line 0', { exact: true }).waitFor();
    const fresh = await openUi(browser!, await uiUrl(homeA));
    await nav(fresh.page, 'Messages').click();
    await entry(fresh.page, 'b').click();
    const freshLog = fresh.page.getByRole('log', { name: 'Messages with b' });
    await freshLog.getByText('typed in this window').waitFor({ timeout: 15_000 });
    await freshLog.getByText('hello from a').waitFor();
    assert.equal(
      await freshLog.getByText(/its text is not kept|no longer keeps its text/).count(),
      0,
      'every sent message shows its text',
    );
    await screenshotThemes(fresh.page, 'messages-sent-after-reload');
    assert.deepEqual([...A.errors, ...fresh.errors], []);
    await fresh.context.close();
  },
);

/** Whether the message in the open conversation that says `text` is within the log's visible box. */
function inView(page: Page, text: string): Promise<boolean> {
  return page.evaluate<boolean>(`(() => {
    const log = document.querySelector('[role="log"]');
    const item = [...log.querySelectorAll('li')].find((li) => li.textContent.includes(${JSON.stringify(text)}));
    if (!item) return false;
    const box = item.getBoundingClientRect();
    const view = log.getBoundingClientRect();
    return box.top >= view.top - 1 && box.bottom <= view.bottom + 1;
  })()`);
}

test(
  "b offline: a's message says it is queued until b comes back, then it is delivered",
  { skip: skip ?? false },
  async () => {
    await B.context.close();
    await agentB.stop();
    const page = A.page;
    const conversation = page.getByRole('region', { name: 'Conversation with b' });
    await conversation.getByText(/^(offline|unreachable|waiting)$/).waitFor({ timeout: 30_000 });
    const box = page.getByRole('textbox', { name: 'Message to b' });
    await box.fill('while you were away');
    await box.press('Enter');
    await conversation
      .getByRole('status')
      .filter({ hasText: 'queued: b is offline, it goes when it comes back' })
      .waitFor();
    const waiting = page.getByRole('log', { name: 'Messages with b' }).getByRole('listitem').last();
    await waitForText(waiting, /queued[\s\S]*b is offline, it goes when it comes back/);
    await screenshotThemes(page, 'messages-queued-offline');
    agentB = await startRelayAgent(homeB, 'b', relayUrl, UI);
    await waitForText(waiting, /delivered/, 30_000);
    assert.deepEqual(A.errors, []);
  },
);
