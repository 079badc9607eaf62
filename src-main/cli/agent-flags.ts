/**
 * `clawbridge agent` flags → the settings they change. Pure, so every combination is unit-tested. The
 * node's own flags are here; a domain's come from its `cli/` part (cli/domain-cli.ts `agentFlags`).
 */
import { sameRelayUrl } from '../core/relay-url.js';
import type { Writable } from '../core/deep-readonly.js';
import { ClawError, errorMessage } from '../core/errors.js';
import { parseFingerprint } from '../core/fingerprint.js';
import { parseHostPort } from '../core/host-port.js';
import { MAX_TOKEN_BYTES } from '../protocol/relay-frames.js';
import { normalizeNodeName, typedNameProblem } from '../core/names.js';
import type { Settings } from '../state/settings.js';
import { isLoopbackHost } from '../core/host-header.js';
import { printNote } from './output.js';
import { argvSecretWarning, readSecretFile } from './secret-file.js';
import type { AgentFlag } from './domain-cli.js';

export interface AgentCliOptions {
  home?: string;
  name?: string;
  relay?: string[];
  /** `HEX`, `URL=HEX`, or `none` / `URL=none` to drop a pin (repeatable). */
  relayFingerprint?: string[];
  /** An access token for the relays given (or saved); '' removes it. On the command line: warned about. */
  relayToken?: string[];
  /** `[URL=]FILE`: a relay's access token read from a file, kept off the command line (repeatable). */
  relayTokenFile?: string[];
  listen?: string;
  direct?: boolean;
  actAsRelay?: boolean;
  relayListen?: string;
  /** `--[no-]relay-page`: whether the relay this node serves serves the browser page (saved). */
  relayPage?: boolean;
  /** `--ui-listen HOST:PORT`: where the web UI is served. */
  uiListen?: string;
  /** false with `--no-ui`. */
  ui?: boolean;
  /** `--allow-remote-ui`: consent to a web UI address other machines can reach. */
  allowRemoteUi?: boolean;
  /** `--[no-]allow-remote-reverse-listen`: consent to peers' reverse forwards on non-loopback addresses. */
  allowRemoteReverseListen?: boolean;
  /** `--[no-]port-mapping`: ask the router to map the direct listener's port (saved). */
  portMapping?: boolean;
}

/**
 * The web UI flags on their own, before anything reads or writes the home: contradictions, and an
 * address other machines can reach without `--allow-remote-ui`.
 * @throws ClawError('BAD_ARGUMENT') saying which flag to change
 */
export function checkUiFlags(opts: AgentCliOptions): void {
  if (opts.ui === false && (opts.uiListen !== undefined || opts.allowRemoteUi === true)) {
    throw new ClawError('BAD_ARGUMENT', '--no-ui contradicts --ui-listen and --allow-remote-ui; pick one');
  }
  if (opts.uiListen === undefined) return;
  const { host } = flagValue('--ui-listen', () => parseHostPort(opts.uiListen!));
  if (!isLoopbackHost(host) && opts.allowRemoteUi !== true) {
    throw new ClawError(
      'BAD_ARGUMENT',
      `--ui-listen ${opts.uiListen} is reachable from other machines, and whoever opens the web UI's link ` +
        'drives this node: add --allow-remote-ui to mean it, or use --ui-listen 127.0.0.1:PORT',
    );
  }
}

/**
 * The `ui` settings the web UI flags change. `--ui-listen` saves the address with the consent given
 * alongside it (none: loopback only again); `--allow-remote-ui` alone applies to the saved address.
 */
function uiOverrides(opts: AgentCliOptions, saved: Settings): Settings['ui'] | undefined {
  checkUiFlags(opts);
  if (opts.ui === false) return { ...saved.ui, listen: null };
  if (opts.uiListen !== undefined) return { listen: opts.uiListen, allowRemote: opts.allowRemoteUi === true };
  if (opts.allowRemoteUi === true) return { ...saved.ui, allowRemote: true };
  return undefined;
}

/** What the flags read besides themselves: token files, and where warnings go. */
export interface AgentFlagIo {
  /** The secret in a file (secret-file.ts). */
  readSecret(flag: string, path: string): string;
  /** One warning line for the user (a secret on the command line, a token file others may read). */
  warn(line: string): void;
}

