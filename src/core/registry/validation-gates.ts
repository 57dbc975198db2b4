import { invalid } from '../errors.ts';

/**
 * Validation gates from `loopline.yaml`:
 *   gates: [{metric: val_accuracy, min: 0.9}, {metric: val_accuracy, beats: champion, by: 0.0}, {metric: latency_ms, max: 50}]
 * `beats: ALIAS` compares with the version holding that alias in the same model; the candidate must
 * be at least `by` better (ties pass with `by: 0`). `direction: minimize` makes lower better.
 */
export interface Gate {
  metric: string;
  min?: number;
  max?: number;
  beats?: string;
  by?: number;
  direction?: 'maximize' | 'minimize';
}

export type GateVerdict = 'pass' | 'fail' | 'skip';

export interface GateResult {
  /** The gate as written, e.g. `val_accuracy >= 0.9`. */
  gate: string;
  metric: string;
  value: number | null;
  threshold: number | null;
  verdict: GateVerdict;
  reason: string;
}

export interface GateReport {
  /** What was checked, e.g. `iris/3` or `run 0f3a…`. */
  subject: string;
  passed: boolean;
  results: GateResult[];
}

export interface GateSubject {
  label: string;
  metrics: Record<string, number>;
}

/** The version a `beats:` gate compares with: null when the alias is unset, 'self' when it is the candidate. */
export type ChampionLookup = (alias: string) => GateSubject | 'self' | null;

export function parseGates(file: string, raw: unknown): Gate[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw invalid(`${file}: gates: must be a list such as [{metric: val_accuracy, min: 0.9}].`);
  return raw.map((g, i) => {
    const where = `${file}: gates[${i}]`;
    if (!g || typeof g !== 'object' || Array.isArray(g)) throw invalid(`${where} must be a mapping such as {metric: val_accuracy, min: 0.9}.`);
    const o = g as Record<string, unknown>;
    const known = new Set(['metric', 'min', 'max', 'beats', 'by', 'direction']);
    const unknown = Object.keys(o).filter((k) => !known.has(k));
    if (unknown.length) throw invalid(`${where} has unknown key '${unknown[0]}'; a gate has metric plus min, max, or beats (with by, direction).`);
    if (typeof o.metric !== 'string' || !o.metric) throw invalid(`${where} needs metric: the name of a logged metric.`);
    const gate: Gate = { metric: o.metric };
    for (const k of ['min', 'max', 'by'] as const) {
      if (o[k] === undefined) continue;
      if (typeof o[k] !== 'number' || !Number.isFinite(o[k])) throw invalid(`${where}: ${k} must be a number.`);
      gate[k] = o[k] as number;
    }
    if (o.beats !== undefined) {
      if (typeof o.beats !== 'string' || !o.beats) throw invalid(`${where}: beats must name an alias, e.g. beats: champion.`);
      gate.beats = o.beats;
    }
    if (o.direction !== undefined) {
      if (o.direction !== 'maximize' && o.direction !== 'minimize') throw invalid(`${where}: direction must be maximize or minimize.`);
      gate.direction = o.direction;
    }
    if (gate.min === undefined && gate.max === undefined && gate.beats === undefined) {
      throw invalid(`${where} checks nothing: give min:, max: or beats: for metric '${gate.metric}'.`);
    }
    if (gate.by !== undefined && gate.beats === undefined) throw invalid(`${where}: by: only applies with beats:.`);
    return gate;
  });
}

/** Every gate is checked (no early exit) so the report shows all of them. */
export function evaluateGates(gates: Gate[], subject: GateSubject, champion: ChampionLookup): GateReport {
  const results: GateResult[] = [];
  for (const g of gates) {
    const value = subject.metrics[g.metric];
    const has = value !== undefined && !Number.isNaN(value);
    const missing = (gate: string, threshold: number | null): GateResult => ({
      gate,
      metric: g.metric,
      value: null,
      threshold,
      verdict: 'fail',
      reason: value === undefined ? `metric '${g.metric}' was not logged` : `metric '${g.metric}' is NaN`,
    });
    if (g.min !== undefined) {
      const gate = `${g.metric} >= ${g.min}`;
      results.push(!has ? missing(gate, g.min) : { gate, metric: g.metric, value, threshold: g.min, verdict: value >= g.min ? 'pass' : 'fail', reason: value >= g.min ? 'ok' : `${value} is below ${g.min}` });
    }
    if (g.max !== undefined) {
      const gate = `${g.metric} <= ${g.max}`;
      results.push(!has ? missing(gate, g.max) : { gate, metric: g.metric, value, threshold: g.max, verdict: value <= g.max ? 'pass' : 'fail', reason: value <= g.max ? 'ok' : `${value} is above ${g.max}` });
    }
    if (g.beats !== undefined) {
      const by = g.by ?? 0;
      const lower = g.direction === 'minimize';
      const gate = `${g.metric} beats @${g.beats} by ${by}${lower ? ' (lower is better)' : ''}`;
      const champ = champion(g.beats);
      if (champ === null) {
        results.push({ gate, metric: g.metric, value: has ? value : null, threshold: null, verdict: 'skip', reason: `no version has alias '${g.beats}' yet` });
        continue;
      }
      if (champ === 'self') {
        results.push({ gate, metric: g.metric, value: has ? value : null, threshold: null, verdict: 'pass', reason: `this version already is @${g.beats}` });
        continue;
      }
      const base = champ.metrics[g.metric];
      if (!has) {
        results.push(missing(gate, base ?? null));
        continue;
      }
      if (base === undefined || Number.isNaN(base)) {
        results.push({ gate, metric: g.metric, value, threshold: null, verdict: 'skip', reason: `@${g.beats} (${champ.label}) has no '${g.metric}' to compare with` });
        continue;
      }
      const threshold = lower ? base - by : base + by;
      const ok = lower ? value <= threshold : value >= threshold;
      results.push({ gate, metric: g.metric, value, threshold, verdict: ok ? 'pass' : 'fail', reason: ok ? `ok (@${g.beats} ${champ.label}: ${base})` : `${value} does not beat @${g.beats} ${champ.label} (${base}) by ${by}` });
    }
  }
  return { subject: subject.label, passed: results.every((r) => r.verdict !== 'fail'), results };
}

export function formatGateReport(report: GateReport): string {
  if (report.results.length === 0) return `Gates for ${report.subject}: none defined in loopline.yaml (passed).`;
  const rows = report.results.map((r) => `  ${r.verdict.toUpperCase().padEnd(4)}  ${r.gate.padEnd(36)}  value ${r.value ?? '-'}  threshold ${r.threshold ?? '-'}  ${r.reason}`);
  return [`Gates for ${report.subject}: ${report.passed ? 'passed' : 'FAILED'}`, ...rows].join('\n');
}
