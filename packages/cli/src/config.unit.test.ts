import { join } from 'node:path';
import { readEnvironment } from './config.js';

describe('readEnvironment', () => {
  it('keeps config in $XDG_CONFIG_HOME/memberships, else ~/.config/memberships', () => {
    expect(readEnvironment({ HOME: '/home/ann', XDG_CONFIG_HOME: '/cfg' }).configDir).toBe(join('/cfg', 'memberships'));
    expect(readEnvironment({ HOME: '/home/ann' }).configDir).toBe(join('/home/ann', '.config', 'memberships'));
    expect(readEnvironment({ HOME: '/home/ann', XDG_CONFIG_HOME: '  ' }).configDir).toBe(join('/home/ann', '.config', 'memberships'));
  });

  it('lets MEMBERSHIPS_CONFIG_DIR point somewhere else (tests, several accounts)', () => {
    expect(readEnvironment({ HOME: '/home/ann', MEMBERSHIPS_CONFIG_DIR: '/tmp/x' }).configDir).toBe('/tmp/x');
  });

  it('reads the API URL, NO_COLOR (any non-empty value) and debug', () => {
    const env = readEnvironment({ HOME: '/h', MEMBERSHIPS_API_URL: ' https://api.example ', NO_COLOR: '1', MEMBERSHIPS_DEBUG: '1' });
    expect(env).toMatchObject({ apiUrl: 'https://api.example', noColor: true, debug: true });
    expect(readEnvironment({ HOME: '/h', NO_COLOR: '' })).toMatchObject({ apiUrl: undefined, noColor: false, debug: false });
  });

  it('knows it runs in CI when CI is set to anything but false or 0', () => {
    expect(readEnvironment({ HOME: '/h', CI: 'true' }).ci).toBe(true);
    expect(readEnvironment({ HOME: '/h', CI: '1' }).ci).toBe(true);
    for (const value of [undefined, '', ' ', 'false', 'FALSE', '0']) expect(readEnvironment({ HOME: '/h', CI: value }).ci).toBe(false);
  });

  it('returns a frozen object', () => {
    expect(Object.isFrozen(readEnvironment({ HOME: '/h' }))).toBe(true);
  });
});
