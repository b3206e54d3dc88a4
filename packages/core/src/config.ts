/**
 * Reading a service's configuration from its environment, and the settings
 * every AWS SDK client of it shares. Loads no dependency.
 */
export * from './aws/clients';
export * from './env';
