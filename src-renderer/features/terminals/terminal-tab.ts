/**
 * One terminal tab: an xterm.js instance with its addons and one TerminalSession, owned by this plain
 * class and not by React (architecture.md §The desktop app and the window): a re-render never touches the terminal, and output
 * bytes go from the channel to xterm without passing through component state. React only mounts the
 * tab's element (TerminalPane) and reads `session.state` to draw the overlay.
 */
import { FitAddon } from '@xterm/addon-fit';
import { SearchAddon } from '@xterm/addon-search';
import { Unicode11Addon } from '@xterm/addon-unicode11';
import { WebLinksAddon } from '@xterm/addon-web-links';
import { Terminal } from '@xterm/xterm';
import type { PeerInfo } from '../../../src-main/api/contract.js';
import type { ApiClient } from '../../api/client.js';
import { explainError } from '../../lib/refusal-text.js';
import { LEAVE_HINT_ID, SCREEN_READER_HINT_ID, terminalKeyAction } from './keys.js';
import { withCtrl } from './key-row.js';
import { isDeadPhase, TerminalSession } from './terminal-session.js';
import { SEARCH_LIMIT } from './search-status.js';
import { SharerFit } from './sharer-fit.js';
import { searchDecorations, terminalTheme } from './theme.js';

/** `direct` or `relay`, as the contract names a path. */
type PathKind = NonNullable<PeerInfo['path']>;

export interface TabTarget {
  /** The peer's fingerprint. */
  peer: string;
  peerName: string;
  /**
   * A terminal another node shared with this one (`terminal.join`), rather than one opened here:
   * `peer` is the node where its shell runs, `sharerName` who shared it.
   */
  joined?: { share: string; sharerName: string };
}

/** What `terminal.open` / `terminal.attach` answer (fields a newer agent adds are optional here). */
interface OpenResult {
  id?: string;
  path?: PathKind | null;
  remote?: string;
}

/** Lines of scrollback kept per tab (5000): an hour of a chatty build without unbounded memory. */
const SCROLLBACK_LINES = 5000;

/**
 * Row height as a multiple of the font's (1.2): at 14 px, DejaVu Sans Mono's underscore lies below
 * the 16 px row xterm makes at 1.0 and was clipped (`a_b.json` read `a b.json`); 1.2 gives it room.
 */
const LINE_HEIGHT = 1.2;

/** Least contrast (WCAG AA for text, 4.5:1) xterm keeps between a cell's text and its background. */
const MIN_CONTRAST = 4.5;

export class TerminalTab {
  readonly term: Terminal;
  readonly session: TerminalSession;
  private readonly fitAddon = new FitAddon();
  readonly search = new SearchAddon({ highlightLimit: SEARCH_LIMIT });
  private readonly host: HTMLDivElement;
  private opened = false;
  private lastSize = { cols: 0, rows: 0 };
  sessionId: string | null;
  path: PathKind | null = null;
  remote: string | null = null;
  /**
   * A joined terminal the sharer lets this node only watch: it takes no keys (the node where the
   * shell runs would drop them anyway; here nothing is sent, and the pane says why).
   */
  private readOnly = false;
  /**
   * A joined terminal's screen at the sharer's size (sharer-fit.ts): its window's size is not the
   * shell's, so it sends none and fits the screen into the pane instead.
   */
  private readonly sharer: SharerFit | undefined;
  /** Called for Ctrl/Cmd+Shift+F inside the terminal: the pane shows its search box. */
  onSearchRequest: () => void = () => undefined;

  constructor(
    private readonly client: ApiClient,
    readonly key: number,
    readonly target: TabTarget,
    sessionId: string | null = null,
    screenReader = false,
  ) {
    this.sessionId = sessionId;
    this.host = document.createElement('div');
    this.host.className = 'xterm-host';
    this.term = new Terminal({
      allowProposedApi: true,
      scrollback: SCROLLBACK_LINES,
      fontFamily: 'ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace',
      fontSize: 14,
      lineHeight: LINE_HEIGHT,
      theme: terminalTheme(),
      // Text keeps 4.5:1 against whatever is behind it: a search highlight, or a program's own colours.
      minimumContrastRatio: MIN_CONTRAST,
      screenReaderMode: screenReader,
    });
    this.term.loadAddon(this.fitAddon);
    this.term.loadAddon(this.search);
    this.term.loadAddon(new Unicode11Addon());
    this.term.unicode.activeVersion = '11';
    // Links open in a new browsing context without access back to this page.
    this.term.loadAddon(new WebLinksAddon((_e, uri) => window.open(uri, '_blank', 'noopener,noreferrer')));
    this.sharer = target.joined ? new SharerFit(this.term, this.host) : undefined;
    this.session = new TerminalSession({
      write: (data, drawn) => this.term.write(data, drawn),
      reset: () => this.term.reset(),
      // In order with the output: what came before the new size is drawn at the old one.
      sized: (cols, rows) => this.term.write('', () => this.sharer?.follow(cols, rows)),
    });
    this.term.onData((data) => this.typeKeys(this.modified(data)));
    this.term.onBinary((data) => {
      if (!this.readOnly) this.session.input(Uint8Array.from(data, (c) => c.charCodeAt(0)));
    });
    this.term.onResize(({ cols, rows }) => this.sendSize(cols, rows));
    this.term.onSelectionChange(() => {
      // Copy on selection, like most terminals; the clipboard may refuse without focus, which is fine.
      if (this.term.hasSelection()) navigator.clipboard?.writeText(this.term.getSelection()).catch(() => {});
    });
    this.term.attachCustomKeyEventHandler((e) => this.onKey(e));
    this.session.onChange(() => this.syncInput());
  }

