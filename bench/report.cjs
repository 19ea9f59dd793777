// Turns bench groups into rows (figure, ratio to the group's baseline, target, met), prints them,
// and draws them as an SVG a person can open. A group's first variant is its baseline.
'use strict';

function rowsOf(groups) {
  const rows = [];
  for (const g of groups) {
    const entries = Object.entries(g.variants);
    const base = entries[0][1];
    for (const [variant, value] of entries) {
      // g.ratios: measured in rounds, each variant's median of its per-round ratios to the baseline
      // (paired within a round, so a broker that speeds up or slows down between rounds cancels out).
      const ratio = g.ratios?.[variant] ?? (base === 0 ? (value === 0 ? 1 : Infinity) : value / base);
      const t = g.target && g.target.variant === variant ? g.target : undefined;
      const met = t === undefined ? undefined : t.maxValue !== undefined ? value <= t.maxValue : ratio <= t.max;
      // A target beyond what its group's `bound` variant (a ceiling measured in the same run) reaches.
      const boundRatio = t?.bound === undefined ? undefined : (g.ratios?.[t.bound] ?? g.variants[t.bound] / base);
      const bounded = met === false && boundRatio !== undefined && boundRatio > t.max ? { variant: t.bound, ratio: boundRatio } : undefined;
      rows.push({
        section: g.section,
        name: g.name,
        variant,
        value,
        unit: g.unit,
        absolute: !!g.absolute,
        ratio,
        baseline: entries[0][0],
        target: t?.text,
        met,
        bounded,
        chosen: g.chosen === variant,
        note: g.notes?.[variant],
      });
    }
  }
  return rows;
}

const fmt = (v) => (v >= 100 ? Math.round(v).toLocaleString('en-US') : v >= 10 ? v.toFixed(1) : v.toFixed(2));
const figureOf = (r) => (r.absolute ? `${fmt(r.value)} ${r.unit}s` : `${fmt(r.value)} ns/${r.unit}`);
const ratioOf = (r) => (r.ratio === Infinity ? 'inf' : r.ratio.toFixed(2));

/**
 * yes, no, or bounded: not met, and not reachable by any implementation either: its group's bound
 * (a ceiling or a floor measured in the same run) falls short of the target too; with how far this
 * variant is from that bound.
 */
const metOf = (r, no) =>
  r.met === undefined
    ? ''
    : r.met
      ? 'yes'
      : r.bounded
        ? `bounded: "${r.bounded.variant}" is ${ratioOf(r.bounded)}x, this ${(r.ratio / r.bounded.ratio).toFixed(2)}x of it`
        : no;

function print(rows) {
  console.table(
    rows.map((r) => ({
      section: r.section,
      'call shape': r.name,
      variant: r.variant + (r.chosen ? ' *' : ''),
      figure: figureOf(r),
      'x baseline': ratioOf(r),
      target: r.target ?? '',
      met: metOf(r, 'NO'),
      note: r.note ?? '',
    })),
  );
  console.log("* = the variant velo-retry uses for that call shape; each group's first row is its baseline.");
}

/** The same rows as a Markdown table (the README's). */
function markdown(rows) {
  const lines = ['| call shape | variant | figure | × baseline (first row of its group) | target | met |', '|---|---|---|---|---|---|'];
  let last;
  for (const r of rows) {
    const shape = `${r.section}: ${r.name}`;
    const figure = figureOf(r) + (r.note ? ` (${r.note})` : '');
    const met = metOf(r, '**no**');
    lines.push(`| ${shape === last ? '' : shape} | ${r.variant}${r.chosen ? ' *' : ''} | ${figure} | ${ratioOf(r)} | ${r.target ?? ''} | ${met} |`);
    last = shape;
  }
  return lines.join('\n') + '\n';
}

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Horizontal bars of each variant's ratio to its group's baseline (log scale), grouped. */
function svg(rows, title) {
  const barArea = 420;
  const labelW = 560;
  const rowH = 18;
  const groups = [];
  for (const r of rows) {
    const key = `${r.section} / ${r.name}`;
    if (!groups.length || groups[groups.length - 1].key !== key) groups.push({ key, rows: [] });
    groups[groups.length - 1].rows.push(r);
  }
  const height = 60 + groups.reduce((h, g) => h + (g.rows.length + 1) * rowH + 8, 0);
  const x = (ratio) => {
    const clamped = Math.max(1 / 1000, Math.min(1000, ratio || 1 / 1000));
    return ((Math.log10(clamped) + 3) / 6) * barArea;
  };
  let y = 50;
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${labelW + barArea + 120}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="22" font-size="15" font-weight="bold">${esc(title)}</text>`,
    `<text x="${labelW}" y="42" fill="#555">ratio to baseline, log scale: 0.001x … 1x (line) … 1000x</text>`,
    `<line x1="${labelW + x(1)}" y1="46" x2="${labelW + x(1)}" y2="${height - 4}" stroke="#999" stroke-dasharray="3,3"/>`,
  ];
  for (const g of groups) {
    out.push(`<text x="10" y="${y + 12}" font-weight="bold">${esc(g.key)}</text>`);
    y += rowH;
    for (const r of g.rows) {
      const color = r.met === false ? '#d9534f' : r.chosen ? '#2b7bb9' : '#9ab';
      const x1 = labelW + Math.min(x(1), x(r.ratio));
      const w = Math.max(1, Math.abs(x(r.ratio) - x(1)));
      out.push(`<text x="24" y="${y + 12}">${esc(r.variant)}${r.chosen ? ' *' : ''}</text>`);
      out.push(`<rect x="${x1}" y="${y + 3}" width="${w}" height="${rowH - 6}" fill="${color}"/>`);
      out.push(`<text x="${labelW + barArea + 6}" y="${y + 12}">${ratioOf(r)}x${r.met === undefined ? '' : r.met ? ' ok' : ' MISS'}</text>`);
      y += rowH;
    }
    y += 8;
  }
  out.push('</svg>');
  return out.join('\n');
}

module.exports = { rowsOf, print, svg, markdown };
