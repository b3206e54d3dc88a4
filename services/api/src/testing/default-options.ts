/**
 * The default export options as the API shows them on a job (`options`) and
 * on a schedule (`export`): written out here rather than by production's
 * exportOptionsResource, so the tests check what clients are promised.
 */
export const DEFAULT_OPTIONS_RESOURCE = {
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
} as const;
