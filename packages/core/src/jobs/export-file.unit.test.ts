import { contentDisposition, exportFileName } from './export-file';

const JOB_ID = '8c0e5d2a-3b1f-4c6e-9a7d-2f4b6c8e0a13';

describe('exportFileName', () => {
  it.each([
    ['a UTC time', '2025-11-25T09:15:00.000Z', JOB_ID, `memberships-2025-11-25-${JOB_ID}.csv`],
    ['the last millisecond of a UTC day', '2025-11-30T23:59:59.999Z', JOB_ID, `memberships-2025-11-30-${JOB_ID}.csv`],
    ['an offset that is the next day in UTC', '2025-11-30T23:30:00-05:00', JOB_ID, `memberships-2025-12-01-${JOB_ID}.csv`],
    ['an offset that is the day before in UTC', '2026-01-01T00:30:00+01:00', JOB_ID, `memberships-2025-12-31-${JOB_ID}.csv`],
    [
      'a scheduled job',
      '2026-12-01T05:00:03.120Z',
      `sched-${JOB_ID}-20261201T0500Z`,
      `memberships-2026-12-01-sched-${JOB_ID}-20261201T0500Z.csv`,
    ],
  ])('names the file after the UTC day the job was created and its id: %s', (_case, createdAt, id, expected) => {
    expect(exportFileName({ id, createdAt })).toBe(expected);
  });

  it.each([
    [{ format: 'csv', compression: 'none' }, '.csv'],
    [{ format: 'csv', compression: 'gzip' }, '.csv.gz'],
    [{ format: 'xlsx', compression: 'none' }, '.xlsx'],
    [{ format: 'jsonl', compression: 'gzip' }, '.jsonl.gz'],
  ] as const)('ends the name in the extension of the job’s options %o: %s', (options, extension) => {
    const createdAt = '2025-11-25T09:15:00.000Z';
    expect(exportFileName({ id: JOB_ID, createdAt, options })).toBe(`memberships-2025-11-25-${JOB_ID}${extension}`);
  });

  it('gives two exports of one day two names', () => {
    const createdAt = '2025-11-25T09:15:00.000Z';
    expect(exportFileName({ id: 'job-1', createdAt })).not.toBe(exportFileName({ id: 'job-2', createdAt }));
  });

  it('refuses a creation time that is not a time', () => {
    expect(() => exportFileName({ id: JOB_ID, createdAt: 'yesterday' })).toThrow(RangeError);
  });
});

describe('contentDisposition', () => {
  it.each([
    [
      'an ASCII name, the same in both forms',
      'memberships-2025-11-25.csv',
      `attachment; filename="memberships-2025-11-25.csv"; filename*=UTF-8''memberships-2025-11-25.csv`,
    ],
    [
      'an export file name',
      `memberships-2025-11-25-${JOB_ID}.csv`,
      `attachment; filename="memberships-2025-11-25-${JOB_ID}.csv"; filename*=UTF-8''memberships-2025-11-25-${JOB_ID}.csv`,
    ],
    ['a quote', 'a"b.csv', `attachment; filename="a_b.csv"; filename*=UTF-8''a%22b.csv`],
    ['a quote and a backslash', 'a"b\\c.csv', `attachment; filename="a_b_c.csv"; filename*=UTF-8''a%22b%5Cc.csv`],
    ['a colon (allowed in job ids) and a space', 'a:b c.csv', `attachment; filename="a_b_c.csv"; filename*=UTF-8''a%3Ab%20c.csv`],
    [
      'non-ASCII letters',
      'Mitglieder-östlich-東京.csv',
      `attachment; filename="Mitglieder-_stlich-__.csv"; filename*=UTF-8''Mitglieder-%C3%B6stlich-%E6%9D%B1%E4%BA%AC.csv`,
    ],
    [
      "characters RFC 5987 does not allow unescaped: ' ( ) *",
      "it's (all)*.csv",
      `attachment; filename="it_s__all__.csv"; filename*=UTF-8''it%27s%20%28all%29%2A.csv`,
    ],
    ['a line break', 'a\r\nb.csv', `attachment; filename="a__b.csv"; filename*=UTF-8''a%0D%0Ab.csv`],
  ])('offers %s as an attachment', (_case, fileName, expected) => {
    expect(contentDisposition(fileName)).toBe(expected);
  });
});
