import { bearerCredential } from './credential.js';

const token = `cit_at_${'a'.repeat(43)}`;
const apiKey = `cit_ak_${'B'.repeat(42)}-`;

describe('bearerCredential', () => {
  it('reads a Citadel credential from the Bearer scheme, in any case (RFC 7235 §2.1)', () => {
    for (const scheme of ['Bearer', 'bearer', 'BEARER', 'bEaReR']) {
      expect(bearerCredential(`${scheme} ${token}`)).toBe(token);
    }
    expect(bearerCredential(`Bearer ${apiKey}`)).toBe(apiKey);
    expect(bearerCredential(`Bearer   ${token}`)).toBe(token);
  });

  it('reads nothing else: no header, another scheme, a second token, a foreign shape', () => {
    for (const header of [
      undefined,
      '',
      token,
      `Basic ${token}`,
      `Bearer${token}`,
      `Bearer\t${token}`,
      ` Bearer ${token}`,
      `Bearer ${token} `,
      `Bearer ${token} ${token}`,
      `Bearer ${token},`,
      `Bearer ${token.toUpperCase()}`,
      `Bearer CIT_AT_${'a'.repeat(43)}`,
      `Bearer cit_at_${'a'.repeat(42)}`,
      `Bearer cit_at_${'a'.repeat(44)}`,
      `Bearer cit_xx_${'a'.repeat(43)}`,
      'Bearer eyJhbGciOiJIUzI1NiJ9.e30.ZRrHA1JJJW8opsbCGfG_HACGpVUMN_a9IV7pAx_Zmeo',
      `Bearer ${' '.repeat(10_000)}${token}`,
    ]) {
      expect(bearerCredential(header)).toBeUndefined();
    }
  });
});
