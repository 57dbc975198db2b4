import type { ModelVersion } from './registry-types.ts';

function fmt(v: number | null): string {
  if (v === null) return '-';
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(6)));
}

/** Markdown cells hold run data as text: pipes and line breaks would break the table. */
function cell(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

/** A MODEL_CARD.md prefilled from the version's lineage; the sections to complete say so. */
export function renderModelCard(v: ModelVersion): string {
  const l = v.lineage;
  const params = Object.entries(l.params);
  const metrics = Object.entries(l.metrics);
  const dataHints = [
    ...Object.entries(l.data ?? {}).map(([role, d]) => `- ${cell(role)}: \`${cell(d.name)}\`, ${d.rows} rows, ${d.bytes} bytes, sha256 \`${d.sha256}\``),
    ...params.filter(([k]) => /data|dataset|split|fold|sample/i.test(k)).map(([k, val]) => `- param \`${cell(k)}\` = \`${cell(val)}\``)];
  const lines = [
    `# Model card: ${v.model} version ${v.version}`,
    '',
    `Registered ${new Date(v.creationTime).toISOString()} by ${l.registeredBy}. Content sha256 \`${v.contentHash}\` (${v.fileCount} files, ${v.size} bytes).`,
    '',
    '## Intended use',
    '',
    '_Describe what this model is for, who should use it, and what it must not be used for._',
    '',
    '## Training run',
    '',
    `- Run: ${l.runId ? `\`${l.runId}\`` : '-'}${l.runName ? ` (${cell(l.runName)})` : ''}${l.experimentName ? `, experiment ${cell(l.experimentName)}` : ''}`,
    `- Source: \`${cell(v.source)}\``,
    `- Code: ${l.git?.commit ? `commit \`${l.git.commit}\`${l.git.branch ? ` on ${cell(l.git.branch)}` : ''}${l.git.dirty ? ' with uncommitted changes (patch kept with the version)' : ''}` : 'not recorded'}`,
    ...(l.command ? [`- Command: \`${cell(l.command)}\``] : []),
    ...(l.sweepParent ? [`- Sweep parent run: \`${l.sweepParent}\``] : []),
    '',
    '## Data',
    '',
    ...(dataHints.length ? dataHints : ['_Which data trained and evaluated this model (source, version, split)._']),
    '',
    '## Parameters',
    '',
    ...(params.length ? ['| Param | Value |', '|---|---|', ...params.map(([k, val]) => `| ${cell(k)} | ${cell(val)} |`)] : ['(none logged)']),
    '',
    '## Metrics',
    '',
    ...(metrics.length
      ? ['| Metric | Last | Min | Max | Steps |', '|---|---|---|---|---|', ...metrics.map(([k, m]) => `| ${cell(k)} | ${fmt(m.last)} | ${fmt(m.min)} | ${fmt(m.max)} | ${m.count} |`)]
      : ['(none logged)']),
    '',
    '## Serving',
    '',
    l.serve ? `\`${cell(JSON.stringify(l.serve))}\` (from loopline.yaml at registration)` : '_No `serve:` section in loopline.yaml at registration._',
    '',
    '## Limitations and risks',
    '',
    '_Known failure modes, biases, and the conditions this model was not tested under._',
    '',
  ];
  return lines.join('\n');
}
