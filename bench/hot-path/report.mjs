// Statistics and Markdown for the hot-path groups: medians of per-round values, ratios paired within a round, and
// the A/A control as the noise floor that every other comparison is read against.

import { median, quantile } from '../stats.mjs';

export { median };

/** Per-round values of `pick(ours, baseline)`, paired by round. */
const paired = (ours, baseline, pick) => ours.samples.map((sample) => pick(sample, baseline.samples.find((b) => b.round === sample.round)));

/**
 * The noise floor from the A/A per-round values around `ideal` (1 for ratios, 0 for differences): the larger of how
 * far their median is from ideal and half their interquartile range. Conservative on purpose: a difference inside
 * it is not evidence of anything.
 */
function noiseFloor(values, ideal) {
  return Math.max(Math.abs(median(values) - ideal), (quantile(values, 0.75) - quantile(values, 0.25)) / 2);
}

const METRICS = {
  cpu: { name: 'CPU/req', pick: (s) => s.cpuUsPerReq, kind: 'ratio' },
  gc: { name: 'GC ms/1k req', pick: (s) => s.gcMsPer1k, kind: 'ratio' },
  promoted: { name: 'promoted B/req', pick: (s) => s.promotedPerReq, kind: 'difference' },
};

function compare(ours, baseline, metric) {
  const { pick, kind } = METRICS[metric];
  return median(paired(ours, baseline, (a, b) => (kind === 'ratio' ? pick(a) / pick(b) : pick(a) - pick(b))));
}

function aaValues(rows, metric) {
  const { pick, kind } = METRICS[metric];
  const [a, b] = [rows.find((r) => r.key === 'none-again'), rows.find((r) => r.key === 'none')];
  return paired(a, b, (x, y) => (kind === 'ratio' ? pick(x) / pick(y) : pick(x) - pick(y)));
}

const fmtRatio = (r) => (Number.isFinite(r) ? r.toFixed(3) : '—');
const fmtBytes = (b) => (Number.isFinite(b) ? `${b >= 0 ? '+' : '−'}${Math.abs(b) >= 1024 ? `${(Math.abs(b) / 1024).toFixed(1)} KB` : `${Math.abs(b).toFixed(0)} B`}` : '—');
const fmtKb = (b) => (Number.isFinite(b) ? (b / 1024).toFixed(2) : '—');
const pct = (x) => `±${(x * 100).toFixed(1)} %`;

/** A ratio against the ≤ 1.01 target, read against the noise floor. */
function ratioVerdict(ratio, noise) {
  if (!Number.isFinite(ratio)) return 'not measured';
  const inside = Math.abs(ratio - 1) <= noise;
  if (ratio <= 1.01) return inside ? `no difference above the noise floor (${pct(noise)}); target met in this run` : 'met';
  return inside ? `**inside the noise floor (${pct(noise)}): this run cannot tell** whether the 1.01 target is met` : '**missed** (above the noise floor)';
}

/** Against the no-op layer there is no fixed target, only "within noise". */
function noiseVerdict(ratio, noise) {
  if (!Number.isFinite(ratio)) return 'not measured';
  return Math.abs(ratio - 1) <= noise ? 'inside the noise floor' : ratio > 1 ? '**above the noise floor**' : 'below, outside the noise floor';
}

function bytesVerdict(delta, noise) {
  if (!Number.isFinite(delta)) return 'not measured';
  if (Math.abs(delta) <= Math.max(noise, 256)) return `≈ 0: inside the noise floor (A/A ${fmtBytes(noise).replace('+', '±')}/req)`;
  return `**${fmtBytes(delta)}/req** more than the no-op layer (A/A noise ${fmtBytes(noise).replace('+', '±')}/req)`;
}

