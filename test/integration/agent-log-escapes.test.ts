/**
 * The agent's own log on its stderr is an output path too (issue 52, must-be-true 4): `clawbridge
 * agent` runs in the owner's terminal, and its warnings quote what peers said. pino writes C0 controls
 * as `\u00XX` but leaves DEL, C1 (U+009B is CSI on many terminals), the line separators and the bidi
 * controls as they are. Here a trusted peer refuses a SOCKS connection it was asked to carry with a
 * reason made of them (the exit's result of `tcp-connect`), the agent logs the failure at `warn`, and
 * what reaches its stderr must carry none of them, while still being one JSON object per line that
 * parses back to the reason the peer sent.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import {
  ConnectStatus,
  encodeConnectResult,
  TCP_CONNECT_SERVICE,
} from '../../src-main/forwards/tcp-connect-protocol.js';
import { testIdentity } from '../helpers/identities.js';
import { cli, stopAll, tempHome, startAgent } from '../helpers/processes.js';
import { rawPeer } from '../helpers/raw-peer.js';
import { until } from '../helpers/wait.js';

after(stopAll);

/** C1 CSI, DEL, a right-to-left override, an isolate and a line separator: what pino leaves raw. */
const HOSTILE = 'refused\x9b2J\x7f\u202eevil\u2066\u2028end';
/** What no line the agent writes to its terminal may carry (the newline ends its lines). */
const TERMINAL_CONTROL =
  // eslint-disable-next-line no-control-regex -- the controls are what this looks for
  /[\0-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;

/** Reads from `socket` until `n` bytes have come. */
function readBytes(socket: Socket, n: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let got = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      got = Buffer.concat([got, chunk]);
      if (got.length < n) return;
      socket.off('data', onData);
      socket.off('error', reject);
      socket.pause();
      resolve(got);
    };
    socket.on('data', onData);
    socket.once('error', reject);
    socket.resume();
  });
}

/** A SOCKS5 CONNECT through the proxy at `port` (user/password auth); resolves with the reply code. */
async function socksConnect(port: number, user: string, pass: string): Promise<number> {
  const s = connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => s.once('connect', resolve).once('error', reject));
  try {
    s.write(Buffer.from([5, 1, 2]));
    assert.deepEqual([...(await readBytes(s, 2))], [5, 2]);
    s.write(
      Buffer.concat([
        Buffer.from([1, user.length]),
        Buffer.from(user),
        Buffer.from([pass.length]),
        Buffer.from(pass),
      ]),
    );
    assert.deepEqual([...(await readBytes(s, 2))], [1, 0]);
    s.write(Buffer.from([5, 1, 0, 1, 127, 0, 0, 1, 0, 9]));
    return (await readBytes(s, 2))[1]!;
  } finally {
    s.destroy();
  }
}

test("a peer's refusal made of controls pino leaves raw reaches the agent's stderr escaped", async () => {
  const home = tempHome('log-escapes');
  const agent = await startAgent(home, { name: 'a', listen: '127.0.0.1:0' });
  await rawPeer(home, await testIdentity('log-escapes'), {
    name: 'r',
    allow: 'none',
    serve: (req) => {
      if (req.service !== TCP_CONNECT_SERVICE) return req.reject('UNKNOWN_SERVICE', 'nothing else');
      const s = req.accept();
      s.on('error', () => undefined);
      s.resume();
      s.end(encodeConnectResult(ConnectStatus.GeneralFailure, HOSTILE));
    },
  });
  const added = await cli(['proxy', 'add', '--socks', '0', '--via', 'r', '--name', 'p', '--home', home]);
  assert.equal(added.code, 0, added.stderr);
  const secret = await cli(['proxy', 'secret', 'p', '--url', '--home', home]);
  assert.equal(secret.code, 0, secret.stderr);
  const url = new URL(secret.stdout.trim());

  const reply = await socksConnect(
    Number(url.port),
    decodeURIComponent(url.username),
    decodeURIComponent(url.password),
  );
  assert.notEqual(reply, 0, 'the exit refused the connection');
  const line = await until(
    "the agent's warning about the refused connection",
    () =>
      agent
        .stderr()
        .split('\n')
        .find((l) => l.includes('refused') && l.includes('end')),
    30_000,
  );
  assert.equal(
    TERMINAL_CONTROL.test(agent.stderr()),
    false,
    `the agent's stderr carries a terminal control: ${JSON.stringify(line)}`,
  );
  // Still JSON, and still what the peer said (the escapes are JSON's own).
  const logged = JSON.parse(line) as { msg: string };
  assert.ok(logged.msg.includes('refused\x9b2J\x7f\u202eevil\u2066'), JSON.stringify(logged.msg));
});
