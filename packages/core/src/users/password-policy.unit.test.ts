import { checkEmail, checkPasswordPolicy, InvalidEmailError, PasswordPolicyError } from './password-policy';

describe('checkPasswordPolicy', () => {
  it('accepts 12 to 256 characters, counted as characters, not UTF-16 units', () => {
    expect(() => checkPasswordPolicy('x'.repeat(12))).not.toThrow();
    expect(() => checkPasswordPolicy('x'.repeat(256))).not.toThrow();
    expect(() => checkPasswordPolicy('🔑'.repeat(12))).not.toThrow();
    expect(() => checkPasswordPolicy('🔑'.repeat(256))).not.toThrow();
  });

  it('says what to change', () => {
    expect(() => checkPasswordPolicy('x'.repeat(11))).toThrow(
      new PasswordPolicyError('The password must have at least 12 characters (it has 11).'),
    );
    expect(() => checkPasswordPolicy('x'.repeat(257))).toThrow(/at most 256 characters/);
    expect(() => checkPasswordPolicy(' '.repeat(20))).toThrow(/white space/);
  });
});

describe('checkEmail', () => {
  it('accepts plausible addresses and refuses the rest', () => {
    expect(() => checkEmail('someone@example.com')).not.toThrow();
    for (const email of ['someone', 'someone@example', 'some one@example.com', '@example.com', `${'a'.repeat(320)}@example.com`]) {
      expect(() => checkEmail(email)).toThrow(InvalidEmailError);
    }
  });
});
