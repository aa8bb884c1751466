import { detailFacts, withFacts } from './audit-facts.js';

describe('audit detail facts', () => {
  it('writes facts as key=value tokens after the text and reads them back', () => {
    const detail = withFacts('refund', { amount_cents: 1250, currency: 'EUR' });
    expect(detail).toBe('refund amount_cents=1250 currency=EUR');
    expect(detailFacts(detail)).toEqual({ amount_cents: '1250', currency: 'EUR' });
  });

  it('writes facts alone when there is no text', () => {
    expect(withFacts('', { client_ip: '127.0.0.2' })).toBe('client_ip=127.0.0.2');
  });

  it('reads no facts from plain text', () => {
    expect(detailFacts('bad password')).toEqual({});
    expect(detailFacts('')).toEqual({});
  });

  it('keeps a value that holds "=" whole', () => {
    expect(detailFacts('key token=abc== x')).toEqual({ token: 'abc==' });
  });

  it('lets no word of the text pose as a fact', () => {
    const detail = withFacts('caller sent amount_cents=1 client_ip=6.6.6.6', {
      client_ip: '127.0.0.2',
    });
    expect(detail).toBe('caller sent amount_cents:1 client_ip:6.6.6.6 client_ip=127.0.0.2');
    expect(detailFacts(detail)).toEqual({ client_ip: '127.0.0.2' });
  });

  it('keeps the last value of a key given twice', () => {
    expect(detailFacts('client_ip=1.1.1.1 client_ip=2.2.2.2')).toEqual({ client_ip: '2.2.2.2' });
  });

  it.each([
    [{ 'Amount-Cents': 1 }, /is not/],
    [{ currency: 'E UR' }, /without spaces/],
    [{ currency: '' }, /without spaces/],
    [{ amount_cents: Number.NaN }, /finite number/],
  ])('refuses a fact it could not read back: %j', (facts, message) => {
    expect(() => withFacts('refund', facts)).toThrow(message);
  });
});
