/**
 * The domains' sections of config.json in this test process's settings schema (state/settings-sections.ts,
 * ADR 0093), as an agent adds them before it reads its file (app/run-agent.ts): for tests that read or
 * write the settings, forwards and all, without starting an agent. Idempotent.
 */
import { domains } from '../../src-main/app/domains.js';
import { addSettingsSections } from '../../src-main/state/settings-sections.js';

export function addDomainSections(): void {
  addSettingsSections(domains.map((d) => d.contract));
}
