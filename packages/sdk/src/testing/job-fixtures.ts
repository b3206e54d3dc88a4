import type { ExportJobOptions } from '../index.js';

/**
 * What the API shows as a job's (or a schedule's) options when none were
 * asked for: every column in the documented order, all rows, comma CSV.
 * Written out here rather than taken from the API's code: the SDK ships
 * without it, and the unit tests script the API's answers by hand.
 */
export const DEFAULT_JOB_OPTIONS: ExportJobOptions = {
  columns: [
    'id',
    'uuid',
    'club_name',
    'club_city',
    'plan',
    'status',
    'started_on',
    'ends_on',
    'price',
    'currency',
    'auto_renew',
    'notes',
    'created_at',
    'updated_at',
  ],
  filters: {},
  format: 'csv',
  delimiter: ',',
  bom: false,
  line_ending: 'lf',
  decimal_separator: '.',
  time_zone: 'UTC',
  compression: 'none',
};
