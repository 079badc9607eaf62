/**
 * The contract of an agent that runs every domain of app/domains.ts (api/contract-registry.ts), for
 * tests that check parameters against it or read its permission words. Building it adds the domains'
 * words to this process's vocabulary (core/permissions.ts), as runAgent does before it reads the
 * settings, and the domains' sections to its settings schema (state/settings-sections.ts): a test of a
 * part that reads them there (the settings schema's defaults, an older file's upgrade, the grants
 * message, approvals, saved forwards) imports this first.
 */
import { contractOf } from '../../src-main/api/contract-registry.js';
import { domains } from '../../src-main/app/domains.js';
import type { MethodName } from '../../src-main/api/contract.js';
import type { Permission } from '../../src-main/core/permissions.js';
import { addDomainSections } from './domain-sections.js';

export const agentContract = contractOf(domains.map((d) => d.contract));
// And their sections of config.json, as runAgent adds them before it reads the file.
addDomainSections();

/** A method's parameter schema, as the agent checks it. */
export const paramsSchema = <M extends MethodName>(method: M) => agentContract.paramsSchema(method);

/** Every permission word the domains bring, in their order. */
export const PERMISSIONS: readonly Permission[] = agentContract.permissions.words;

/** What a new peer is granted without --allow. */
export const DEFAULT_ALLOW: readonly Permission[] = agentContract.permissions.byDefault;
