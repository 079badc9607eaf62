/** The tray menu model in every state the agent and its host can be in, read as the user reads it. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  MAX_PENDING_ITEMS,
  buildTrayMenu,
  statusLine,
  trayIconState,
  trayMenuModel,
  trayTooltip,
  type TrayAction,
  type TrayItem,
  type TrayState,
} from '../../../src-main/electron/tray-menu.js';
import type { StatusEvent } from '../../../src-main/api/contract.js';
import { MAX_LABEL_CHARS, MAX_TOOLTIP_CHARS } from '../../../src-main/electron/tray-status.js';
import { forward, fp, peer, pending, proxy, relay, statusEvent } from './status-fixtures.js';

const running = (agent: StatusEvent, openAtLogin = false): TrayState => ({
  host: { kind: 'running' },
  agent,
  openAtLogin,
});

/** The menu as the user reads it: greyed-out lines in brackets, separators '—', submenus nested, ☑/☐ checkboxes. */
function lines(items: readonly TrayItem[]): unknown[] {
  return items.map((i) => {
    if (i.type === 'separator') return '—';
    if (i.type === 'submenu') return { [i.label]: lines(i.items) };
    const box = i.checked === undefined ? '' : i.checked ? '☑ ' : '☐ ';
    return i.action ? `${box}${i.label}` : `[${i.label}]`;
  });
}

/** The action behind a top-level or nested label. */
function actionOf(items: readonly TrayItem[], ...path: string[]): TrayAction | null {
  let list = items;
  for (const [n, label] of path.entries()) {
    const found = list.find((i) => i.type !== 'separator' && i.label === label);
    if (!found || found.type === 'separator') throw new Error(`no '${label}'`);
    if (n === path.length - 1) return found.type === 'item' ? found.action : null;
    if (found.type !== 'submenu') throw new Error(`'${label}' has no submenu`);
    list = found.items;
  }
  return null;
}

const tail = ['—', 'Open Clawbridge', '☐ Start at login', 'Open log folder', '—', 'Quit'];

test('an agent that could not start (bad config.json): a short line, its reason cut to one line, Start agent', () => {
  const reason =
    'settings in /home/someone/.config/Clawbridge/config.json are invalid: relays.0.url: must be a ws:// or wss:// URL, got "htps://relay.example.com:7474" — fix the file or move it away';
  const state: TrayState = {
    host: { kind: 'stopped', failure: { code: 'CONFIG_INVALID', reason } },
    agent: null,
    openAtLogin: false,
  };
  const menu = lines(trayMenuModel(state));
  assert.equal(menu[0], '[Agent stopped: settings file is invalid]');
  const why = menu[1] as string;
  assert.equal([...why].length, MAX_LABEL_CHARS + 2, 'the reason line is capped (plus its brackets)');
  assert.ok(why.startsWith('[settings in /home/someone/.config/Clawbridge/config.json are'), why);
  assert.ok(why.endsWith('…]'), why);
  assert.deepEqual(menu.slice(2), ['Start agent', ...tail]);
  const tooltip = trayTooltip(state);
  assert.ok([...tooltip].length <= MAX_TOOLTIP_CHARS, tooltip);
  assert.match(tooltip, /^Agent stopped: settings file is invalid\nsettings in \/home\/someone\/.*…$/);
  // Something else than config.json: its data folder.
  const home = {
    kind: 'stopped',
    failure: { code: 'CONFIG_INVALID', reason: 'home /x belongs to uid 0' },
  } as const;
  assert.equal(statusLine({ ...state, host: home }), 'Agent stopped: its data folder needs fixing');
});

