/**
 * Main's side of the desktop app's session host (src-main/electron/session-host-launcher.ts), with
 * Electron's utilityProcess faked by plain objects: when main forks a host, what it tells it, and how
 * Quit ends it. The host process itself is session-host-process.test.ts's.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import {
  HOST_STARTING_MS,
  planHostRequest,
  sessionHostLauncher,
  stopHosts,
  type HostChildProcess,
  type SessionHostElectron,
} from '../../../src-main/electron/session-host-launcher.js';
import { hostToSessionHostMessage } from '../../../src-main/electron/session-host-process-messages.js';

class FakeHost extends EventEmitter implements HostChildProcess {
  readonly pid = 4242;
  readonly posted: unknown[] = [];
  killed = 0;
  postMessage(message: unknown): void {
    this.posted.push(message);
  }
  kill(): boolean {
    this.killed++;
    setImmediate(() => this.emit('exit', 15));
    return true;
  }
  /** The host exits by itself (idle, or after its agent's `bye`). */
  exitNow(code = 0): void {
    this.emit('exit', code);
  }
}

function fakeElectron(opts: { failFork?: boolean } = {}) {
  const forked: { proc: FakeHost; modulePath: string; options: unknown }[] = [];
  const e: SessionHostElectron = {
    utilityProcess: {
      fork(modulePath, _args, options) {
        if (opts.failFork) throw new Error('no utility process today');
        const proc = new FakeHost();
        forked.push({ proc, modulePath, options });
        return proc;
      },
    },
  };
  return { e, forked };
}

function launcherAt(e: SessionHostElectron, clock: { t: number }, logs: string[] = []) {
  return sessionHostLauncher(e, {
    entry: '/app/dist/app/electron/session-host-process.js',
    socketPath: () => '/home/u/.config/Clawbridge/pty.sock',
    logPath: '/home/u/.config/Clawbridge/logs/session-host.log',
    log: (line) => logs.push(line),
    now: () => clock.t,
  });
}

test('planHostRequest: fork, unless quitting or a host main forked is still starting', () => {
  assert.deepEqual(planHostRequest([], 0, false), { fork: true });
  assert.equal(planHostRequest([{ forkedAt: 1_000 }], 1_000 + HOST_STARTING_MS - 1, false).fork, false);
  // Older and still unreachable: it is not answering on the socket, so a new one is started.
  assert.deepEqual(planHostRequest([{ forkedAt: 1_000 }], 1_000 + HOST_STARTING_MS, false), { fork: true });
  assert.deepEqual(planHostRequest([], 0, true), { fork: false, why: 'the app is quitting' });
});

test('a request forks the host entry as a utility process and tells it its socket and log file', () => {
  const { e, forked } = fakeElectron();
  const launcher = launcherAt(e, { t: 0 });
  launcher.request();
  assert.equal(forked.length, 1);
  assert.equal(forked[0]!.modulePath, '/app/dist/app/electron/session-host-process.js');
  assert.deepEqual(forked[0]!.options, { serviceName: 'Clawbridge sessions', stdio: 'ignore' });
  const [start] = forked[0]!.proc.posted;
  assert.deepEqual(hostToSessionHostMessage.parse(start), {
    type: 'start',
    socketPath: '/home/u/.config/Clawbridge/pty.sock',
    logPath: '/home/u/.config/Clawbridge/logs/session-host.log',
  });
  assert.equal(launcher.live, 1);
});

test('a second request while the host starts forks nothing; one after it exited forks a new host', () => {
  const { e, forked } = fakeElectron();
  const clock = { t: 0 };
  const launcher = launcherAt(e, clock);
  launcher.request();
  clock.t = HOST_STARTING_MS / 2;
  launcher.request();
  assert.equal(forked.length, 1);
  forked[0]!.proc.exitNow(0);
  assert.equal(launcher.live, 0);
  launcher.request();
  assert.equal(forked.length, 2);
});

test('a fork that throws is logged, and the next request tries again', () => {
  const logs: string[] = [];
  const failing = fakeElectron({ failFork: true });
  const launcher = launcherAt(failing.e, { t: 0 }, logs);
  launcher.request();
  assert.match(logs.join('\n'), /could not be started: no utility process today/);
  assert.equal(launcher.live, 0);
});

test('Quit waits for the host to exit by itself, kills one still there after the wait, then refuses requests', async () => {
  const { e, forked } = fakeElectron();
  const launcher = launcherAt(e, { t: 0 });
  launcher.request();
  const host = forked[0]!.proc;
  // Exits by itself (the agent's bye) within the wait: not killed.
  const stopped = launcher.stop(1_000);
  setTimeout(() => host.exitNow(0), 20);
  await stopped;
  assert.equal(host.killed, 0);
  launcher.request();
  assert.equal(forked.length, 1, 'no host is forked once Quit began');
});

test('stopHosts kills a host that does not exit within the wait', async () => {
  const { e, forked } = fakeElectron();
  const launcher = launcherAt(e, { t: 0 });
  launcher.request();
  const started = Date.now();
  await launcher.stop(50);
  assert.equal(forked[0]!.proc.killed, 1);
  assert.ok(Date.now() - started >= 45, 'Date.now() - started >= 45');
  assert.equal(launcher.live, 0);
  await stopHosts([], 10); // nothing to end: resolves at once
});
