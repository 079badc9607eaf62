/**
 * `clawbridge --home DIR status`, as `git -C DIR status` reads: the home given before the command is
 * moved after it, where every command (and every command group) takes it.
 */
export function homeAfterCommand(args: readonly string[]): string[] {
  const [first, ...rest] = args;
  if (first === '--home' && rest.length >= 2) {
    const [home, command, ...more] = rest as [string, string, ...string[]];
    return [command, '--home', home, ...more];
  }
  if (first?.startsWith('--home=') && rest.length >= 1) {
    const [command, ...more] = rest as [string, ...string[]];
    return [command, first, ...more];
  }
  return [...args];
}