/** Markdown lines for one framework × tracing group. */
export function groupMarkdown({ title, rows, notes, objectName }) {
  const out = [];
  const none = rows.find((r) => r.key === 'none');
  const noop = rows.find((r) => r.key === 'noop');
  const aa = { cpu: aaValues(rows, 'cpu'), gc: aaValues(rows, 'gc'), promoted: aaValues(rows, 'promoted') };
  const noise = { cpu: noiseFloor(aa.cpu, 1), gc: noiseFloor(aa.gc, 1), promoted: noiseFloor(aa.promoted, 0) };
  out.push(`### ${title}`, '');
  out.push('| variant | CPU µs/req | × without us | GC ms/1k req | × without us | promoted KB/req | Δ vs without us | retained after the run | … 1.5 s later | req/s |');
  out.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const row of rows) {
    const last = row.samples.at(-1).retained;
    const retained = last ? `${last.requests}/${last.tracked}` : '—';
    out.push(
      `| ${row.label} | ${median(row.samples.map(METRICS.cpu.pick)).toFixed(1)} | ${fmtRatio(compare(row, none, 'cpu'))} | ${median(row.samples.map(METRICS.gc.pick)).toFixed(1)} | ${fmtRatio(compare(row, none, 'gc'))} | ${fmtKb(median(row.samples.map(METRICS.promoted.pick)))} | ${row === none ? '—' : fmtBytes(compare(row, none, 'promoted'))} | ${retained} | ${row.later.requests}/${row.later.tracked} | ${Math.round(median(row.samples.map((s) => s.rps)))} |`,
    );
  }
  out.push('');
  out.push(
    `- **A/A control** (two identical copies of the app without us; the noise floor of this group): CPU ${fmtRatio(median(aa.cpu))} (per round ${aa.cpu.map(fmtRatio).join(', ')}) → noise floor ${pct(noise.cpu)}; GC ${fmtRatio(median(aa.gc))} → ${pct(noise.gc)}; promoted ${fmtBytes(median(aa.promoted))}/req → ${fmtBytes(noise.promoted).replace('+', '±')}/req`,
  );
  const verdicts = [];
  for (const row of rows.filter((r) => r.layer === 'sru')) {
    const cpuVsNone = compare(row, none, 'cpu');
    const gcVsNone = compare(row, none, 'gc');
    const last = row.samples.at(-1).retained;
    out.push(
      `- **${row.label}**: CPU/req ${fmtRatio(cpuVsNone)} × without us — ${ratioVerdict(cpuVsNone, noise.cpu)}; ${fmtRatio(compare(row, noop, 'cpu'))} × the no-op layer (${noiseVerdict(compare(row, noop, 'cpu'), noise.cpu)}). ` +
        `GC/1k ${fmtRatio(gcVsNone)} × without us — ${ratioVerdict(gcVsNone, noise.gc)}; ${fmtRatio(compare(row, noop, 'gc'))} × the no-op layer (${noiseVerdict(compare(row, noop, 'gc'), noise.gc)}). ` +
        `Promoted vs the no-op layer: ${bytesVerdict(compare(row, noop, 'promoted'), noise.promoted)}. ` +
        `Retained: ${last.requests}/${last.tracked} requests (${last.objects} ${objectName}) right after the run, ${row.later.requests} 1.5 s later — ${last.requests === 0 && row.later.requests === 0 ? 'target (0) met' : '**target (0) missed**'}.`,
    );
    verdicts.push({
      title,
      pkg: row.pkg,
      cpuVsNone,
      cpuVsNoop: compare(row, noop, 'cpu'),
      gcVsNone,
      gcVsNoop: compare(row, noop, 'gc'),
      promotedVsNoop: compare(row, noop, 'promoted'),
      retained: last.requests,
      retainedLater: row.later.requests,
      tracked: last.tracked,
      noise,
      aa: { cpu: median(aa.cpu), gc: median(aa.gc), promoted: median(aa.promoted) },
    });
  }
  const diy = rows.find((r) => r.key === 'diy-user');
  if (diy) {
    out.push(`- For scale, the hand-written \`Sentry.setUser\` middleware: CPU/req ${fmtRatio(compare(diy, none, 'cpu'))} ×, GC/1k ${fmtRatio(compare(diy, none, 'gc'))} ×, promoted ${fmtBytes(compare(diy, noop, 'promoted'))}/req vs the no-op layer.`);
  }
  for (const note of notes) out.push(`- note: ${note}`);
  out.push('');
  return { lines: out, verdicts };
}

/** One summary table over all groups. */
export function summaryMarkdown(verdicts) {
  const out = [];
  out.push('| group | build | CPU/req × without us (A/A) | × no-op | GC/1k × without us (A/A) | × no-op | promoted Δ vs no-op (A/A noise) | retained |');
  out.push('|---|---|---:|---:|---:|---:|---:|---:|');
  for (const v of verdicts) {
    out.push(
      `| ${v.title} | ${v.pkg} | ${fmtRatio(v.cpuVsNone)} (${fmtRatio(v.aa.cpu)}, ${pct(v.noise.cpu)}) | ${fmtRatio(v.cpuVsNoop)} | ${fmtRatio(v.gcVsNone)} (${fmtRatio(v.aa.gc)}, ${pct(v.noise.gc)}) | ${fmtRatio(v.gcVsNoop)} | ${fmtBytes(v.promotedVsNoop)} (${fmtBytes(v.noise.promoted).replace('+', '±')}) | ${v.retained}/${v.tracked}, later ${v.retainedLater} |`,
    );
  }
  return out;
}
