import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startVariables } from './environment';
import { REPO_ROOT } from './package-paths';
import { tableDrift, variableRows } from './testing/variable-tables';

/** The README's `npm start` table says what startSettings() reads, with the same defaults. */
const README = readFileSync(path.join(REPO_ROOT, 'tools', 'local-platform', 'README.md'), 'utf8');

describe('the README npm start table', () => {
  it('documents every variable npm start reads, with its default, and no other', () => {
    const rows = variableRows(README, '`npm start`');
    expect(rows.length).toBeGreaterThan(5);
    expect(tableDrift(startVariables, rows)).toEqual([]);
  });
});
