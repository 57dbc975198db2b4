/**
 * Messages of the Evaluation Report webview: one evaluation, or two side by side (the first is the
 * baseline, e.g. the champion; the second the challenger), with progress while one is running.
 */
import type { EvaluationRecord } from '../core/evaluate/evaluation-record.ts';
import { isObject } from './common.ts';

export type EvaluationMsg = EvaluationRecord;

export type HostToEvaluation =
  | { type: 'progress'; message: string; fraction: number | null }
  | { type: 'report'; evaluations: EvaluationMsg[] }
  | { type: 'error'; message: string };

export type EvaluationToHost =
  | { type: 'ready' }
  /** Stop the evaluation that is running (its model container is stopped). */
  | { type: 'cancel' }
  /** Pick another evaluation run and show it beside this one. */
  | { type: 'compareWith' }
  | { type: 'closeComparison' };

export function parseEvaluationToHost(m: unknown): EvaluationToHost | undefined {
  if (!isObject(m)) return undefined;
  switch (m.type) {
    case 'ready':
    case 'cancel':
    case 'compareWith':
    case 'closeComparison':
      return { type: m.type };
    default:
      return undefined;
  }
}
