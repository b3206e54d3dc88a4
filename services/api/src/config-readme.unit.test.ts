import { readFileSync } from 'node:fs';
import path from 'node:path';
import { tableDrift, variableRows } from '@memberships/local-platform';
import { apiVariables } from './config';

/**
 * The README's variable table is what an operator configures from: it must
 * name every variable the API reads, with the default the code applies, and
 * nothing the code does not read.
 */
const README = readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');

describe('the README configuration table', () => {
  it('documents every variable the API reads, with its default, and no other', () => {
    const rows = variableRows(README, 'Configuration');
    expect(rows.length).toBeGreaterThan(30);
    expect(tableDrift(apiVariables, rows)).toEqual([]);
  });
});
