/**
 * Reading a service's configuration from its environment, and the settings
 * every AWS SDK client of it shares. Loads no dependency.
 *
 * A service describes its variables once (config/variables: name → type,
 * default, doc) and readConfig() parses the description against the
 * environment, reporting every problem in one ConfigError; the READMEs'
 * variable tables are checked against the same descriptions.
 */
export * from './aws/clients';
export * from './config/aws-variables';
export * from './config/log-levels';
export * from './config/read-config';
export * from './config/variables';
export * from './config/webhook-variables';
