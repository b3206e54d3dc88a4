import { readFileSync } from 'node:fs';
import path from 'node:path';
import { tableDrift, variableRows } from '@memberships/local-platform';
import { runnerVariables } from './config';

/** The README's runner table says what loadRunnerConfig() reads, with the same defaults. */
const README = readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');

describe('the README runner table', () => {
  it('documents every variable the runner reads, with its default, and no other', () => {
    const rows = variableRows(README, 'Own process: the runner');
    expect(rows.length).toBeGreaterThan(5);
    expect(tableDrift(runnerVariables, rows)).toEqual([]);
  });
});
