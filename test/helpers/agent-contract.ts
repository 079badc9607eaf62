/**
 * The contract of an agent that runs every domain of app/domains.ts (api/contract-registry.ts), for
 * tests that check parameters against it or read its permission words, and its vocabulary (the
 * domains' words and settings sections, api/vocabulary.ts): what runAgent hands the node state, for
 * tests of a part that reads them (the settings schema's defaults, an older file's upgrade, the
 * grants message, approvals, saved forwards). Nothing is registered in the process: a test hands it
 * to what it builds.
 */
import { contractOf } from '../../src-main/api/contract-registry.js';
import { domains } from '../../src-main/app/domains.js';
import type { MethodName } from '../../src-main/api/contract.js';
import type { Permission } from '../../src-main/core/permissions.js';
import type { Vocabulary } from '../../src-main/api/vocabulary.js';

export const agentContract = contractOf(domains.map((d) => d.contract));

/** The domains' permission words and settings sections, as runAgent hands them to the node state. */
export const agentVocabulary: Vocabulary = agentContract.vocabulary;

/** A method's parameter schema, as the agent checks it. */
export const paramsSchema = <M extends MethodName>(method: M) => agentContract.paramsSchema(method);

/** Every permission word the domains bring, in their order. */
export const PERMISSIONS: readonly Permission[] = agentContract.permissions.words;

/** What a new peer is granted without --allow. */
export const DEFAULT_ALLOW: readonly Permission[] = agentContract.permissions.byDefault;
