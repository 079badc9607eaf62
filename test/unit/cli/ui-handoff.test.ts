/**
 * The pieces of `clawbridge ui`'s hand-over (cli/ui-handoff.ts): who owns a loopback connection, read
 * from the kernel's TCP table as /proc/net/tcp{,6} print it; which requests get the link; the page
 * that sends a browser on.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  handoffKind,
  handoffRefusal,
  loopbackSocketOwner,
  redirectPage,
} from '../../../src-main/cli/ui-handoff.js';

const HEADER =
  '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode';
// 127.0.0.1:50000 → 127.0.0.1:40000 owned by uid 1000; the server's side (uid 0); a far host's
// connection from port 50000 to a port 40000 elsewhere (uid 7).
const TCP = [
  HEADER,
  '   0: 0100007F:C350 0100007F:9C40 01 00000000:00000000 00:00000000 00000000  1000        0 111 1 0 20 4 30 10 -1',
  '   1: 0100007F:9C40 0100007F:C350 01 00000000:00000000 00:00000000 00000000     0        0 112 1 0 20 4 30 10 -1',
  '   2: 0A00000A:C351 0B00000A:9C40 01 00000000:00000000 00:00000000 00000000     7        0 113 1 0 20 4 30 10 -1',
].join('\n');
// The same from a dual-stack socket: ::ffff:127.0.0.1 in tcp6, uid 1001.
const TCP6 = [
  HEADER,
  '   0: 0000000000000000FFFF00000100007F:C352 0000000000000000FFFF00000100007F:9C40 01 00000000:00000000 00:00000000 00000000  1001        0 114 1 0',
].join('\n');

test('the owner of a loopback connection is read from the TCP tables, v4 and v4-mapped v6', () => {
  assert.equal(loopbackSocketOwner(50000, 40000, [TCP, TCP6]), 1000);
  assert.equal(loopbackSocketOwner(40000, 50000, [TCP, TCP6]), 0, 'the other end is the server');
  assert.equal(loopbackSocketOwner(50002, 40000, [TCP, TCP6]), 1001);
  assert.equal(loopbackSocketOwner(50001, 40000, [TCP, TCP6]), undefined, 'not on loopback');
  assert.equal(loopbackSocketOwner(1, 2, [TCP, TCP6]), undefined);
  assert.equal(loopbackSocketOwner(50000, 40000, ['', 'garbage']), undefined);
});

test('only a navigation by this user gets the link', () => {
  assert.equal(
    handoffRefusal({ headers: {} }, 1000, 1000),
    undefined,
    'curl, or a browser without Sec-Fetch',
  );
  assert.equal(handoffRefusal({ headers: { 'sec-fetch-site': 'none' } }, 1000, 1000), undefined);
  assert.match(handoffRefusal({ headers: {} }, 1001, 1000)!, /for the user who ran clawbridge ui/);
  assert.match(handoffRefusal({ headers: {} }, undefined, 1000)!, /for the user who ran clawbridge ui/);
  for (const site of ['cross-site', 'same-site', 'same-origin']) {
    assert.match(handoffRefusal({ headers: { 'sec-fetch-site': site } }, 1000, 1000)!, /address bar/);
  }
});

test('the page sends the browser on, the link escaped; the loopback way on Linux only', () => {
  const page = redirectPage('http://127.0.0.1:7476/#token=ab"<x>&');
  assert.match(page, /content="0;url=http:\/\/127\.0\.0\.1:7476\/#token=ab&quot;&lt;x&gt;&amp;"/);
  assert.match(page, /<meta name="referrer" content="no-referrer">/);
  assert.equal(handoffKind('darwin'), 'file');
  assert.equal(handoffKind('win32'), 'file');
  if (process.platform === 'linux') assert.equal(handoffKind('linux'), 'loopback');
});
