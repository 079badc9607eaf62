import type { Feature } from '../registry.js';
import { SettingsView } from './SettingsView.js';

/** This device's settings; other features add sections of their own. */
export const settingsFeature: Feature = { id: 'settings', label: 'Settings', View: SettingsView };
