import type { ModelOutput, Prediction } from '../evaluate/evaluation-types.ts';

/**
 * MLflow's scoring protocol, the client side: a batch goes out as `{"dataframe_split": {"columns",
 * "data"}}`; the answer is `{"predictions": [...]}`, optionally with `"probabilities": [[...]]` (one row
 * per input) and `"classes"` (the probability columns' labels). MLflow's own servers also answer a
 * bare list, which is accepted as the predictions.
 */

/** CSV gives text; models expect numbers where the text is one. Empty cells become null (missing). */
export function jsonValue(v: unknown): unknown {
  if (typeof v !== 'string') return v ?? null;
  const s = v.trim();
  if (s === '') return null;
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) {
    const n = Number(s);
    if (Number.isFinite(n)) return n;
  }
  return v;
}

export function scoringRequestBody(columns: string[], rows: unknown[][]): string {
  return JSON.stringify({ dataframe_split: { columns, data: rows.map((r) => r.map(jsonValue)) } });
}

/** Why an answer is not usable, or the output. `rows` is how many rows were sent. */
export function parseScoringAnswer(body: unknown, rows: number): { output: ModelOutput } | { problem: string } {
  const obj = Array.isArray(body) ? { predictions: body } : body;
  if (!obj || typeof obj !== 'object' || !Array.isArray((obj as { predictions?: unknown }).predictions)) {
    return { problem: `the answer has no "predictions" list (got ${preview(body)}); a model server must answer {"predictions": [...]} with one prediction per row` };
  }
  const o = obj as { predictions: unknown[]; probabilities?: unknown; classes?: unknown };
  if (o.predictions.length !== rows) return { problem: `the model returned ${o.predictions.length} predictions for ${rows} rows; it must return exactly one per row, in order` };
  for (let i = 0; i < o.predictions.length; i++) {
    const p = o.predictions[i];
    if (!((typeof p === 'number' && Number.isFinite(p)) || typeof p === 'string')) return { problem: `prediction ${i + 1} is ${preview(p)}, not a number or a label` };
  }
  const output: ModelOutput = { predictions: o.predictions as Prediction[] };
  if (o.probabilities !== undefined && o.probabilities !== null) {
    const probs = o.probabilities;
    if (!Array.isArray(probs) || probs.length !== rows) return { problem: `"probabilities" must hold one list per row (${rows}), got ${Array.isArray(probs) ? probs.length : preview(probs)}` };
    const width = Array.isArray(probs[0]) ? probs[0].length : -1;
    for (let i = 0; i < probs.length; i++) {
      const r = probs[i];
      if (!Array.isArray(r) || r.length !== width || !r.every((x) => typeof x === 'number' && Number.isFinite(x))) return { problem: `probabilities row ${i + 1} must be ${width > 0 ? width : 'a list of'} numbers like the first row, got ${preview(r)}` };
    }
    output.probabilities = probs as number[][];
    if (o.classes !== undefined) {
      if (!Array.isArray(o.classes) || o.classes.length !== width) return { problem: `"classes" must name the ${width} probability columns, got ${preview(o.classes)}` };
      output.classes = o.classes.map(String);
    }
  }
  return { output };
}

function preview(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 120 ? `${s.slice(0, 117)}...` : s;
}
