/**
 * docs/engine.md shows SPEC §5.1's decision table per sync direction; the planner reads DECISIONS
 * (src/sync/planner/decision-table.ts). The two must say the same, cell by cell.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { calendarSides, crmSides, DECISIONS } from '../../src/sync/planner/decision-table';

const doc = readFileSync(path.join(__dirname, '..', '..', 'docs', 'engine.md'), 'utf8');

/** The markdown table whose header starts with `| <direction>:`, as rows of cells (backticks removed). */
function docTable(direction: string): string[][] {
  const lines = doc.split('\n');
  const start = lines.findIndex((l) => l.startsWith(`| ${direction}:`));
  if (start < 0) throw new Error(`docs/engine.md has no decision table for ${direction}`);
  const rows: string[][] = [];
  for (const line of lines.slice(start)) {
    if (!line.startsWith('|')) break;
    rows.push(
      line
        .split('|')
        .slice(1, -1)
        .map((c) => c.trim().replaceAll('`', '')),
    );
  }
  return rows;
}

describe('the decision table in docs/engine.md', () => {
  for (const direction of Object.keys(DECISIONS) as (keyof typeof DECISIONS)[]) {
    it(`matches the code for ${direction}`, () => {
      const [header, , ...rows] = docTable(direction);
      expect(header!.slice(1)).toEqual([...calendarSides]);
      expect(rows.map((r) => r[0])).toEqual([...crmSides]);
      for (const row of rows) {
        const crm = row[0] as (typeof crmSides)[number];
        calendarSides.forEach((cal, i) =>
          expect(`${crm}/${cal}: ${row[i + 1]}`).toBe(`${crm}/${cal}: ${DECISIONS[direction][crm][cal]}`),
        );
      }
    });
  }
});
