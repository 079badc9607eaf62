/**
 * What the window calls the node it runs on: "this device", or "this browser" in the page a relay
 * serves, where the browser is the node (ADR 0094). Pure.
 */
import type { Platform } from '../api/pick-transport.js';

export function selfName(platform: Platform): { title: string; lower: string } {
  return platform === 'browser-node'
    ? { title: 'This browser', lower: 'this browser' }
    : { title: 'This device', lower: 'this device' };
}
