import { test } from 'node:test';
import assert from 'node:assert/strict';
import { uiProtocols } from '../../../src-renderer/api/ui-protocols.js';
import { TOKEN_SUBPROTOCOL_PREFIX, UI_SUBPROTOCOL } from '../../../src-main/api/web-ui/ws-session.js';

test("the page's subprotocols are the ones the server selects and reads the token from", () => {
  assert.deepEqual(uiProtocols('ab12'), [UI_SUBPROTOCOL, `${TOKEN_SUBPROTOCOL_PREFIX}ab12`]);
});
