/** Where a peer's bytes go: `direct 127.0.0.1:7475`, `relay ws://…`, `route via b → c`, or the state's words. */
export function PathBadge({ kind, text }: { kind: 'direct' | 'relay' | 'route' | null; text: string }) {
  return <span className={`badge badge-${kind ?? 'none'}`}>{text}</span>;
}