test('tray lines are capped: a long restart reason, relay error or forward error ends in … within 80 characters', () => {
  const long = `address ${'x'.repeat(300)}`;
  const restarting: TrayState = {
    host: { kind: 'restarting', reason: long, retryAt: 0 },
    agent: null,
    openAtLogin: false,
  };
  const line = statusLine(restarting);
  assert.equal([...line].length, MAX_LABEL_CHARS);
  assert.ok(line.startsWith('Agent restarting: address xxx') && line.endsWith('…'), line);
  assert.equal(trayTooltip(restarting), line);
  const offline = running(statusEvent({ relays: [relay(false, long)] }));
  assert.equal([...statusLine(offline)].length, MAX_LABEL_CHARS);
  const withForward = running(
    statusEvent({ relays: [relay(true)], forwards: [forward('web', 'error', long)] }),
  );
  const forwards = lines(trayMenuModel(withForward)).find(
    (l): l is { Forwards: string[] } => typeof l === 'object' && l !== null && 'Forwards' in l,
  );
  const label = forwards!.Forwards[0]!;
  assert.ok(label.endsWith('…'), label);
  assert.ok(label.length < 160, label);
  // Short lines are left alone.
  assert.equal(
    statusLine({ ...restarting, host: { kind: 'restarting', reason: 'exit 1', retryAt: 0 } }),
    'Agent restarting: exit 1…',
  );
});

test('while the host is not running: the reason, Start agent when it was stopped, then only Open, Start at login and Quit', () => {
  const host = (h: TrayState['host']): TrayState => ({ host: h, agent: null, openAtLogin: false });
  assert.deepEqual(lines(trayMenuModel(host({ kind: 'starting' }))), ['[Starting…]', ...tail]);
  assert.deepEqual(
    lines(trayMenuModel(host({ kind: 'restarting', reason: 'it exited with code 1', retryAt: 0 }))),
    ['[Agent restarting: it exited with code 1…]', ...tail],
  );
  assert.deepEqual(lines(trayMenuModel(host({ kind: 'stopped' }))), [
    '[Agent stopped]',
    'Start agent',
    ...tail,
  ]);
  // Running but no status event yet: still starting as far as the user can tell.
  assert.deepEqual(lines(trayMenuModel(host({ kind: 'running' }))), ['[Starting…]', ...tail]);
  // A last status from before a restart is not offered while the host restarts.
  const stale: TrayState = {
    host: { kind: 'restarting', reason: 'x', retryAt: 0 },
    agent: statusEvent({ pending: [pending('laptop')] }),
    openAtLogin: true,
  };
  assert.deepEqual(lines(trayMenuModel(stale)), [
    '[Agent restarting: x…]',
    '—',
    'Open Clawbridge',
    '☑ Start at login',
    'Open log folder',
    '—',
    'Quit',
  ]);
  assert.equal(trayIconState(stale), 'offline');
});

test('status line: online with path counts, connecting, offline with the reason', () => {
  const line = (parts: Parameters<typeof statusEvent>[0]) => statusLine(running(statusEvent(parts)));
  const peers = [
    peer('a', 'online', 'direct'),
    peer('bb', 'online', 'direct'),
    peer('ccc', 'online', 'relay'),
    peer('dddd', 'offline'),
  ];
  assert.equal(line({ relays: [relay(true)], peers }), 'Online — 2 direct, 1 relay');
  assert.equal(line({ relays: [relay(true)] }), 'Online — 0 direct, 0 relay');
  // Peers reached directly count as online even with the relay down.
  assert.equal(
    line({ relays: [relay(false, 'refused')], peers: peers.slice(0, 1) }),
    'Online — 1 direct, 0 relay',
  );
  assert.equal(line({ relays: [relay(false)] }), 'Connecting to relay…');
  assert.equal(
    line({ relays: [relay(false, 'connect ECONNREFUSED 10.0.0.1:443')] }),
    'Offline: connect ECONNREFUSED 10.0.0.1:443',
  );
  assert.equal(line({ relays: [] }), 'Offline: no relay configured');
});

test('icon: online, attention while requests wait, offline otherwise', () => {
  assert.equal(trayIconState(running(statusEvent({ relays: [relay(true)] }))), 'online');
  assert.equal(
    trayIconState(running(statusEvent({ relays: [relay(true)], pending: [pending('x')] }))),
    'attention',
  );
  assert.equal(trayIconState(running(statusEvent({ relays: [relay(false)] }))), 'offline');
  assert.equal(trayIconState({ host: { kind: 'starting' }, agent: null, openAtLogin: false }), 'offline');
});

