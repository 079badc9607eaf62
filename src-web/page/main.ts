/**
 * The page the relay serves (ADR 0094): this browser as a node. It shows its fingerprint under
 * **This browser**, pairs with a code (**Pairing code**, **Join**), lists the paired devices with
 * **Open terminal**, and runs a terminal in xterm. Everything it says to a device goes through the
 * relay end to end (src-web/node/); it talks to nothing else.
 */
import '@xterm/xterm/css/xterm.css';
import './page.css';
import { FitAddon } from '@xterm/addon-fit';
import { Terminal } from '@xterm/xterm';
import { clipboardKeys } from './clipboard.js';
import { keyRow } from './key-row.js';
import { BrowserNode } from '../node/browser-node.js';
import { IndexedDbStore } from '../node/indexeddb-store.js';
import type { SocketLike } from '../node/relay-connection.js';

const relayUrl = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}`;
const socket = (url: string): SocketLike => new WebSocket(url) as unknown as SocketLike;

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Record<string, string | boolean> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
}

/** Fingerprint in groups of four, as the CLI prints it, so the owner can compare. */
const grouped = (fp: string) => fp.match(/.{1,4}/g)!.join(' ');

async function main(): Promise<void> {
  const app = document.getElementById('app')!;
  const store = await IndexedDbStore.open();
  const node = await BrowserNode.start({ relayUrl, socket, store, name: 'browser' });

  const status = el('p', { role: 'status', className: 'status' });
  const codeInput = el('input', {
    id: 'code',
    autocomplete: 'off',
    spellcheck: false,
    placeholder: 'K7QX-M2RT-9WZA',
  });
  const join = el('button', { type: 'submit' }, 'Join');
  const form = el('form', {}, el('label', { htmlFor: 'code' }, 'Pairing code'), codeInput, join);
  const list = el('ul', { className: 'devices', ariaLabel: 'Devices' });
  const termBox = el('div', { className: 'screen' });
  const keys = el('div', { className: 'keys', role: 'toolbar', ariaLabel: 'Keys' });
  const termSection = el('section', { className: 'terminal', ariaLabel: 'Terminal' }, termBox, keys);
  app.append(
    el('h1', {}, 'Clawbridge'),
    el(
      'section',
      { ariaLabel: 'This browser' },
      el('h2', {}, 'This browser'),
      el('code', { className: 'fp' }, grouped(node.fingerprint)),
    ),
    form,
    status,
    el('h2', {}, 'Devices'),
    list,
    termSection,
  );

  const render = async () => {
    list.replaceChildren(
      ...(await node.devices()).map((d) => {
        const open = el('button', { type: 'button' }, 'Open terminal');
        open.addEventListener('click', () => void openTerminal(d.fingerprint, d.name));
        return el('li', {}, el('span', {}, d.name), ' ', open);
      }),
    );
  };

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    join.disabled = true;
    status.textContent = 'Pairing…';
    node
      .pair(codeInput.value, (d) => {
        status.textContent = `Code accepted by ${d.name} (${grouped(d.fingerprint)}); waiting for its owner to approve this browser`;
      })
      .then(
        async (d) => {
          status.textContent = `Paired with ${d.name}`;
          codeInput.value = '';
          await render();
        },
        (err: Error) => (status.textContent = err.message),
      )
      .finally(() => (join.disabled = false));
  });

  let current: { dispose(): void } | undefined;
  const openTerminal = async (fingerprint: string, name: string) => {
    current?.dispose();
    termBox.replaceChildren();
    keys.replaceChildren();
    const view = new Terminal({ convertEol: false });
    const fit = new FitAddon();
    view.loadAddon(fit);
    view.open(termBox);
    fit.fit();
    status.textContent = `Connecting to ${name}…`;
    try {
      const terminal = await node.openTerminal(
        fingerprint,
        { cols: view.cols, rows: view.rows },
        {
          output: (bytes) => view.write(bytes),
          status: (state) => {
            status.textContent =
              state === 'reconnecting' ? `Reconnecting to ${name}…` : `Terminal on ${name} (resumed)`;
          },
          end: (result) => {
            status.textContent = result.error
              ? `Terminal ended: ${result.error}`
              : `Terminal on ${name} ended`;
          },
        },
      );
      status.textContent = `Terminal on ${name}`;
      const row = keyRow(
        keys,
        (data) => terminal.write(data),
        () => view.focus(),
      );
      clipboardKeys(view, keys, (message) => (status.textContent = message));
      const input = view.onData((data) => terminal.write(row.withModifier(data)));
      const onResize = () => {
        fit.fit();
        terminal.resize(view.cols, view.rows);
      };
      window.addEventListener('resize', onResize);
      current = {
        dispose: () => {
          window.removeEventListener('resize', onResize);
          input.dispose();
          terminal.close();
          view.dispose();
        },
      };
      view.focus();
    } catch (err) {
      status.textContent = (err as Error).message;
      view.dispose();
    }
  };

  await render();
}

main().catch((err: Error) => {
  document.body.textContent = `This page could not start: ${err.message}`;
});
