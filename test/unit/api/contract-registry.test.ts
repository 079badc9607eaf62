/**
 * The contract built from its pieces (api/contract-registry.ts, ADR 0085): a piece's streaming methods
 * are the contract's, checked by the piece's own schema, and a name two pieces bring is refused at
 * build, whether each brings it as a method or a streaming method; a piece says which of its notice
 * kinds the API's subscribers get.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { contractOf } from '../../../src-main/api/contract-registry.js';
import type { ContractPiece, ParamsContext } from '../../../src-main/api/contract-piece.js';
import { sessionFields } from '../../../src-main/audit/audit-kinds.js';
import { agentContract } from '../../helpers/agent-contract.js';

const tail: ContractPiece = {
  streams: { 'tail.follow': ({ z }: ParamsContext) => z.object({ lines: z.number().int().min(1) }).strict() },
};

test("a piece's streaming methods are the contract's, with the piece's schema", () => {
  const contract = contractOf([tail]);
  assert.deepEqual(contract.streamMethodNames(), ['tail.follow']);
  assert.equal(contract.isStreamMethod('tail.follow'), true);
  assert.equal(contract.isMethod('tail.follow'), false, 'a streaming method is not a plain method');
  assert.equal(contract.isStreamMethod('terminal.open'), false, 'no piece here brings it');
  assert.equal(contract.isStreamMethod(7), false);
  const schema = contract.streamParamsSchema('tail.follow' as never);
  assert.equal(schema.safeParse({ lines: 3 }).success, true);
  assert.equal(schema.safeParse({ lines: 0 }).success, false);
});

test("the agent's streaming methods are what its domains bring", () => {
  assert.deepEqual(agentContract.streamMethodNames(), ['terminal.open', 'terminal.attach', 'terminal.join']);
  const open = agentContract.streamParamsSchema('terminal.open');
  assert.equal(open.safeParse({ peer: 'b', cols: 80, rows: 24 }).success, true);
  assert.equal(open.safeParse({ peer: 'b', cols: 80, rows: 24, resume: 'a'.repeat(32) }).success, false);
});

test('a name two pieces bring is refused, as a method or a streaming method', () => {
  assert.throws(
    () => contractOf([tail, tail]),
    /two parts of the contract bring the streaming method 'tail\.follow'/,
  );
  const plain: ContractPiece = { methods: { 'tail.follow': ({ z }) => z.object({}) } };
  assert.throws(() => contractOf([plain, tail]), /two parts of the contract bring the method 'tail\.follow'/);
  assert.throws(() => contractOf([tail, plain]), /two parts of the contract bring the method 'tail\.follow'/);
});

test("the notice kinds the API's subscribers get are those a piece sends them, and a kind is one piece's", () => {
  assert.deepEqual([...agentContract.clientNotices].sort(), ['forward', 'proxy']);
  const quiet: ContractPiece = { notices: { tail: {} } };
  const told: ContractPiece = { notices: { tail: { toClients: true } } };
  assert.deepEqual([...contractOf([quiet]).clientNotices], []);
  assert.deepEqual([...contractOf([told]).clientNotices], ['tail']);
  assert.throws(() => contractOf([quiet, told]), /two parts of the contract bring the notice kind 'tail'/);
});

test('the connection kinds the audit log keeps as sessions are those a piece says, with their side, each one piece’s', () => {
  const served = { side: 'served', record: 'tail' } as const;
  const tails: ContractPiece = {
    connections: { 'tail-served': { session: served }, 'tail-plain': {} },
    audit: { tail: sessionFields },
  };
  const contract = contractOf([tails]);
  assert.deepEqual([...contract.sessions], [['tail-served', served]], 'a kind with no session is none');
  assert.deepEqual(
    [...agentContract.sessions],
    [
      ['terminal-served', { side: 'served', record: 'terminal' }],
      ['terminal-opened', { side: 'opened', record: 'terminal' }],
    ],
    "the agent's: its terminals'",
  );
  assert.throws(
    () =>
      contractOf([
        tails,
        { connections: { 'tail-served': { session: { side: 'opened', record: 'tail' } } } },
      ]),
    /two parts of the contract bring the connection kind 'tail-served'/,
  );
  // Its records are a kind the reader knows: one no piece brings would be written and never read.
  assert.throws(
    () => contractOf([{ connections: { 'tail-served': { session: served } } }]),
    /the sessions of 'tail-served' are written as 'tail', which no part brings/,
  );
});