test('running with nothing yet: status, empty Peers and Forwards, pairing entries', () => {
  assert.deepEqual(lines(trayMenuModel(running(statusEvent({ relays: [relay(true)] })))), [
    '[Online — 0 direct, 0 relay]',
    '—',
    { Peers: ['[No peers yet]'] },
    'Pair new device…',
    'Join with code…',
    { Forwards: ['[No forwards yet]', 'Add a forward…'] },
    ...tail,
  ]);
});

test('pending requests: one entry each up to 5, then "N more…", each opening Approvals', () => {
  const menuWith = (n: number) =>
    trayMenuModel(
      running(statusEvent({ pending: Array.from({ length: n }, (_, i) => pending(`dev${i}`, i)) })),
    );
  const approveLines = (n: number) =>
    (lines(menuWith(n)) as string[]).filter((l) => typeof l === 'string' && /^Approve|more…$/.test(l));
  assert.deepEqual(approveLines(0), []);
  assert.deepEqual(approveLines(1), ['Approve dev0…']);
  assert.deepEqual(approveLines(5), [
    'Approve dev0…',
    'Approve dev1…',
    'Approve dev2…',
    'Approve dev3…',
    'Approve dev4…',
  ]);
  assert.deepEqual(approveLines(8), [...approveLines(5), '3 more…']);
  assert.equal(MAX_PENDING_ITEMS, 5);
  assert.deepEqual(actionOf(menuWith(8), 'Approve dev2…'), {
    do: 'open',
    place: { view: 'approvals', request: 'req2' },
  });
  assert.deepEqual(actionOf(menuWith(8), '3 more…'), { do: 'open', place: { view: 'approvals' } });
});

test('peers in every state, each with Open terminal, Send files…, Copy fingerprint and both directions of trust', () => {
  const peers = [
    peer('laptop', 'online', 'direct'),
    peer('nas', 'online', 'relay'),
    peer('old', 'offline'),
    peer('new', 'waiting'),
    peer('gone', 'refused'),
    peer('far', 'unreachable'),
  ];
  const menu = trayMenuModel(running(statusEvent({ relays: [relay(true)], peers })));
  const actions = [
    'Open terminal',
    'Send files…',
    'Copy fingerprint',
    '—',
    '[May do here: terminal]',
    '[Lets this device: not known yet]',
  ];
  assert.deepEqual(lines(menu)[2], {
    Peers: [
      { 'laptop — direct': actions },
      { 'nas — relay': actions },
      { 'old — offline': actions },
      { 'new — waiting for their approval': actions },
      { 'gone — refused by them': actions },
      { 'far — unreachable': actions },
    ],
  });
  assert.deepEqual(actionOf(menu, 'Peers', 'nas — relay', 'Open terminal'), {
    do: 'open',
    place: { view: 'terminal', peer: peers[1]!.fingerprint, name: 'nas' },
  });
  assert.deepEqual(actionOf(menu, 'Peers', 'nas — relay', 'Send files…'), {
    do: 'send-files',
    peer: peers[1]!.fingerprint,
    name: 'nas',
  });
  assert.deepEqual(actionOf(menu, 'Peers', 'laptop — direct', 'Copy fingerprint'), {
    do: 'copy',
    text: peers[0]!.fingerprint,
  });
});