  /** Whether the session takes no more input: its shell exited, or it failed or ended. */
  get dead(): boolean {
    return isDeadPhase(this.session.state.phase);
  }

  /**
   * A dead session's input is out of the tab order: Tab and Shift+Tab pass over it (to its New session
   * button and the rest of the window) instead of landing in a terminal that does nothing.
   */
  private syncInput(): void {
    const input = this.term.textarea;
    if (input) input.tabIndex = this.dead ? -1 : 0;
  }

  private onKey(e: KeyboardEvent): boolean {
    // Focus clicked into a dead terminal: Tab moves on, as anywhere else in the window.
    if (e.key === 'Tab' && this.dead) return false;
    if (e.type !== 'keydown') return !terminalKeyAction(e);
    const action = terminalKeyAction(e);
    // Copy, paste and search are done here, so the browser must not do them too: Chromium's own
    // Ctrl+Shift+V pastes into xterm's textarea as well (the text arrived twice, the second copy
    // sometimes after Enter), and its Ctrl+Shift+C opens the inspector. Returning false only keeps
    // xterm from handling the key; the browser's default action needs preventDefault.
    if (action === 'copy' || action === 'paste' || action === 'search') e.preventDefault();
    if (action === 'copy') {
      this.copySelection();
    } else if (action === 'paste') {
      this.pasteClipboard();
    } else if (action === 'search') {
      this.onSearchRequest();
    }
    // Tab shortcuts and the way out are left to the window's handler (TerminalsView); xterm must not
    // eat them.
    return action === null;
  }

  /** The selection to the clipboard (Ctrl+Shift+C, or the key row's Copy on a phone). */
  copySelection(): void {
    navigator.clipboard?.writeText(this.term.getSelection()).catch(() => {});
  }

  /** The clipboard into the terminal, bracketed when the program asked for it (xterm's paste). */
  pasteClipboard(): void {
    navigator.clipboard
      ?.readText()
      .then((text) => this.term.paste(text))
      .catch(() => {});
  }

  /** Keys typed from the key row (KeyRow.tsx): sent as the terminal's own keys would be. */
  typeKeys(data: string): void {
    if (!this.readOnly) this.session.input(data);
  }

  /** Whether this tab takes keys: a joined terminal follows what its sharer lets this node do. */
  setReadOnly(on: boolean): void {
    this.readOnly = on;
    // xterm's own: no cursor blink of a prompt that waits for keys that will not go.
    this.term.options.disableStdin = on;
  }

  /** A joined terminal only watched now. */
  get watchOnly(): boolean {
    return this.readOnly;
  }

  /**
   * The key row's Ctrl, held for the next key typed: that key goes as its control code, then `released`
   * is called (the row shows Ctrl up again).
   */
  holdCtrl(on: boolean, released: () => void): void {
    this.ctrlHeld = on ? released : null;
  }

  private ctrlHeld: (() => void) | null = null;

  private modified(data: string): string {
    const released = this.ctrlHeld;
    if (!released) return data;
    this.ctrlHeld = null;
    released();
    return withCtrl(data);
  }

  private sendSize(cols: number, rows: number): void {
    // A joined terminal follows the sharer's size; its own goes nowhere (the shell's machine drops it).
    if (this.sharer) return;
    if (cols === this.lastSize.cols && rows === this.lastSize.rows) return;
    this.lastSize = { cols, rows };
    this.session.resize(cols, rows);
  }

  /** Puts the terminal into `container` (first time: xterm renders into it). */
  mount(container: HTMLElement): void {
    container.appendChild(this.host);
    if (!this.opened) {
      this.opened = true;
      this.term.open(this.sharer?.frame ?? this.host);
      // A screen reader says how to leave when the input is focused (the hint is in the tab bar), and,
      // while screen reader support is off, where to turn it on (that sentence exists only then).
      this.term.textarea?.setAttribute('aria-describedby', `${LEAVE_HINT_ID} ${SCREEN_READER_HINT_ID}`);
      this.syncInput();
    }
    this.fit();
  }

