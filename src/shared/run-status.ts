/**
 * The one vocabulary of run statuses: the store, the protocol, the CLI and every view use these.
 * Statuses are MLflow's; the words and icons are how a person sees them.
 */
export const RUN_STATUSES = ['RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

export function isRunStatus(v: unknown): v is RunStatus {
  return typeof v === 'string' && (RUN_STATUSES as readonly string[]).includes(v);
}

/** One lower-case word per status, the same in the tree, the table, the CLI and the CodeLens. */
export const STATUS_WORD: Record<RunStatus, string> = {
  RUNNING: 'running',
  SCHEDULED: 'queued',
  FINISHED: 'finished',
  FAILED: 'failed',
  KILLED: 'killed',
};

/** A text glyph for places without codicons (terminal, webview cells). Mirrors STATUS_ICON. */
export const STATUS_GLYPH: Record<RunStatus, string> = {
  RUNNING: '●',
  SCHEDULED: '◷',
  FINISHED: '✓',
  FAILED: '✗',
  KILLED: '⊘',
};

/** Codicon and theme colour id for views that draw codicons (trees, CodeLens). */
export const STATUS_ICON: Record<RunStatus, { icon: string; color?: string }> = {
  RUNNING: { icon: 'sync~spin', color: 'charts.blue' },
  SCHEDULED: { icon: 'clock' },
  FINISHED: { icon: 'pass', color: 'testing.iconPassed' },
  FAILED: { icon: 'error', color: 'testing.iconFailed' },
  KILLED: { icon: 'circle-slash', color: 'disabledForeground' },
};

export function statusWord(s: string): string {
  return isRunStatus(s) ? STATUS_WORD[s] : s.toLowerCase();
}

/** "✓ finished": the glyph and the word, for text-only places. */
export function formatStatus(s: string): string {
  return isRunStatus(s) ? `${STATUS_GLYPH[s]} ${STATUS_WORD[s]}` : s.toLowerCase();
}
