import { DomainError } from '../errors';

/**
 * What a new password must satisfy. Length is what protects a password
 * against guessing; composition rules mostly produce `Password1!`. The upper
 * bound keeps the cost of hashing an attacker-chosen input bounded.
 * Lengths count Unicode code points, as JSON Schema's minLength/maxLength do.
 */
export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 256;

export class PasswordPolicyError extends DomainError {
  constructor(message: string) {
    super('password_policy', message);
  }
}

/** Throws PasswordPolicyError saying what to change. */
export function checkPasswordPolicy(password: string): void {
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH) {
    throw new PasswordPolicyError(`The password must have at least ${PASSWORD_MIN_LENGTH} characters (it has ${length}).`);
  }
  if (length > PASSWORD_MAX_LENGTH) {
    throw new PasswordPolicyError(`The password must have at most ${PASSWORD_MAX_LENGTH} characters (it has ${length}).`);
  }
  if (password.trim().length === 0) {
    throw new PasswordPolicyError('The password must not be only white space.');
  }
}

/**
 * A deliberately loose email check (something@domain.tld, no spaces): the
 * address is proven by the mail that reaches it, not by a pattern.
 */
export const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
export const EMAIL_MAX_LENGTH = 320;

export class InvalidEmailError extends DomainError {
  constructor(email: string) {
    super('invalid_email', `"${email}" is not an email address.`);
  }
}

export function checkEmail(email: string): void {
  if (email.length > EMAIL_MAX_LENGTH || !EMAIL_PATTERN.test(email.trim())) throw new InvalidEmailError(email);
}
