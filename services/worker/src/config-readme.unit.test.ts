import { readFileSync } from 'node:fs';
import path from 'node:path';
import { tableDrift, variableRows } from '@memberships/local-platform';
import { migrateVariables, workerVariables } from './config';

/**
 * The README's variable tables are what an operator configures from: each
 * must name every variable its process reads, with the default the code
 * applies, and nothing the code does not read.
 */
const README = readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');

describe('the README configuration tables', () => {
  it('document every variable the worker reads, with its default, and no other (PROGRESS_INTERVAL_MS in its own section)', () => {
    const rows = [...variableRows(README, 'Configuration'), ...variableRows(README, 'Progress while an export runs')];
    expect(rows.length).toBeGreaterThan(25);
    expect(tableDrift(workerVariables, rows)).toEqual([]);
  });

  it('document every variable the migrate task reads, with its default, and no other', () => {
    const rows = variableRows(README, 'The migrate task');
    expect(rows.length).toBeGreaterThan(5);
    expect(tableDrift(migrateVariables, rows)).toEqual([]);
  });
});
