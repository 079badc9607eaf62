/**
 * The audit log with two real agents (issue 28, must-be-true 3): b pairs with a by code and a
 * approves; b opens a terminal on a, makes a connection through a forward that exits at a, and — once
 * a's owner takes terminals away — is refused a terminal; removed, its links are refused. `clawbridge log --json` on a (the serving
 * side) then lists the approval, the terminal session, the forward connection and the refused
 * attempt, each with b's fingerprint, a time and an outcome; `--peer` and `--since` filter; the file
 * is 0600.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { connect, createServer } from 'node:net';
import type { AuditEvent } from '../../src-main/audit/audit-events.js';
import { agentCall, cli, cliJson, pairedAgents, startRelay, stopAll, nodeId } from '../helpers/processes.js';
import { ok } from './forward-helpers.js';
import { freePort } from '../helpers/ports.js';
import { until } from '../helpers/wait.js';

after(stopAll);

test(
  'log --json on the serving side lists an approval, a terminal, a forward connection and a refusal',
  { timeout: 120_000 },
  async () => {
    const relay = await startRelay();
    const { homeA, homeB } = await pairedAgents(relay.url, ['audit-a', 'audit-b']);
    const fb = (await nodeId(homeB)).fingerprint;

    // A terminal b opens on a (approval gave b terminal and forward).
    const term = await cli(['term', 'a', '--home', homeB, '--', 'sh', '-c', 'echo audited-$((6*7))']);
    assert.equal(term.code, 0, term.stderr);
    assert.match(term.stdout, /audited-42/);

    // A connection through b's forward, exiting at a to an echo server on a's side.
    const echo = createServer((s) => s.on('error', () => undefined).pipe(s));
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
    after(() => echo.close());
    const echoPort = (echo.address() as { port: number }).port;
    const port = await freePort();
    await ok([
      'forward',
      'add',
      '--local',
      String(port),
      '--via',
      'a',
      '--remote',
      `127.0.0.1:${echoPort}`,
      '--name',
      'f',
      '--home',
      homeB,
    ]);
    const payload = 'x'.repeat(1000);
    await until(
      'an echo through the forward',
      () =>
        new Promise<boolean>((resolve) => {
          const s = connect({ port, host: '127.0.0.1' });
          let got = '';
          s.on('error', () => resolve(false));
          s.on('data', (d: Buffer) => {
            got += d.toString();
            if (got.length >= payload.length) s.end();
          });
          s.on('close', () => resolve(got === payload));
          s.write(payload);
        }),
      20_000,
    );

    // The owner of a takes terminals away; b's next terminal is refused there.
    await ok(['peers', 'deny', 'b', 'terminal', '--home', homeA]);
    const refused = await cli(['term', 'a', '--home', homeB, '--', 'true']);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /permission denied/);

    const fromB = (e: AuditEvent) => e.peer?.fingerprint === fb;
    // Waited for through the agent (which writes out what it holds first), then read once with the
    // CLI: a CLI process each poll cost ~0.4 s of CPU.
    await until(
      'the refusal in the log',
      async () => {
        const list = (await agentCall(homeA, 'audit.list', {})).events;
        return list.some((e) => e.kind === 'refused') && list.some((e) => e.kind === 'connection');
      },
      30_000,
    );
    const events = await cliJson<AuditEvent[]>(['log', '--json', '--home', homeA]);
    const find = (what: string, pick: (e: AuditEvent) => boolean) => {
      const e = events.find((x) => pick(x) && fromB(x));
      assert.ok(e, `${what} from b in ${JSON.stringify(events, null, 1)}`);
      assert.ok(!Number.isNaN(Date.parse(e.time)), `${what} has a time`);
      return e;
    };
    const approval = find('an approval', (e) => e.kind === 'approval');
    assert.equal(approval.outcome, 'ok');
    const start = find(
      'a terminal start',
      (e) => e.kind === 'terminal' && e.phase === 'start' && e.side === 'served',
    );
    assert.equal(start.outcome, 'ok');
    assert.ok(start.path === 'direct' || start.path === 'relay', 'the path it came on');
    const end = find('a terminal end', (e) => e.kind === 'terminal' && e.phase === 'end');
    assert.ok(end.kind === 'terminal' && (end.bytesIn ?? 0) > 0, 'its output counted');
    const conn = find('a forward connection', (e) => e.kind === 'connection' && e.connection === 'tcp-exit');
    assert.ok(conn.kind === 'connection', "conn.kind === 'connection'");
    assert.equal(conn.outcome, 'ok');
    assert.equal(conn.bytesIn, payload.length);
    assert.equal(conn.bytesOut, payload.length);
    const refusal = find('a refused terminal', (e) => e.kind === 'refused' && e.service === 'terminal');
    assert.equal(refusal.outcome, 'refused');
    assert.match(refusal.reason ?? '', /does not allow terminals from b/);
    const change = find('the permission change', (e) => e.kind === 'permission');
    assert.ok(
      change.kind === 'permission' && !change.after.includes('terminal'),
      "change.kind === 'permission' && !change.after.includes('terminal')",
    );

    // Filters: by peer name and fingerprint prefix, and by time; the table form; the file's mode.
    const byName = await cliJson<AuditEvent[]>(['log', '--json', '--peer', 'b', '--home', homeA]);
    assert.ok(byName.length > 0 && byName.every(fromB), 'byName.length > 0 && byName.every(fromB)');
    const byFp = await cliJson<AuditEvent[]>(['log', '--json', '--peer', fb.slice(0, 8), '--home', homeA]);
    assert.deepEqual(byFp, byName);
    assert.deepEqual(
      await cliJson<AuditEvent[]>(['log', '--json', '--since', '2099-01-01', '--home', homeA]),
      [],
    );
    const text = await ok(['log', '--since', '1h', '--home', homeA]);
    assert.match(text, /^TIME \(UTC\)\s+EVENT\s+PEER/);
    assert.match(text, /refused: permission denied/);
    assert.equal(statSync(join(homeA, 'audit.log')).mode & 0o777, 0o600);

    // Removed, b keeps knocking: each link a refuses is a refused attempt too.
    await ok(['peers', 'remove', 'b', '--home', homeA]);
    const knocked = (list: AuditEvent[]) =>
      list.find((e) => e.kind === 'refused' && e.service === 'link' && fromB(e));
    await until(
      'a refused link from b',
      async () => knocked((await agentCall(homeA, 'audit.list', {})).events),
      20_000,
    );
    const knock = knocked(await cliJson<AuditEvent[]>(['log', '--json', '--home', homeA]));
    assert.ok(knock, '`clawbridge log` shows the refused link');
    assert.equal(knock.outcome, 'refused');
    assert.match(knock.reason ?? '', /was removed by a/);
  },
);
