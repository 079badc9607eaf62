/**
 * A UDP forward in the ForwardManager: saved with `protocol: 'udp'`, listed with its datagram counters,
 * switched off (its UDP port freed) and on again, brought back by a restart, and removed.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { composeAgent } from '../../../src-main/app/compose-agent.js';
import { NodeState } from '../../../src-main/state/node-state.js';
import { ForwardManager } from '../../../src-main/forwards/forward-manager.js';
import { testIdentity } from '../../helpers/identities.js';
import { tempDir } from '../../helpers/temp-dir.js';
import { memoryLogger } from './fixtures.js';
import { client, roundTrip, udpEcho, udpExit } from './udp-fixtures.js';
import { forwardDeps } from '../../helpers/saved-forwards.js';
import { agentVocabulary } from '../../helpers/agent-contract.js';

const cleanups: (() => unknown)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function manager(home: string) {
  const agent = composeAgent({
    identity: await testIdentity('udp'),
    state: NodeState.open(home, undefined, agentVocabulary),
    logger: memoryLogger().log,
  });
  const exit = udpExit();
  const m = new ForwardManager(forwardDeps(agent), exit.dialer);
  cleanups.push(exit.close);
  return { agent, m };
}

/** True when 127.0.0.1:port can be bound for UDP right now. */
function udpPortFree(port: number): Promise<boolean> {
  const s = createSocket('udp4');
  return new Promise((resolve) => {
    s.once('error', () => resolve(false));
    s.bind(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

test('a UDP forward is saved, listed, switched off and on, restored, and removed', async () => {
  const home = tempDir('cb-udp-');
  const echo = await udpEcho();
  cleanups.push(() => echo.socket.close());
  const { agent, m } = await manager(home);
  await m.add({
    name: 'u',
    kind: 'tcp',
    protocol: 'udp',
    udpIdleMs: 5_000,
    listen: '127.0.0.1:0',
    via: 'b',
    remote: `127.0.0.1:${echo.port}`,
  });
  const saved = agent.state.get().forwards.find((f) => f.name === 'u');
  assert.equal(saved?.protocol, 'udp');
  assert.equal(saved?.udpIdleMs, 5_000);
  const port = Number(saved?.listen.split(':').pop());
  assert.ok(port > 0, 'the port it got is saved');
  const s = await client();
  cleanups.push(() => s.close());
  assert.equal((await roundTrip(s, port, Buffer.from('ping'))).toString(), 'ping');
  const [info] = m.forwards();
  assert.deepEqual(
    {
      protocol: info?.protocol,
      udpIdleS: info?.udpIdleS,
      datagramsIn: info?.datagramsIn,
      datagramsOut: info?.datagramsOut,
      dropped: info?.dropped,
      open: info?.open,
      bytesIn: info?.bytesIn,
    },
    { protocol: 'udp', udpIdleS: 5, datagramsIn: 1, datagramsOut: 1, dropped: 0, open: 1, bytesIn: 4 },
  );
  assert.equal(m.proxies().length, 0);

  const off = await m.setEnabled('u', false, ['tcp']);
  assert.equal(off.state, 'off');
  assert.equal(await udpPortFree(port), true, 'switched off, its UDP port is free');
  await m.setEnabled('u', true, ['tcp']);
  assert.equal((await roundTrip(s, port, Buffer.from('again'))).toString(), 'again');
  await m.stop();

  // A restart brings it back as UDP on the same port.
  const second = await manager(home);
  await second.m.restore();
  assert.equal(second.m.forwards()[0]?.state, 'listening');
  assert.equal((await roundTrip(s, port, Buffer.from('restored'))).toString(), 'restored');
  await second.m.remove('u', ['tcp']);
  assert.equal(await udpPortFree(port), true, 'removed, its UDP port is free');
  await second.m.stop();
});
