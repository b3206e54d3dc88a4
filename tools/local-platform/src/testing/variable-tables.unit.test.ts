import { integer, list, string, url } from '@memberships/core/config';
import { documentedDefault, tableDrift, variableRows } from './variable-tables';

const README = `# Service

## Configuration

| variable | default | meaning |
|---|---|---|
| \`HOST\` | \`0.0.0.0\` | interface |
| \`AWS_ENDPOINT_URL_DYNAMODB\` / \`_SQS\` | unset = AWS | endpoints |
| \`A_TABLE\`, \`B_TABLE\` | required | tables, \`a|b\` piped |

| route | default | meaning |
|---|---|---|
| \`NOT_A_VARIABLE\` | x | another kind of table |

### Subsection

| variable | meaning | default |
|---|---|---|
| \`PORT\` | port | \`3000\` (0: free) |

## Elsewhere

| variable | default | meaning |
|---|---|---|
| \`OTHER\` | required | not in the section |
`;

const variables = {
  HOST: string({ default: '0.0.0.0', doc: 'x' }),
  AWS_ENDPOINT_URL_DYNAMODB: url({ optional: true, doc: 'x' }),
  AWS_ENDPOINT_URL_SQS: url({ optional: true, doc: 'x' }),
  A_TABLE: string({ doc: 'x' }),
  B_TABLE: string({ doc: 'x' }),
};

describe('variableRows', () => {
  it('reads the variable tables of a section, names expanded, whatever the column order', () => {
    expect(variableRows(README, 'Configuration')).toEqual([
      { names: ['HOST'], default: '`0.0.0.0`' },
      { names: ['AWS_ENDPOINT_URL_DYNAMODB', 'AWS_ENDPOINT_URL_SQS'], default: 'unset = AWS' },
      { names: ['A_TABLE', 'B_TABLE'], default: 'required' },
    ]);
    expect(variableRows(README, 'Subsection')).toEqual([{ names: ['PORT'], default: '`3000` (0: free)' }]);
    expect(() => variableRows(README, 'Missing')).toThrow(/no heading "Missing"/);
  });
});

describe('documentedDefault', () => {
  it('says required, unset, the value in backticks, none for an empty list, or what defaultDoc says', () => {
    expect(documentedDefault(string({ doc: 'x' }))).toBe('required');
    expect(documentedDefault(string({ optional: true, doc: 'x' }))).toBe('unset');
    expect(documentedDefault(integer({ default: 30, doc: 'x' }))).toBe('`30`');
    expect(documentedDefault(list({ default: [], doc: 'x' }))).toBe('none');
    expect(documentedDefault(integer({ default: () => 1, defaultDoc: 'one', doc: 'x' }))).toBe('one');
  });
});

describe('tableDrift', () => {
  it('is empty when the table documents the description', () => {
    expect(tableDrift(variables, variableRows(README, 'Configuration'))).toEqual([]);
  });

  it('compares the default by its start, with or without backticks, but not part of a longer value', () => {
    const timeout = { TIMEOUT: integer({ default: 60, doc: 'x' }) };
    for (const cell of ['`60`', '60', '60 (1 … 600)', '`60` seconds', '60: a minute']) {
      expect(tableDrift(timeout, [{ names: ['TIMEOUT'], default: cell }])).toEqual([]);
    }
    for (const cell of ['600', '60.5', '6', '`600`', 'sixty']) {
      expect(tableDrift(timeout, [{ names: ['TIMEOUT'], default: cell }])).toHaveLength(1);
    }
  });

  it('names missing, extra, duplicated variables and wrong defaults', () => {
    const rows = [
      ...variableRows(README, 'Configuration'),
      { names: ['EXTRA'], default: 'unset' },
      { names: ['HOST'], default: '`0.0.0.0`' },
    ];
    expect(
      tableDrift({ ...variables, HOST: string({ default: '127.0.0.1', doc: 'x' }), PORT: integer({ default: 1, doc: 'x' }) }, rows),
    ).toEqual([
      'HOST is in the README twice',
      'HOST: the README says the default is "`0.0.0.0`", the code "`127.0.0.1`"',
      'PORT is missing from the README (default `1`)',
      'EXTRA is in the README but not read',
    ]);
  });
});
