/**
 * A plain-text table for CLI reports: a header row, a rule of dashes, then the rows; columns separated by two spaces,
 * the first `leftColumns` left-aligned (labels), the others right-aligned (numbers).
 */
export function textTable(cells: readonly (readonly string[])[], leftColumns = 1): string {
  const width = cells[0].map((_, c) => Math.max(...cells.map((row) => row[c].length)));
  const line = (row: readonly string[]) => row.map((v, c) => (c < leftColumns ? v.padEnd(width[c]) : v.padStart(width[c]))).join('  ');
  return [line(cells[0]), width.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}
