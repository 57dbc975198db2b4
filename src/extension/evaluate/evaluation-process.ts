import { spawn } from 'node:child_process';
import type { EvaluationRecord } from '../../core/evaluate/evaluation-record.ts';
import { LooplineError } from '../../core/errors.ts';

export interface EvaluationRequest {
  storePath: string;
  cwd: string;
  ref: string;
  data: string;
  label: string;
  sliceBy?: string[];
  sensitive?: string;
  positive?: string;
  importance?: boolean;
}

export interface EvaluationProcess {
  result: Promise<{ runId: string; record: EvaluationRecord }>;
  /** SIGINT: the CLI stops the model container and exits. */
  cancel(): void;
}

/**
 * Runs `loopline evaluate … --json` from the bundled CLI in a process of its own (VS Code's Node with
 * ELECTRON_RUN_AS_NODE), so reading the data, the scoring and the metrics never block the extension
 * host; the same code path as the command line. Progress lines come on stderr.
 */
export function startEvaluationProcess(cliScript: string, req: EvaluationRequest, onProgress: (message: string) => void): EvaluationProcess {
  const args = [cliScript, 'evaluate', req.ref, '--data', req.data, '--label', req.label, '--store', req.storePath, '--json'];
  for (const c of req.sliceBy ?? []) args.push('--slice-by', c);
  if (req.sensitive) args.push('--sensitive', req.sensitive);
  if (req.positive) args.push('--positive', req.positive);
  if (req.importance) args.push('--importance');
  const child = spawn(process.execPath, args, { cwd: req.cwd, env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' }, stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
  let out = '';
  let err = '';
  let cancelled = false;
  child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => {
    err += c;
    const lines = c.split('\n').map((l) => l.trim()).filter(Boolean);
    const last = lines[lines.length - 1];
    if (last && !last.startsWith('loopline')) onProgress(last);
  });
  const result = new Promise<{ runId: string; record: EvaluationRecord }>((resolve, reject) => {
    child.on('error', (e) => reject(new LooplineError('INTERNAL_ERROR', `Could not start the evaluation: ${e.message}`)));
    child.on('close', (code) => {
      if (code === 0) {
        try {
          const parsed = JSON.parse(out) as { runId: string; report: EvaluationRecord };
          resolve({ runId: parsed.runId, record: parsed.report });
        } catch {
          reject(new LooplineError('INTERNAL_ERROR', `The evaluation printed no report: ${out.slice(0, 300)}`));
        }
        return;
      }
      if (cancelled) return reject(new LooplineError('INVALID_STATE', 'The evaluation was cancelled; its model container was stopped.'));
      // The CLI's error is its last 'loopline evaluate: …' block (it may span lines: a container's log).
      const at = err.lastIndexOf('loopline evaluate: ');
      const message = at >= 0 ? err.slice(at + 'loopline evaluate: '.length).trim() : err.trim().split('\n').slice(-3).join(' ') || `exit code ${code}`;
      reject(new LooplineError('INVALID_PARAMETER_VALUE', message));
    });
  });
  return {
    result,
    cancel: () => {
      cancelled = true;
      child.kill('SIGINT');
    },
  };
}
