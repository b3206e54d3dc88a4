import { EXPORT_COLUMNS, exportCopyStatement, exportSelect } from './memberships/export-query';

describe('export query', () => {
  const userId = '0B7A3A52-8F0E-4A0B-A2C5-5F4F1B6F9D20';

  it('selects every export column of one user in id order', () => {
    const sql = exportSelect(userId);
    for (const column of EXPORT_COLUMNS) expect(sql).toContain(` AS ${column.header}`);
    expect(sql).toMatch(/WHERE user_id = '0b7a3a52-8f0e-4a0b-a2c5-5f4f1b6f9d20' ORDER BY id$/);
  });

  it('refuses anything but a UUID, since COPY cannot take bind parameters', () => {
    expect(() => exportSelect("x' OR '1'='1")).toThrow(/non-UUID/);
    expect(() => exportCopyStatement('')).toThrow();
  });

  it('asks PostgreSQL for CSV with a header row', () => {
    expect(exportCopyStatement(userId)).toMatch(/^COPY \(SELECT .*\) TO STDOUT WITH \(FORMAT csv, HEADER true, ENCODING 'UTF8'\)$/s);
  });
});