test("a peer's grants to this device show beside its grants here; refused terminals and files are greyed out with why", () => {
  const peers = [
    { ...peer('desk', 'online', 'direct'), allow: [], theyAllow: ['terminal' as const, 'forward' as const] },
    { ...peer('n3', 'online', 'relay'), theyAllow: ['forward' as const] },
  ];
  const model = trayMenuModel(running(statusEvent({ relays: [relay(true)], peers })));
  assert.deepEqual(lines(model)[2], {
    Peers: [
      {
        'desk — direct': [
          'Open terminal',
          '[Send files… — desk does not allow files from this device]',
          'Copy fingerprint',
          '—',
          '[May do here: nothing]',
          '[Lets this device: terminal, forward]',
        ],
      },
      {
        'n3 — relay': [
          '[Open terminal — n3 does not allow terminals from this device]',
          '[Send files… — n3 does not allow files from this device]',
          'Copy fingerprint',
          '—',
          '[May do here: terminal]',
          '[Lets this device: forward]',
        ],
      },
    ],
  });
  // As Electron gets it (faked): the refused item cannot be clicked.
  const built = buildTrayMenu(
    { buildFromTemplate: (t) => t as never },
    model,
    () => {},
    'linux',
  ) as unknown as {
    label?: string;
    submenu?: { label: string; submenu?: { label: string; enabled?: boolean; click?: () => void }[] }[];
  }[];
  const n3 = built.find((i) => i.label === 'Peers')!.submenu![1]!.submenu![0]!;
  assert.equal(n3.enabled, false);
  assert.equal(n3.click, undefined);
});

test('forwards and proxies on, off and in error; a click switches each the other way', () => {
  const menu = trayMenuModel(
    running(
      statusEvent({
        forwards: [
          forward('web', 'listening'),
          forward('db', 'off'),
          forward('ssh', 'error', 'port 8080 is taken'),
        ],
        proxies: [proxy('socks', 'listening')],
      }),
    ),
  );
  assert.deepEqual(lines(menu)[5], {
    Forwards: [
      '☑ web 127.0.0.1:8080 → laptop:localhost:80 — on',
      '☐ db 127.0.0.1:8080 → laptop:localhost:80 — off',
      '☑ ssh 127.0.0.1:8080 → laptop:localhost:80 — cannot listen: port 8080 is taken',
      '☑ socks 127.0.0.1:1080 (SOCKS) — on',
    ],
  });
  const click = (label: string) => actionOf(menu, 'Forwards', label);
  assert.deepEqual(click('web 127.0.0.1:8080 → laptop:localhost:80 — on'), {
    do: 'switch-forward',
    name: 'web',
    on: false,
  });
  assert.deepEqual(click('db 127.0.0.1:8080 → laptop:localhost:80 — off'), {
    do: 'switch-forward',
    name: 'db',
    on: true,
  });
  assert.deepEqual(click('ssh 127.0.0.1:8080 → laptop:localhost:80 — cannot listen: port 8080 is taken'), {
    do: 'switch-forward',
    name: 'ssh',
    on: false,
  });
});

test('pairing entries, Start at login both ways, Quit', () => {
  const menu = (on: boolean) => trayMenuModel(running(statusEvent(), on));
  assert.deepEqual(actionOf(menu(false), 'Pair new device…'), {
    do: 'open',
    place: { view: 'pair', mode: 'new' },
  });
  assert.deepEqual(actionOf(menu(false), 'Join with code…'), {
    do: 'open',
    place: { view: 'pair', mode: 'join' },
  });
  assert.deepEqual(actionOf(menu(false), 'Start at login'), { do: 'open-at-login', on: true });
  assert.deepEqual(actionOf(menu(true), 'Start at login'), { do: 'open-at-login', on: false });
  assert.deepEqual(actionOf(menu(true), 'Quit'), { do: 'quit' });
  assert.deepEqual(actionOf(menu(true), 'Open Clawbridge'), { do: 'open' });
});