  unmount(): void {
    this.host.remove();
  }

  /**
   * Fits the terminal to its element; the size change reaches the PTY as a RESIZE frame. A joined
   * terminal at the sharer's size keeps it, its screen fitted into the element instead.
   */
  fit(): void {
    if (!this.host.isConnected || this.host.clientWidth === 0) return;
    if (this.sharer?.following) this.sharer.layout();
    else this.fitAddon.fit();
  }

  focus(): void {
    this.term.focus();
  }

  /**
   * Selects the next (or previous) match of `query`; false when there is none. With decorations on, the
   * addon also highlights every match and reports which one of how many (`search.onDidChangeResults`).
   */
  find(query: string, backwards = false, incremental = false): boolean {
    // Incremental: as the query is typed, the match under the selection grows instead of moving on.
    const options = { decorations: searchDecorations(), incremental };
    return backwards ? this.search.findPrevious(query, options) : this.search.findNext(query, options);
  }

  /** Takes the last search's highlights and selected match off the screen (its query changed or closed). */
  clearSearch(): void {
    this.search.clearDecorations();
    this.term.clearSelection();
  }

  /** Turns xterm's accessible copy of the rows (and its announcements of new output) on or off. */
  setScreenReader(on: boolean): void {
    this.term.options.screenReaderMode = on;
  }

  setTheme(): void {
    this.term.options.theme = terminalTheme();
  }

  /** Size to ask for before the element exists: what fit would give, or a classic 80×24. */
  private size(): { cols: number; rows: number } {
    const d = this.host.isConnected ? this.fitAddon.proposeDimensions() : undefined;
    return d && d.cols > 0 && d.rows > 0
      ? { cols: d.cols, rows: d.rows }
      : { cols: this.term.cols, rows: this.term.rows };
  }

  /**
   * Opens a new session on the peer, or attaches to `sessionId` when there is one. An agent that
   * restarted no longer knows `sessionId`; the peer still keeps the session for its resume window, so
   * the tab takes it up by the peer's ID from where its screen is (`terminal.open` with `resume`).
   */
  async start(): Promise<void> {
    const size = this.size();
    const attaching = this.sessionId !== null;
    let resuming = false;
    // Back on a session this tab showed (the page lost its connection): ask only for what it missed.
    const from = attaching && this.opened ? this.session.shownOffset : undefined;
    try {
      const joined = this.target.joined;
      const { result, channel } = joined
        ? await this.client.openStream('terminal.join', { share: joined.share, ...size })
        : attaching
          ? await this.client
              .openStream('terminal.attach', {
                id: this.sessionId,
                ...size,
                ...(from !== undefined ? { from } : {}),
              })
              .catch((err: unknown) => {
                // The agent restarted and no longer knows the tab's session: take it up by the peer's id.
                const remote = this.session.remoteId;
                if (remote === null || !isUnknownSession(err)) throw err;
                resuming = true;
                return this.client.openStream('terminal.open', {
                  peer: this.target.peer,
                  resume: remote,
                  offset: this.session.offset,
                  ...size,
                });
              })
          : await this.client.openStream('terminal.open', { peer: this.target.peer, ...size });
      const r = (result ?? {}) as OpenResult;
      this.sessionId = r.id ?? this.sessionId;
      this.path = r.path ?? this.path;
      this.remote = r.remote ?? this.remote;
      this.lastSize = size;
      // The agent replays the session's scrollback on attach, from `from` when it still holds it: the
      // session keeps the screen if the replay continues it, and clears it first otherwise (not twice).
      // (Only now: had the attach failed, what the tab showed would stay.)
      // Taken up after an agent restart, output goes on from the screen's last byte: the screen is kept
      // (the agent that took the session up already replays from there, or from its scrollback's start
      // when it no longer holds that byte: then the screen starts over).
      const continuing = resuming
        ? this.session.offset
        : attaching && this.opened
          ? (from ?? null)
          : undefined;
      this.session.attach(channel, continuing);
      // The element may have been sized while the stream opened (a reload attaches before it is laid
      // out): whatever xterm's size is now, the PTY gets it.
      this.fit();
      this.sendSize(this.term.cols, this.term.rows);
    } catch (err) {
      this.session.failed(explainError(err, this.target.peerName));
      throw err;
    }
  }

  dispose(): void {
    this.session.close();
    this.term.dispose();
    this.host.remove();
  }
}

/** The agent does not know the tab's session ID: it restarted since (viewer-sessions.ts `find`). */
function isUnknownSession(err: unknown): boolean {
  return err instanceof Error && /no terminal session '[0-9a-f]+' here/.test(err.message);
}