const stderrIo: AgentFlagIo = {
  readSecret: (flag, path) => readSecretFile(flag, path, printNote),
  warn: printNote,
};

/** A domain's `agent` flag (cli/domain-cli.ts) and the value given for it, if it was. */
export interface GivenDomainFlag {
  readonly flag: AgentFlag;
  readonly value: string | undefined;
}

/**
 * Turns `agent` flags into the settings they change; flags not given leave saved settings alone.
 * `domainFlags`: the domains' flags, each with its value when given.
 */
export function agentOverrides(
  opts: AgentCliOptions,
  saved: Settings,
  io: AgentFlagIo = stderrIo,
  domainFlags: readonly GivenDomainFlag[] = [],
): Partial<Settings> {
  // A draft of the options the flags change, for the node state's setOptions.
  const out: Writable<Partial<Settings>> = {};
  const ui = uiOverrides(opts, saved);
  if (ui) out.ui = ui;
  if (opts.name !== undefined) {
    // The one rule for node names (core/names.ts), as the window and the API apply it.
    const problem = typedNameProblem(opts.name);
    if (problem) throw new ClawError('BAD_ARGUMENT', `--name: a node name ${problem}`);
    out.name = normalizeNodeName(opts.name);
  }
  if (opts.direct === false && opts.listen !== undefined) {
    throw new ClawError('BAD_ARGUMENT', '--listen and --no-direct contradict each other; pick one');
  }
  if (opts.direct === false) out.listen = null;
  if (opts.actAsRelay !== undefined) out.actAsRelay = opts.actAsRelay;
  if (opts.relayPage !== undefined) out.relayPage = opts.relayPage;
  if (opts.allowRemoteReverseListen !== undefined)
    out.allowRemoteReverseListen = opts.allowRemoteReverseListen;
  if (opts.portMapping !== undefined) out.portMapping = opts.portMapping;
  if (opts.relayListen !== undefined) {
    flagValue('--relay-listen', () => parseHostPort(opts.relayListen!));
    out.relayListen = opts.relayListen;
    out.actAsRelay ??= true;
  }
  for (const { flag, value } of domainFlags) {
    if (value !== undefined) Object.assign(out, flag.settings(value));
  }
  if (opts.listen !== undefined) {
    flagValue('--listen', () => parseHostPort(opts.listen!));
    out.listen = opts.listen;
  }
  const relays = relayOverrides(opts, saved, io);
  if (relays) out.relays = relays;
  return out;
}

/** The relays as the flags edit them: a local copy, saved whole by the node state. */
type RelayList = Writable<Settings['relays'][number]>[];

/** What `parse` makes of a flag's value; its complaint names the flag (`--listen: … port must be …`). */
function flagValue<T>(flag: string, parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    throw new ClawError('BAD_ARGUMENT', `${flag}: ${errorMessage(err)}`);
  }
}

/**
 * The relays `--relay`, `--relay-fingerprint` and `--relay-token` make. `--relay` replaces the list
 * (a relay given again keeps its pin and token); without it, the pin and token flags change the saved
 * relays and the list stays. A pin or token names its relay (`URL=HEX`, `URL=TOKEN`), or is bare when
 * only one relay is concerned; `none` drops a pin, an empty token the token. A token is a secret
 * between this node and one relay: given bare to several, every one of them would learn it.
 */
