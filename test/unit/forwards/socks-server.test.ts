/**
 * The SOCKS5 front end with raw clients speaking bytes: RFC 1928 CONNECT for IPv4, IPv6 and names,
 * RFC 1929 user names choosing the exit peer, reply codes for every failure, and bad input that closes
 * only its own connection.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { listenTcp, type TcpListener } from '../../../src-main/forwards/listener.js';
import { handleSocksConnection } from '../../../src-main/forwards/socks-server.js';
import {
  AuthMethod,
  decodeReply,
  encodeGreeting,
  encodeRequest,
  encodeUserPass,
  SocksCommand,
  SocksReply,
  type SocksAddress,
} from '../../../src-main/protocol/socks5.js';
import { closedPort, echoServer, frontEnd, memoryExit, RawClient, type ExitOptions } from './fixtures.js';
import { failTest } from '../../helpers/unawaited.js';

const echo = await echoServer(' bye');
const listeners: TcpListener[] = [];
const closers: (() => void)[] = [];
after(async () => {
  echo.server.close();
  for (const c of closers) c();
  for (const l of listeners) await l.close();
});

async function socksProxy(via: string | undefined, exitOpts: ExitOptions = {}) {
  const exit = memoryExit(exitOpts);
  closers.push(exit.close);
  const fe = frontEnd(exit.dialer, 'socks-test');
  const listener = await listenTcp('127.0.0.1', 0, (s) => {
    handleSocksConnection(s, { ...fe.ctx, via }).catch(failTest('handleSocksConnection'));
  });
  listeners.push(listener);
  return { ...fe, port: Number(listener.address.split(':').pop()) };
}

/** Greeting + (optional) user/pass + CONNECT; returns the client and the reply code. */
async function socksConnect(
  port: number,
  target: SocksAddress,
  opts: { user?: string; command?: number } = {},
): Promise<{ client: RawClient; reply: number }> {
  const client = await RawClient.open(port);
  const auth = opts.user !== undefined;
  client.write(encodeGreeting(auth ? [AuthMethod.None, AuthMethod.UserPassword] : [AuthMethod.None]));
  const choice = await client.read(2);
  assert.deepEqual([...choice], [5, auth ? AuthMethod.UserPassword : AuthMethod.None]);
  if (auth) {
    client.write(encodeUserPass(opts.user!, 'x'));
    assert.deepEqual([...(await client.read(2))], [1, 0]);
  }
  client.write(encodeRequest({ command: opts.command ?? SocksCommand.Connect, address: target }));
  const head = await client.read(10); // every reply here carries an IPv4 bound address
  const d = decodeReply(head);
  assert.equal(d.status, 'done');
  return { client, reply: d.status === 'done' ? d.value.reply : -1 };
}

test('CONNECT to an IPv4 address: bytes both ways, half-close honoured, bytes counted', async () => {
  const proxy = await socksProxy('b');
  const { client, reply } = await socksConnect(proxy.port, {
    type: 'ipv4',
    host: '127.0.0.1',
    port: echo.port,
  });
  assert.equal(reply, SocksReply.Succeeded);
  client.write('ping');
  assert.equal((await client.read(4)).toString(), 'ping');
  client.end(); // our FIN reaches the echo server, which answers and then ends
  assert.equal((await client.readToEnd()).toString(), ' bye');
  assert.equal(proxy.counts.bytesOut, 4);
  assert.equal(proxy.counts.bytesIn, 8);
});

test('CONNECT to an IPv6 address and to a name resolved at the exit', async () => {
  let sixSide: Socket | undefined;
  const v6 = createServer((s) => {
    sixSide = s;
    s.end('six');
  });
  await new Promise<void>((r) => v6.listen(0, '::1', () => r()));
  closers.push(() => v6.close());
  const proxy = await socksProxy('b');
  const six = await socksConnect(proxy.port, {
    type: 'ipv6',
    host: '::1',
    port: (v6.address() as { port: number }).port,
  });
  assert.equal(six.reply, SocksReply.Succeeded);
  assert.equal((await six.client.readToEnd()).toString(), 'six');
  // The client's FIN reaches the target through the exit, whose connection then closes cleanly (left
  // half-open, the teardown after the test reset it).
  six.client.end();
  await new Promise((r) => sixSide!.once('close', r));

  const named = await socksConnect(proxy.port, { type: 'domain', host: 'localhost', port: echo.port });
  assert.equal(named.reply, SocksReply.Succeeded);
  named.client.write('n');
  named.client.end();
  assert.equal((await named.client.readToEnd()).toString(), 'n bye');
});

