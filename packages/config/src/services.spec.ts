import { grpcAddress, loadServiceEnv, serviceEnvSchema } from './service-env.js';
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

describe('deployment hosts', () => {
  const load = (env: NodeJS.ProcessEnv) => loadServiceEnv(serviceEnvSchema, env);

  it('local mode refuses to bind or dial beyond loopback, naming the variable', () => {
    expect(() => load({ HOST: '0.0.0.0' })).toThrow(/HOST: expected a loopback address/);
    expect(() => load({ ORDER_HOST: '10.0.0.7' })).toThrow(/ORDER_HOST: expected a loopback/);
    expect(grpcAddress(load({}), 'order')).toBe('127.0.0.1:50052');
  });

  it('container mode binds every interface and dials services by name, overridable', () => {
    const env = load({
      CITADEL_DEPLOYMENT: 'container',
      HOST: '0.0.0.0',
      PAYMENT_HOST: 'pay.internal',
    });
    expect(env.HOST).toBe('0.0.0.0');
    expect(grpcAddress(env, 'auth')).toBe('auth:50051');
    expect(grpcAddress(env, 'payment')).toBe('pay.internal:50053');
    expect(grpcAddress(load({ CITADEL_DEPLOYMENT: 'container', AUTH_HOST: '::1' }), 'auth')).toBe(
      '[::1]:50051',
    );
  });
});
