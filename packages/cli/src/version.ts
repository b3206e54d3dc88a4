/** Kept in step with package.json by a test; printed by `memberships --version`. */
export const CLI_VERSION = '0.1.0';
