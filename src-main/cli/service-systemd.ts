/**
 * The systemd unit `clawbridge service install` writes on Linux: a user unit (`~/.config/systemd/user`),
 * or, run as root for a dedicated user (`--run-as USER`), a system unit with `User=`. Restarted on
 * failure, with the open-file limit a relay needs and the hardening each kind of server allows; the
 * directives left out are written into the unit as comments with their reason, so the owner reading it
 * sees why (docs/service.md §Hardening).
 */
import { serviceArgv, SERVICE_OPEN_FILES, type ServiceKind, type ServiceSpec } from './service-spec.js';

/** What is left out of a unit, and why: written as a comment in the unit and listed in the docs. */
export interface LeftOut {
  readonly directives: string;
  readonly why: string;
}

export interface SystemdHardening {
  /** `Directive=value` lines the unit carries. */
  readonly kept: readonly string[];
  readonly leftOut: readonly LeftOut[];
}

/** Why no directive that implies NoNewPrivileges= fits a shell server. */
const SHELLS_NEED_PRIVILEGES: LeftOut = {
  directives:
    'NoNewPrivileges=, and what implies it in a user unit or with User= (SystemCallFilter=, LockPersonality=, RestrictRealtime=, RestrictSUIDSGID=, RestrictNamespaces=, ProtectKernel*=, ProtectClock=), CapabilityBoundingSet=',
  why: "a served shell is the owner's own: sudo, su and ping gain their privileges through setuid and file capabilities, which these take away",
};

const SHELLS_NEED_THE_FILESYSTEM: LeftOut = {
  directives: 'ProtectSystem=, ProtectHome=, PrivateTmp=, PrivateDevices=, ReadWritePaths=',
  why: "a served shell must see the owner's files, the shared /tmp (tmux and ssh-agent sockets), devices (serial ports) and a writable /usr and /etc for `sudo apt upgrade`",
};

const SHELLS_NEED_EVERY_SOCKET: LeftOut = {
  directives: 'RestrictAddressFamilies=, IPAddressDeny=',
  why: "forwards and a shell's programs may use any address family and address",
};

const V8_WRITES_CODE: LeftOut = {
  directives: 'MemoryDenyWriteExecute=',
  why: 'Node.js (V8) compiles JavaScript into memory it writes and then runs',
};

/** The namespace-based sandbox, which a system unit has and a user unit only through a user namespace. */
const NAMESPACED = [
  'ProtectSystem=strict',
  'ProtectHome=read-only',
  'PrivateTmp=yes',
  'PrivateDevices=yes',
  'ProtectKernelTunables=yes',
  'ProtectKernelModules=yes',
  'ProtectKernelLogs=yes',
  'ProtectControlGroups=yes',
  'ProtectClock=yes',
  'ProtectHostname=yes',
];

/** The hardening directives for a kind of server in a user or a system unit. */
export function systemdHardening(kind: ServiceKind, system: boolean, home: string): SystemdHardening {
  if (kind === 'agent')
    return {
      kept: [],
      leftOut: [SHELLS_NEED_PRIVILEGES, SHELLS_NEED_THE_FILESYSTEM, SHELLS_NEED_EVERY_SOCKET, V8_WRITES_CODE],
    };
  // A relay needs its home (its certificate), the network and nothing else of the machine.
  const common = [
    'NoNewPrivileges=yes',
    'RestrictSUIDSGID=yes',
    'LockPersonality=yes',
    'RestrictRealtime=yes',
    'RestrictNamespaces=yes',
    'SystemCallArchitectures=native',
    'SystemCallFilter=@system-service',
    // AF_NETLINK: Node lists the machine's interfaces through it.
    'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK',
    'UMask=0077',
  ];
  if (!system)
    return {
      kept: common,
      leftOut: [
        {
          directives: NAMESPACED.map((d) => d.split('=')[0] + '=').join(', '),
          why: 'a user unit gets them only inside a user namespace, which some kernels refuse to unprivileged users (the unit would then not start); a system unit (`service install` as root with --run-as) has them',
        },
        {
          directives: 'AmbientCapabilities=CAP_NET_BIND_SERVICE',
          why: 'a user manager cannot grant capabilities: listen on a port above 1023, or install a system unit',
        },
        V8_WRITES_CODE,
      ],
    };
  return {
    kept: [
      ...common,
      ...NAMESPACED,
      `ReadWritePaths=${unitWord(home)}`,
      // A relay on port 443 as its own user.
      'CapabilityBoundingSet=CAP_NET_BIND_SERVICE',
      'AmbientCapabilities=CAP_NET_BIND_SERVICE',
    ],
    leftOut: [V8_WRITES_CODE],
  };
}

/** systemd expands `%` specifiers in most values and `$` variables in command lines: both doubled. */
const literal = (s: string): string => s.replaceAll('%', '%%');

/**
 * One word of a unit's command line or path list as systemd parses it (systemd.service(5) §Command
 * lines): a plain word as it is, anything else in double quotes with `\` and `"` escaped; `%` and `$`
 * doubled everywhere, since specifiers and variables are expanded inside quotes too.
 */
export function unitWord(arg: string): string {
  const escaped = literal(arg).replaceAll('$', '$$$$');
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(escaped) && !/^[@\-:+!]/.test(escaped)) return escaped;
  return `"${escaped.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
}

/** The unit's ExecStart= value: the service's argument vector, each word quoted for systemd. */
export const execStartLine = (spec: ServiceSpec): string => serviceArgv(spec).map(unitWord).join(' ');

export interface SystemdUnitOptions {
  /** A system unit run as this user (`User=`); absent: a user unit. */
  runAs?: string;
}

/** The unit file's text. */
export function systemdUnit(spec: ServiceSpec, options: SystemdUnitOptions = {}): string {
  const system = options.runAs !== undefined;
  const hardening = systemdHardening(spec.kind, system, spec.home);
  const what = spec.kind === 'agent' ? 'Clawbridge agent' : 'Clawbridge relay';
  const lines = [
    '# Written by `clawbridge service install`; `clawbridge service uninstall` removes it.',
    '[Unit]',
    `Description=${literal(`${what} (home ${spec.home})`)}`,
    // A user manager has no network-online.target: the agent and the relay retry until the network is up.
    ...(system ? ['Wants=network-online.target', 'After=network-online.target'] : []),
    '',
    '[Service]',
    'Type=exec',
    ...(system ? [`User=${options.runAs}`] : []),
    `ExecStart=${execStartLine(spec)}`,
    'Restart=on-failure',
    'RestartSec=5',
    // Only the main process is asked to stop: the agent hangs up its shells and tells its peers itself,
    // and what is left after the timeout is killed.
    'KillMode=mixed',
    'TimeoutStopSec=20',
    `LimitNOFILE=${SERVICE_OPEN_FILES}`,
    '',
    '# Hardening',
    ...hardening.kept,
    ...hardening.leftOut.flatMap((l) => [`# Left out: ${l.directives}`, `#   because ${l.why}.`]),
    '',
    '[Install]',
    `WantedBy=${system ? 'multi-user.target' : 'default.target'}`,
    '',
  ];
  return lines.join('\n');
}
