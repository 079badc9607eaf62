/**
 * The browser-node page an agent serves as its own relay (`agent --act-as-relay`, ADR 0094), in
 * Chromium: a fresh profile opens the agent's relay port, pairs with a code from `clawbridge pair new`
 * on that agent, the owner approves, and the agent's card opens a terminal where `echo $((6*7))`
 * answers 42; reloaded, it is still paired. The page is the relay's (its hash, its CSP and headers).
 * Another node on the same own relay (P, allowed `relay` by the agent) is out of the browser's reach:
 * P's own code gets neither the paired page nor a stranger's anywhere, and P never hears of them.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import type { PairNewResult, PeerInfo } from '../../src-main/api/contract.js';
import { loadRelayPage } from '../../src-main/relay/page.js';
import { browserMissing, launchBrowser, nav, screenshotThemes } from '../helpers/browser.js';
import { agentCall, cli, cliJson, nodeId, startAgent, stopAll, tempHome } from '../helpers/processes.js';
import {
  DEVICE,
  deviceCard,
  enterCode,
  openRelayPage,
  openTerminal,
  pairWithDevice,
  run,
  shownFingerprint,
} from '../helpers/relay-page.js';
import { until } from '../helpers/wait.js';

const missing = browserMissing();
if (missing) console.log(`# ${missing}`);
after(stopAll);

/**
 * A browser context for the agent's page. The agent's relay has the agent's own self-signed
 * certificate (the one its peers pin), which no CA vouches for: a user accepts it once in the browser,
 * or pins it, before the page loads. ignoreHTTPSErrors stands in for that one click; it loosens only
 * the browser's check of the relay's certificate, not the page's own pinning of the device it pairs
 * with (E2E, by fingerprint), nor the relay's CSP or Origin checks.
 */
const AGENT_PAGE_CONTEXT = { viewport: { width: 1280, height: 800 }, ignoreHTTPSErrors: true };