test('the user name chooses the exit peer; without --via it is required', async () => {
  const proxy = await socksProxy(undefined);
  const ok = await socksConnect(
    proxy.port,
    { type: 'ipv4', host: '127.0.0.1', port: echo.port },
    { user: 'b' },
  );
  assert.equal(ok.reply, SocksReply.Succeeded);
  ok.client.destroy();

  const unknown = await socksConnect(
    proxy.port,
    { type: 'domain', host: 'localhost', port: echo.port },
    { user: 'office' },
  );
  assert.equal(unknown.reply, SocksReply.NotAllowed);
  await unknown.client.closedByServer();
  assert.ok(
    proxy.lines.some((l) => l.level === 40 && /^socks: no peer named 'office'/.test(l.msg)),
    "proxy.lines.some((l) => l.level === 40 && /^socks: no peer named 'office'/.test(l.msg))",
  );

  // No user name offered and no --via: no acceptable method, and the owner is told why (the client
  // only gets the bare code), once for a client that keeps retrying.
  for (let i = 0; i < 3; i++) {
    const bare = await RawClient.open(proxy.port);
    bare.write(encodeGreeting([AuthMethod.None]));
    assert.deepEqual([...(await bare.read(2))], [5, AuthMethod.NoAcceptable]);
    await bare.closedByServer();
  }
  const told = proxy.notices.filter((n) => /no username\/password, and this proxy has no --via/.test(n));
  assert.equal(told.length, 1, proxy.notices.join('\n'));
});

test('failures map to RFC 1928 reply codes', async () => {
  const proxy = await socksProxy('b');
  const port = await closedPort();
  const refused = await socksConnect(proxy.port, { type: 'ipv4', host: '127.0.0.1', port });
  assert.equal(refused.reply, SocksReply.ConnectionRefused);
  await refused.client.closedByServer();

  for (const command of [SocksCommand.Bind, SocksCommand.UdpAssociate]) {
    const r = await socksConnect(
      proxy.port,
      { type: 'ipv4', host: '127.0.0.1', port: echo.port },
      { command },
    );
    assert.equal(r.reply, SocksReply.CommandNotSupported);
  }

  const denied = await socksProxy('b', { allow: [] });
  const d = await socksConnect(denied.port, { type: 'ipv4', host: '127.0.0.1', port: echo.port });
  assert.equal(d.reply, SocksReply.NotAllowed);
  assert.ok(
    denied.lines.some(
      (l) =>
        l.msg ===
        'socks: permission denied: b does not allow forwards from a (its owner can run `clawbridge peers allow a forward` there)',
    ),
    "denied.lines.some( (l) => l.msg === 'socks: permission denied: b does not allow forwards from a (its owner can run `clawbridge peers allow a forward` there)', )",
  );

  const limited = await socksProxy('b', { forwardTo: ['10.*:*'] });
  const l = await socksConnect(limited.port, { type: 'ipv4', host: '127.0.0.1', port: echo.port });
  assert.equal(l.reply, SocksReply.NotAllowed);

  // An address type that does not exist: reply 8, then close.
  const odd = await RawClient.open(proxy.port);
  odd.write(encodeGreeting([AuthMethod.None]));
  await odd.read(2);
  odd.write(Buffer.from([5, 1, 0, 9, 1, 2, 3, 4, 0, 80]));
  assert.equal((await odd.read(2))[1], SocksReply.AddressTypeNotSupported);
  await odd.closedByServer();
});

test('a malformed greeting closes that connection only; the proxy keeps serving', async () => {
  const proxy = await socksProxy('b');
  const bad = await RawClient.open(proxy.port);
  bad.write(Buffer.from('GET / HTTP/1.1\r\n\r\n'));
  assert.equal((await bad.readToEnd()).length, 0);
  assert.ok(
    proxy.lines.some((l) => /^socks: not a SOCKS5 greeting/.test(l.msg)),
    'proxy.lines.some((l) => /^socks: not a SOCKS5 greeting/.test(l.msg))',
  );

  const good = await socksConnect(proxy.port, { type: 'ipv4', host: '127.0.0.1', port: echo.port });
  assert.equal(good.reply, SocksReply.Succeeded);
  good.client.end();
  assert.equal((await good.client.readToEnd()).toString(), ' bye');
});

test('bytes a client sends right after its request (before the reply) are not lost', async () => {
  const proxy = await socksProxy('b');
  const client = await RawClient.open(proxy.port);
  client.write(
    Buffer.concat([
      encodeGreeting([AuthMethod.None]),
      encodeRequest({
        command: SocksCommand.Connect,
        address: { type: 'ipv4', host: '127.0.0.1', port: echo.port },
      }),
      Buffer.from('early'),
    ]),
  );
  client.end();
  const all = await client.readToEnd();
  assert.equal(all.subarray(12).toString(), 'early bye'); // 2-byte method choice + 10-byte reply
});
