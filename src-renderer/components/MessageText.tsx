import { codeSpans } from '../lib/code-spans.js';

/** A message from the agent, its `commands` shown as code rather than between literal backticks. */
export function MessageText({ text }: { text: string }) {
  return <>{codeSpans(text).map((s, i) => (s.code ? <code key={i}>{s.text}</code> : s.text))}</>;
}
