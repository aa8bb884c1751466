import { serviceFromSpiffeId, spiffeId } from './services.js';

describe('workload identities', () => {
  it('round-trips a service name through its SPIFFE ID', () => {
    expect(spiffeId('order')).toBe('spiffe://citadel.local/service/order');
    expect(serviceFromSpiffeId(spiffeId('order'))).toBe('order');
  });

  it.each([
    'spiffe://evil.example/service/order',
    'spiffe://citadel.local/user/order',
    'spiffe://citadel.local/service/',
    'spiffe://citadel.local/service/Order',
    'spiffe://citadel.local/service/order/../payment',
    'https://citadel.local/service/order',
  ])('rejects an identity outside the trust domain or malformed: %s', (uri) => {
    expect(serviceFromSpiffeId(uri)).toBeUndefined();
  });
});