function relayOverrides(opts: AgentCliOptions, saved: Settings, io: AgentFlagIo): RelayList | undefined {
  const pins = opts.relayFingerprint ?? [];
  const tokens = opts.relayToken ?? [];
  const tokenFiles = opts.relayTokenFile ?? [];
  if (!opts.relay?.length && pins.length === 0 && tokens.length === 0 && tokenFiles.length === 0)
    return undefined;
  let list: RelayList;
  if (opts.relay?.length) {
    // One relay given twice (`wss://h:7474` and `wss://h:7474/`) is one entry: two would knock each
    // other's connection off.
    const given = opts.relay.filter((url, i, all) => all.findIndex((u) => sameRelayUrl(u, url)) === i);
    list = given.map((url) => {
      if (!/^wss?:\/\/[^/]+/.test(url)) {
        throw new ClawError(
          'BAD_ARGUMENT',
          `--relay '${url}' must be a ws:// or wss:// URL, e.g. wss://relay.example.com:7474`,
        );
      }
      const before = saved.relays.find((r) => sameRelayUrl(r.url, url));
      return { ...before, url };
    });
  } else if (saved.relays.length === 0) {
    throw new ClawError(
      'BAD_ARGUMENT',
      '--relay-fingerprint and --relay-token(-file) need a relay: add --relay URL',
    );
  } else {
    list = saved.relays.map((r) => ({ ...r }));
  }
  for (const pin of pins) {
    const { relay, value: hex } = relayTarget('--relay-fingerprint', pin, list, /=(?=[^=]*$)/);
    const fingerprint =
      hex === 'none' ? undefined : flagValue('--relay-fingerprint', () => parseFingerprint(hex));
    if (fingerprint !== undefined && /^ws:\/\//i.test(relay.url)) {
      throw new ClawError(
        'BAD_ARGUMENT',
        `--relay-fingerprint: ${relay.url} is ws://, which has no certificate to pin; use its wss:// URL, or leave the pin out`,
      );
    }
    if (fingerprint === undefined) delete relay.fingerprint;
    else relay.fingerprint = fingerprint;
  }
  const given = [
    ...tokens.map((value) => ({ flag: '--relay-token', value })),
    ...tokenFiles.map((value) => ({ flag: '--relay-token-file', value })),
  ];
  if (tokens.some((t) => !/^wss?:\/\/.*=$/i.test(t) && t !== '')) {
    io.warn(argvSecretWarning('--relay-token', '--relay-token-file [URL=]FILE (saved: needed once)'));
  }
  for (const { flag, value } of given) {
    // A token may hold '=' itself: its relay's URL ends at the first one (a path too).
    const { relay, value: named } = relayTarget(flag, value, list, /=/);
    const token = flag === '--relay-token-file' ? io.readSecret(flag, named) : named;
    if (Buffer.byteLength(token) > MAX_TOKEN_BYTES) {
      throw new ClawError(
        'BAD_ARGUMENT',
        `${flag}: a relay access token is at most ${MAX_TOKEN_BYTES} bytes, got ${Buffer.byteLength(token)}`,
      );
    }
    if (token === '' && flag === '--relay-token-file') {
      throw new ClawError(
        'BAD_ARGUMENT',
        `--relay-token-file ${named} is empty; to remove a relay's token, give --relay-token URL=`,
      );
    }
    if (token === '') delete relay.token;
    else relay.token = token;
  }
  return list;
}

/**
 * The relay of `list` that a `--relay-fingerprint` or `--relay-token` value is for (`URL=VALUE`, or a
 * bare VALUE when there is one relay), and the value; `split` finds the `=` after the URL.
 */
function relayTarget(
  flag: string,
  given: string,
  list: RelayList,
  split: RegExp,
): { relay: RelayList[number]; value: string } {
  const named = /^wss?:\/\//i.test(given) ? split.exec(given) : null;
  if (!named) {
    if (list.length !== 1) {
      // A token is a secret: never echoed.
      const [shown, example] =
        flag === '--relay-token'
          ? ['...', 'TOKEN']
          : flag === '--relay-token-file'
            ? [given, 'FILE']
            : [given, given];
      throw new ClawError(
        'BAD_ARGUMENT',
        `${flag} ${shown}: which of the ${list.length} relays? write ${flag} URL=${example}`,
      );
    }
    return { relay: list[0]!, value: given };
  }
  // A relay URL may hold '=' itself (a query string): a relay of the list the value starts with wins.
  const spelled = list
    .filter((r) => given.startsWith(`${r.url}=`))
    .sort((a, b) => b.url.length - a.url.length)[0];
  if (spelled) return { relay: spelled, value: given.slice(spelled.url.length + 1) };
  const url = given.slice(0, named.index);
  const relay = list.find((r) => sameRelayUrl(r.url, url));
  if (!relay) {
    throw new ClawError(
      'BAD_ARGUMENT',
      `${flag} ${url}=...: ${url} is not one of this node's relays (${list.map((r) => r.url).join(', ')}); to add it, give --relay once for each relay to use (--relay replaces the list)`,
    );
  }
  return { relay, value: given.slice(named.index + 1) };
}
