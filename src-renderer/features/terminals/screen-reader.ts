/**
 * Whether terminals draw for a screen reader: xterm's `screenReaderMode` keeps an accessible copy of
 * the rows and announces new output in a live region. Off by default, because it costs a DOM element
 * per row on every write; a choice of this device (kept in localStorage), so a screen-reader user sets
 * it once and every terminal, open or new, follows it.
 */
import { Listeners, type Disposer } from '../../api/transport.js';
import type { KeyValue } from '../../lib/navigation.js';

const KEY = 'clawbridge.terminal-screen-reader';

export class ScreenReaderSetting {
  private on: boolean;
  private readonly listeners = new Listeners<[]>();

  constructor(private readonly storage: KeyValue | null) {
    let saved: string | null = null;
    try {
      saved = storage?.getItem(KEY) ?? null;
    } catch {
      // No storage (a locked-down browser): the setting starts off and lasts this page.
    }
    this.on = saved === 'on';
  }

  get = (): boolean => this.on;

  subscribe = (listener: () => void): Disposer => this.listeners.add(listener);

  set(on: boolean): void {
    if (on === this.on) return;
    this.on = on;
    try {
      this.storage?.setItem(KEY, on ? 'on' : 'off');
    } catch {
      // Kept for this page only.
    }
    this.listeners.emit();
  }
}
