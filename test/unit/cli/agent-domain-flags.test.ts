/**
 * A domain's flags of `clawbridge agent` come from its `cli/` part (cli/domain-cli.ts `agentFlags`),
 * found through the list of domains, not from cli/ naming the domain (ADR 0118): the terminal's
 * `--terminal-resume` is the terminal's, parsed as before, and accepted by `service install agent`.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Command } from '../../../src-main/cli/commander.js';
import { agentOverrides } from '../../../src-main/cli/agent-flags.js';
import { domainAgentFlags } from '../../../src-main/cli/domain-commands.js';
import type { AgentFlag } from '../../../src-main/cli/domain-cli.js';
import { registerServerCommands } from '../../../src-main/cli/server-commands.js';
import { checkServerFlags } from '../../../src-main/cli/service-this-cli.js';
import { settingsSchemas } from '../../../src-main/state/settings.js';
import { agentVocabulary } from '../../helpers/agent-contract.js';

const saved = settingsSchemas(agentVocabulary).settingsSchema.parse({});

async function terminalResume(): Promise<AgentFlag> {
  const flag = (await domainAgentFlags()).find((f) => f.flags.startsWith('--terminal-resume '));
  assert.ok(flag, "the terminal domain's cli/ part brings --terminal-resume");
  return flag;
}

test("--terminal-resume is the terminal domain's flag, and sets its setting as before", async () => {
  const flag = await terminalResume();
  assert.deepEqual(
    agentOverrides({}, saved, undefined, [{ flag, value: '5m' }]),
    { terminalResumeMs: 300_000 },
    'five minutes, in ms',
  );
  const resume = (value: string) => agentOverrides({}, saved, undefined, [{ flag, value }]).terminalResumeMs;
  assert.equal(saved.terminalResumeMs, 60_000, 'the default, in ms');
  assert.equal(resume('90'), 90_000, 'bare seconds');
  assert.deepEqual(agentOverrides({}, saved, undefined, [{ flag, value: undefined }]), {}, 'not given');
  assert.throws(() => resume('soon'), /is not a duration/, 'not a duration');
  assert.throws(() => resume('500ms'), /--terminal-resume '500ms' must be between 1s and 24h/, 'too short');
  assert.throws(() => resume('2d'), /between 1s and 24h/, 'too long');
});

test('`agent --help` lists the domain flags it is given, and only those', async () => {
  const flag = await terminalResume();
  const help = (flags: readonly AgentFlag[]) => {
    const program = new Command('clawbridge');
    registerServerCommands(program, flags);
    return program.commands.find((c) => c.name() === 'agent')!.helpInformation();
  };
  assert.match(help([flag]), /--terminal-resume <duration>/, 'given: listed');
  assert.doesNotMatch(help([]), /--terminal-resume/, 'cli/ itself brings no terminal flag');
});

test('service install agent takes a domain flag it is given, and refuses it without', async () => {
  const flag = await terminalResume();
  checkServerFlags('agent', ['--terminal-resume', '5m'], [flag]);
  assert.throws(
    () => checkServerFlags('agent', ['--terminal-resume', '5m'], []),
    /--terminal-resume/,
    'unknown without the domain',
  );
});
