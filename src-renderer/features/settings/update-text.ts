/**
 * The words Settings → Updates and the update notice use for the updater's state, as pure functions
 * so every state reads the same in both places.
 */
import type { UpdateStatus } from '../../lib/desktop-updates.js';

export function updateStateText(state: UpdateStatus['state']): string {
  switch (state.phase) {
    case 'off':
      return 'Updates are off.';
    case 'unsupported':
      return `Updates are not available: ${state.why}.`;
    case 'idle':
      return 'It checks for updates a little after start and every 4 hours.';
    case 'checking':
      return 'Checking for updates…';
    case 'up-to-date':
      return 'It is up to date.';
    case 'available':
      return state.link
        ? `Version ${state.version} is available: download it from the release page.`
        : `Version ${state.version} is available.`;
    case 'downloading':
      return `Downloading version ${state.version}… ${state.percent}%`;
    case 'ready':
      return `Version ${state.version} is downloaded and verified: restart to update.`;
    case 'failed':
      return `The last attempt failed: ${state.message}.`;
  }
}

export function lastCheckText(last: UpdateStatus['last']): string {
  if (!last) return 'Never checked yet.';
  const when = new Date(last.at).toLocaleString();
  switch (last.outcome) {
    case 'up-to-date':
      return `Last checked ${when}: up to date.`;
    case 'found':
      return `Last checked ${when}: found version ${last.detail ?? '?'}.`;
    case 'failed':
      return `Last checked ${when}: ${last.detail ?? 'failed'}.`;
  }
}