test('buildTrayMenu: info lines disabled, checkboxes, submenus, clicks run the action', () => {
  const ran: TrayAction[] = [];
  const built = buildTrayMenu(
    { buildFromTemplate: (t) => t as never },
    trayMenuModel(running(statusEvent({ peers: [peer('laptop', 'online', 'direct')] }), true)),
    (a) => ran.push(a),
    'darwin',
  ) as unknown as {
    label?: string;
    enabled?: boolean;
    type?: string;
    checked?: boolean;
    click?: () => void;
    submenu?: { label: string; submenu?: { label: string; click: () => void }[] }[];
  }[];
  assert.equal(built[0]!.enabled, false);
  const login = built.find((i) => i.label === 'Start at login')!;
  assert.equal(login.type, 'checkbox');
  assert.equal(login.checked, true);
  const laptop = built.find((i) => i.label === 'Peers')!.submenu![0]!.submenu!;
  laptop.find((i) => i.label === 'Copy fingerprint')!.click();
  laptop.find((i) => i.label === 'Send files…')!.click();
  const fingerprint = peer('laptop', 'online').fingerprint;
  assert.deepEqual(ran, [
    { do: 'copy', text: fingerprint },
    { do: 'send-files', peer: fingerprint, name: 'laptop' },
  ]);
});

test('on Windows and Linux an & in a name shows as itself, not as a mnemonic', () => {
  const model = trayMenuModel(running(statusEvent({ peers: [peer('R&D box', 'offline')] })));
  const peersMenu = (platform: NodeJS.Platform) =>
    (
      buildTrayMenu({ buildFromTemplate: (t) => t as never }, model, () => {}, platform) as unknown as {
        label?: string;
        submenu?: { label: string }[];
      }[]
    ).find((i) => i.label === 'Peers')!.submenu![0]!.label;
  assert.equal(peersMenu('win32'), 'R&&D box — offline');
  assert.equal(peersMenu('linux'), 'R&&D box — offline');
  assert.equal(peersMenu('darwin'), 'R&D box — offline');
});

test('a web UI moved off the port it served on last says where it is now, under the status line', () => {
  const kept = lines(trayMenuModel(running(statusEvent({ ui: { address: '127.0.0.1:7476' } }))));
  assert.ok(!kept.some((l) => typeof l === 'string' && l.includes('Web UI')), 'nothing while it stays');
  const moved = lines(
    trayMenuModel(running(statusEvent({ ui: { address: '127.0.0.1:40123', movedFrom: 7476 } }))),
  );
  assert.equal(moved[1], '[Web UI moved to 127.0.0.1:40123 (port 7476 was taken)]');
});

test('groups: a Groups submenu with each group, its role, its devices a terminal away; none without groups', () => {
  const device = (name: string, letter: string, online: boolean, self = false) => ({
    name,
    fingerprint: fp(letter),
    self,
    online,
    path: online && !self ? ('relay' as const) : null,
    why: online ? null : 'not linked yet',
  });
  const owned = {
    id: '1'.repeat(32),
    name: 'lab',
    role: 'owner' as const,
    permissions: ['terminal'],
    devices: [device('desk', 'a', true, true), device('build-1', 'b', true)],
    members: [{ name: 'mira', root: fp('c'), devices: [{ name: 'mira', fingerprint: fp('c') }] }],
  };
  const joined = {
    id: '2'.repeat(32),
    name: 'ci',
    role: 'member' as const,
    permissions: ['terminal', 'forward'],
    devices: [device('runner', 'd', false)],
  };
  const menu = trayMenuModel(running(statusEvent({ groups: [owned, joined] })));
  const groups = lines(menu).find((l) => typeof l === 'object' && l !== null && 'Groups' in l);
  assert.deepEqual(groups, {
    Groups: [
      {
        'lab — owner': [
          '[desk — this device]',
          'Open terminal on build-1 — online',
          '—',
          '[Members may: terminal]',
          '[Members: mira]',
        ],
      },
      {
        'ci — member': ['Open terminal on runner — offline', '—', '[Members may: terminal, forward]'],
      },
    ],
  });
  assert.deepEqual(actionOf(menu, 'Groups', 'ci — member', 'Open terminal on runner — offline'), {
    do: 'open',
    place: { view: 'terminal', peer: fp('d'), name: 'runner' },
  });
  for (const none of [statusEvent(), statusEvent({ groups: [] })]) {
    const labels = trayMenuModel(running(none)).map((i) => (i.type === 'separator' ? '—' : i.label));
    assert.ok(!labels.includes('Groups'), 'no Groups submenu without groups');
  }
});