test(
  'Chromium pairs with the page an agent serves as its own relay, runs a terminal there, and reaches no other node on it',
  { skip: missing ?? false },
  async () => {
    const [home, homeP] = [tempHome('arp-office'), tempHome('arp-p')];
    const office = await startAgent(home, {
      name: DEVICE,
      listen: false,
      args: ['--act-as-relay', '--relay-listen', '127.0.0.1:0'],
    });
    const relayUrl = (await office.waitForLine(/^relay listening on (wss:\/\/127\.0\.0\.1:\d+) /m))[1]!;
    const printed = await office.waitForLine(
      /^relay page at (https:\/\/127\.0\.0\.1:\d+\/) sha256 ([0-9a-f]{64})$/m,
    );
    const pageUrl = printed[1]!;
    // The page `clawbridge relay` serves from this build, by the hash anyone can compare.
    assert.equal(printed[2], loadRelayPage()?.hash);

    // P: another node on the office's relay (allowed `relay` there), linked with the office through it.
    const fp = (await nodeId(homeP)).fingerprint;
    assert.equal(
      (await cli(['peers', 'add', fp, '--name', 'p', '--allow', 'relay', '--home', home])).code,
      0,
    );
    await startAgent(homeP, {
      name: 'p',
      listen: false,
      args: ['--relay', relayUrl, '--relay-fingerprint', office.fingerprint],
    });
    const added = await cli(['peers', 'add', office.fingerprint, '--name', DEVICE, '--home', homeP]);
    assert.equal(added.code, 0, added.stderr);
    await until(
      'P online at the office, through its relay',
      async () =>
        (await agentCall(home, 'peers.list', {})).find((p: PeerInfo) => p.fingerprint === fp)?.online,
      30_000,
    );

    const browser = await launchBrowser();
    try {
      const { page, errors } = await openRelayPage(browser, pageUrl, AGENT_PAGE_CONTEXT);
      // The headers the relay's page has (browser-node-page.test.ts): the agent serves the same.
      const headers = (await page.request.get(pageUrl)).headers();
      for (const [name, value] of Object.entries(loadRelayPage()!.headers))
        assert.equal(headers[name], value, name);
      // Its own scripts, and inline only its import map, by hash (ADR 0107).
      assert.match(
        headers['content-security-policy'] ?? '',
        /script-src 'self' 'sha256-[A-Za-z0-9+/]+=*'; .*frame-ancestors 'none'/,
      );
      assert.match((await page.locator('script[type=module]').getAttribute('integrity')) ?? '', /^sha384-/);
      assert.match((await page.locator('link[rel=stylesheet]').getAttribute('integrity')) ?? '', /^sha384-/);

      // A fresh profile: its own identity, before any code is open on the office.
      const fingerprint = await shownFingerprint(page);
      await screenshotThemes(page, 'agent-relay-page-start');
      await pairWithDevice(page, home);
      const peer = (await agentCall(home, 'peers.list', {})).find(
        (p: PeerInfo) => p.fingerprint === fingerprint,
      );
      assert.equal(peer?.kind, 'browser');
      await until(
        'the card says the office is online',
        async () => /online/.test(await deviceCard(page).innerText()),
        30_000,
      );
      await screenshotThemes(page, 'agent-relay-page-devices');

      await openTerminal(page);
      await run(page, 'echo $((6*7))', /^42$/m);
      await screenshotThemes(page, 'agent-relay-page-terminal');

      // Reloaded: still paired (same fingerprint, no new code), the office comes back, a new terminal opens.
      await page.reload();
      await page.getByRole('main', { name: 'Terminals' }).waitFor();
      await nav(page, 'Peers').click();
      assert.equal(await shownFingerprint(page), fingerprint);
      await openTerminal(page);
      await run(page, 'echo $((6*7))', /^42$/m);
      assert.equal((await agentCall(home, 'pending.list', {})).length, 0, 'no new request after the reload');

      // P, on the same relay, cannot be reached: the page enters a code P issued, and P hears nothing.
      const pCode = await cliJson<PairNewResult>(['pair', 'new', '--home', homeP]);
      await nav(page, 'Pair').click();
      await enterCode(page, pCode.code);
      // The relay refuses the circuit to P's rendezvous, and the page says why.
      const refused = page
        .getByRole('alert')
        .filter({ hasText: /would not connect this browser .*serves only the peers its owner allowed/ });
      const pPending = () => agentCall(homeP, 'pending.list', {});
      await until(
        'the page is refused, or P hears of it',
        async () => (await refused.count()) === 1 || (await pPending()).length > 0,
        30_000,
      );
      assert.deepEqual(await pPending(), [], 'P got a request from the page');
      await screenshotThemes(page, 'agent-relay-page-other-node');
      assert.equal(
        (await agentCall(homeP, 'peers.list', {})).some((p: PeerInfo) => p.fingerprint === fingerprint),
        false,
      );
      // A stranger (a fresh profile, no code open on the office) with P's code: not let in at all.
      const { page: stranger } = await openRelayPage(browser, pageUrl, AGENT_PAGE_CONTEXT);
      await shownFingerprint(stranger);
      await enterCode(stranger, (await cliJson<PairNewResult>(['pair', 'new', '--home', homeP])).code);
      const said = stranger.getByRole('alert').filter({ hasText: /./ });
      await until(
        'the stranger is refused, or P hears of it',
        async () => (await said.count()) === 1 || (await pPending()).length > 0,
        30_000,
      );
      assert.deepEqual(await pPending(), [], 'P got a request from a stranger');
      assert.match(
        await said.innerText(),
        /refused this browser: this relay serves only the peers its owner allowed/,
      );
      await screenshotThemes(stranger, 'agent-relay-page-stranger');

      // The page's devices: the office only.
      await nav(page, 'Peers').click();
      await deviceCard(page).waitFor();
      const cards = page.getByRole('main', { name: 'Peers' }).getByRole('listitem');
      assert.equal(
        await cards.count(),
        1,
        `the page lists only the office: ${(await cards.allInnerTexts()).join(' | ')}`,
      );
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
    }
  },
);
