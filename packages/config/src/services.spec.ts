import { SERVICE_REGISTRY } from './service-registry.js';
import { grpcAddress, loadServiceEnv, serviceEnvSchema, servicePort } from './service-env.js';
import {
  DATA_SERVICES,
  DEFAULT_PORTS,
  GRPC_SERVICES,
  SERVICES,
  serviceEnvName,
  serviceFromSpiffeId,
  spiffeId,
  TRUST_DOMAIN,
} from './services.js';

describe('the service registry', () => {
  it('names each service once, as a valid workload name, on a port of its own', () => {
    const names = SERVICE_REGISTRY.map((service) => service.name);
    const ports = SERVICE_REGISTRY.map((service) => service.port);
    expect(new Set(names).size).toBe(names.length);
    expect(new Set(ports).size).toBe(ports.length);
    for (const name of names) expect(serviceFromSpiffeId(spiffeId(name))).toBe(name);
  });

  it('derives every list from it: one HTTP edge, the gRPC services, the data owners, the ports', () => {
    expect(SERVICES.filter((service) => !(GRPC_SERVICES as string[]).includes(service))).toEqual([
      'gateway',
    ]);
    expect(GRPC_SERVICES).toEqual(expect.arrayContaining(['auth', 'order', 'payment']));
    expect(DATA_SERVICES).not.toContain('gateway');
    expect(DEFAULT_PORTS).toMatchObject({
      gateway: 8443,
      auth: 50051,
      order: 50052,
      payment: 50053,
    });
  });

  it('gives every service its variables: <NAME>_PORT, and <NAME>_HOST for gRPC ones', () => {
    expect(serviceEnvName('stock-level')).toBe('STOCK_LEVEL');
    const env = loadServiceEnv(serviceEnvSchema, { PAYMENT_PORT: '6000' });
    for (const service of SERVICES) {
      expect(servicePort(env, service)).toBe(service === 'payment' ? 6000 : DEFAULT_PORTS[service]);
    }
  });
});

describe('workload identities', () => {
  it('round-trips a service name through its SPIFFE ID', () => {
    expect(spiffeId('order')).toBe(`spiffe://${TRUST_DOMAIN}/service/order`);
    expect(serviceFromSpiffeId(spiffeId('order'))).toBe('order');
  });

  it.each([
    'spiffe://evil.example/service/order',
    `spiffe://${TRUST_DOMAIN}/user/order`,
    `spiffe://${TRUST_DOMAIN}/service/`,
    `spiffe://${TRUST_DOMAIN}/service/Order`,
    `spiffe://${TRUST_DOMAIN}/service/order/../payment`,
    `https://${TRUST_DOMAIN}/service/order`,
    `spiffe://${TRUST_DOMAIN}.evil.example/service/order`,
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
