/**
 * What `peers` and the window say of a peer's addresses and why it is relayed: each address with where
 * it stands (two homes on the same private range: the peer's LAN address is not this LAN), a punched
 * link's throwaway port never as where the peer listens, no loopback announced to another machine, the
 * reason naming this node's own port mapping setting when it is off, and rows cut to the terminal.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addressWhere } from '../../../src-main/core/address-where.js';
import { addressWithWhere } from '../../../src-main/core/path-label.js';
import { addressColumn, peerTable, peerWhy } from '../../../src-main/cli/client-commands.js';
import { plainPunctuation } from '../../../src-main/cli/plain-punctuation.js';
import { cutRows } from '../../../src-main/cli/table.js';
import { describePeerAddress } from '../../../src-main/links/peer-state.js';
import { announcedOn } from '../../../src-main/links/local-addresses.js';
import { explainRelayed } from '../../../src-main/transport/nat/nat-kind.js';
import { displayWidth } from '../../../src-main/cli/display-width.js';
import { peer } from '../electron/status-fixtures.js';

test('each address says where it stands: the peer’s own LAN is not this LAN', () => {
  assert.equal(addressWhere('192.168.1.10:7475', ['hello']), 'its-lan');
  assert.equal(addressWhere('192.168.1.10:7475', ['hello', 'lan']), 'this-lan');
  assert.equal(addressWhere('192.168.1.10:7475', ['hello'], '2026-11-28T00:00:00.000Z'), 'this-lan');
  assert.equal(addressWhere('10.0.0.5:7475', ['seen']), 'this-lan');
  assert.equal(addressWhere('203.0.113.9:7475', ['hello']), 'public');
  assert.equal(addressWhere('203.0.113.9:40000', ['mapped']), 'mapped');
  assert.equal(addressWhere('127.0.0.1:7475', ['hello']), 'this-machine');
  assert.equal(addressWhere('[fd00::5]:7475', ['hello']), 'its-lan');
  assert.equal(addressWhere('home.example:7475', ['given']), 'named');
  assert.equal(addressWithWhere('192.168.1.10:7475', 'its-lan'), '192.168.1.10:7475 (its own LAN)');
});

test('a punched link’s far end is where the path reaches the peer, never where it listens', () => {
  const view = describePeerAddress(
    { path: 'direct', remote: '203.0.113.9:40213', initiator: true, punched: true },
    ['192.168.1.10:7475'],
  );
  assert.equal(view.listenAddress, '192.168.1.10:7475');
  assert.equal(view.address, '203.0.113.9:40213');
  const dialed = describePeerAddress({ path: 'direct', remote: '10.0.0.5:7475', initiator: true }, []);
  assert.equal(dialed.listenAddress, '10.0.0.5:7475', 'a dialed link is where it listens');
});

test('the ADDRESS column of `peers` says where each address stands', () => {
  const b = {
    ...peer('b', 'online', 'relay'),
    address: 'wss://relay.example',
    listenAddress: '192.168.1.10:7475',
    listenAddressWhere: 'its-lan' as const,
  };
  assert.equal(addressColumn(b), 'wss://relay.example');
  assert.equal(addressColumn({ ...b, address: null }), '192.168.1.10:7475 (its own LAN)');
  const punched = {
    ...peer('c', 'online', 'direct'),
    address: '203.0.113.9:40213',
    addressWhere: 'punched' as const,
    listenAddress: '192.168.1.10:7475',
    listenAddressWhere: 'its-lan' as const,
  };
  assert.match(peerTable([punched], undefined), /\s203\.0\.113\.9:40213 \(punched\)\s/);
});

test('loopback is announced only to a peer on this machine', () => {
  const mine = ['192.168.1.20:7475', '127.0.0.1:7475', '[::1]:7475'];
  assert.deepEqual(announcedOn({ path: 'relay', remote: 'wss://relay.example:8443' }, mine), [
    '192.168.1.20:7475',
  ]);
  assert.deepEqual(announcedOn({ path: 'direct', remote: '192.168.1.30:51000' }, mine), [
    '192.168.1.20:7475',
  ]);
  assert.deepEqual(announcedOn({ path: 'direct', remote: '127.0.0.1:51000' }, mine), mine);
  assert.deepEqual(announcedOn({ path: 'relay', remote: 'ws://127.0.0.1:9000' }, mine), mine);
});

test('with port mapping off here the reason says so and how to turn it on, not "either router"', () => {
  const off = explainRelayed(
    { nat: 'changes-port', mapped: false, mappingOff: true },
    { nat: 'changes-port', mapped: false },
  );
  assert.equal(off.chance, 'none');
  assert.match(off.why, /port mapping is off on this node: start its agent with `--port-mapping`/);
  assert.doesNotMatch(off.why, /either router/);
  const oneSide = explainRelayed(
    { nat: 'preserves-port', mapped: false, mappingOff: true },
    { nat: 'changes-port', mapped: false },
  );
  assert.match(oneSide.why, /port mapping is off on this node/);
  const on = explainRelayed({ nat: 'changes-port', mapped: false }, { nat: 'changes-port', mapped: false });
  assert.match(on.why, /a port mapping \(UPnP or NAT-PMP\) on either router/);
  assert.equal(
    peerWhy({ ...peer('b', 'online', 'relay'), relayReason: off.why }),
    `relayed: ${plainPunctuation(off.why)}`,
    'in ASCII, as the rest of the CLI',
  );
});

test('a `peers` row with a long reason is cut to the terminal’s width; without a width it is whole', () => {
  const why = explainRelayed(
    { nat: 'changes-port', mapped: false, mappingOff: true },
    { nat: 'changes-port', mapped: false },
  ).why;
  const rows = [{ ...peer('b', 'online', 'relay'), address: 'wss://relay.example', relayReason: why }];
  const whole = peerTable(rows, undefined);
  assert.ok(
    whole.split('\n').some((l) => l.includes(plainPunctuation(why))),
    'the whole reason',
  );
  const drawn = new Set(whole.split('\n'));
  const cut = cutRows(whole, drawn, 100, '--wide or --json').split('\n');
  for (const line of cut) assert.ok(displayWidth(line) <= 100, `${displayWidth(line)} columns: ${line}`);
  assert.match(cut[1]!, /\.\.\.$/);
  assert.match(cut.at(-1)!, /--wide or --json shows the whole text/);
  const narrow = peerTable([peer('c', 'offline')], undefined);
  const narrowEnough = cutRows(narrow, new Set(narrow.split('\n')), 200, '--wide or --json');
  assert.equal(narrowEnough, narrow, 'nothing cut, nothing added');
  const indented = `a heading line that is no table row and runs on past the width\n  ${narrow.split('\n')[1]}`;
  const kept = cutRows(indented, new Set(narrow.split('\n')), 30, '--json').split('\n');
  assert.equal(kept[0], indented.split('\n')[0], 'a line that is no row stays whole');
  assert.match(kept[1]!, /^ {2}c .*\.\.\.$/, 'an indented row is cut');
});
