/**
 * The store (better-sqlite3 13) needs Node.js 22, which VS Code's extension host runs from
 * VS Code 1.101 (Electron 35) on. No `vscode` import here so plain-Node tests can check it.
 */
export const MIN_VSCODE = '1.101';
export const MIN_NODE_MAJOR = 22;

/** A message for the user when this extension host's Node is too old, else undefined. */
export function extensionHostNodeProblem(nodeVersion: string, vscodeVersion: string): string | undefined {
  const major = Number(nodeVersion.replace(/^v/, '').split('.')[0]);
  if (Number.isFinite(major) && major >= MIN_NODE_MAJOR) return undefined;
  return (
    `Loopline needs VS Code ${MIN_VSCODE} or newer: its extension host runs Node.js ${MIN_NODE_MAJOR}, which Loopline's store needs. ` +
    `This VS Code (${vscodeVersion}) runs Node.js ${nodeVersion.replace(/^v/, '')}. Update VS Code (Help: Check for Updates); until then Loopline stays inactive and your runs are untouched.`
  );
}
