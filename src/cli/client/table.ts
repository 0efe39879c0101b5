// etcdctl -w table draws with olekukonko/tablewriter (the 2017 version etcd
// 3.4 vendors), right-aligning cells and centring upper-cased headers. Cells
// wider than 30 columns wrap at spaces with the least raggedness, and each
// column is as wide as its widest line, so tables line up as etcdctl's do.

const maxCellWidth = 30;

function width(text: string): number {
  return [...text].length;
}

/** Splits words into lines of at most limit columns, minimising the sum of squared slack (tablewriter's WrapWords). */
function wrapWords(words: readonly string[], limit: number): string[] {
  const n = words.length;
  const lineWidth = (from: number, to: number): number => words.slice(from, to + 1).reduce((sum, word) => sum + width(word), 0) + (to - from);
  const tooLongPenalty = 1e5;
  const cost = new Array<number>(n).fill(Number.MAX_SAFE_INTEGER);
  const breakAt = new Array<number>(n).fill(n);
  for (let i = n - 1; i >= 0; i--) {
    if (lineWidth(i, n - 1) <= limit) {
      cost[i] = 0;
      breakAt[i] = n;
      continue;
    }
    for (let j = i + 1; j < n; j++) {
      const slack = limit - lineWidth(i, j - 1);
      let candidate = slack * slack + cost[j]!;
      if (lineWidth(i, j - 1) > limit) candidate += tooLongPenalty;
      if (candidate < cost[i]!) {
        cost[i] = candidate;
        breakAt[i] = j;
      }
    }
  }
  const lines: string[] = [];
  for (let i = 0; i < n; i = breakAt[i]!) lines.push(words.slice(i, breakAt[i]).join(' '));
  return lines;
}

function wrap(text: string, limit: number): string[] {
  const words = text.replace(/\n/g, ' ').split(' ');
  const longest = Math.max(...words.map(width));
  return wrapWords(words, Math.max(limit, longest));
}

function title(header: string): string {
  return header.replace(/[_.]/g, ' ').trim().toUpperCase();
}

function centre(text: string, columns: number): string {
  const gap = columns - width(text);
  if (gap <= 0) return text;
  const left = Math.floor(gap / 2);
  return ' '.repeat(left) + text + ' '.repeat(gap - left);
}

function right(text: string, columns: number): string {
  return ' '.repeat(Math.max(0, columns - width(text))) + text;
}

export function renderTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const columns = header.map((h) => Math.min(width(h), maxCellWidth));
  // Rows are measured in order: a cell wraps at its column's width so far, as tablewriter's Append does.
  const wrapped = rows.map((row) =>
    row.map((cell, i) => {
      columns[i] = Math.max(columns[i] ?? 0, Math.min(width(cell), maxCellWidth));
      const lines = wrap(cell, columns[i]!);
      columns[i] = Math.max(columns[i]!, ...lines.map(width));
      return lines;
    }),
  );
  const rule = `+${columns.map((c) => '-'.repeat(c + 2)).join('+')}+\n`;
  let out = rule;
  out += `|${header.map((h, i) => ` ${centre(title(h), columns[i]!)} `).join('|')}|\n`;
  out += rule;
  for (const row of wrapped) {
    const height = Math.max(...row.map((lines) => lines.length));
    for (let line = 0; line < height; line++) {
      out += `|${row.map((lines, i) => ` ${right(lines[line] ?? '  ', columns[i]!)} `).join('|')}|\n`;
    }
  }
  return out + rule;
}
