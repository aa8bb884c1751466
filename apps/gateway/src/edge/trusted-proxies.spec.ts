import { loadEnv } from '@citadel/config';
import { gatewayEnvSchema } from '../gateway-env.js';

/** The gateway's TRUSTED_PROXIES as its configuration reads it, or the error it stops with. */
function trustedProxies(value: string | undefined): string[] | string {
  try {
    return loadEnv(gatewayEnvSchema, value === undefined ? {} : { TRUSTED_PROXIES: value })
      .TRUSTED_PROXIES;
  } catch (error) {
    return (error as Error).message;
  }
}

describe('TRUSTED_PROXIES', () => {
  it('is empty by default: X-Forwarded-For is believed from nobody', () => {
    expect(trustedProxies(undefined)).toEqual([]);
    expect(trustedProxies('')).toEqual([]);
  });

  it('reads comma-separated CIDRs, IPv4 and IPv6', () => {
    expect(trustedProxies('10.244.0.0/16, fd00:10:244::/56,127.0.0.1/32')).toEqual([
      '10.244.0.0/16',
      'fd00:10:244::/56',
      '127.0.0.1/32',
    ]);
  });

  it('stops the gateway on anything else, naming the variable', () => {
    for (const bad of ['10.0.0.1', '10.0.0.0/33', 'loopback', '0.0.0.0/0', '::/0', '10.0.0.0/8;']) {
      expect(trustedProxies(bad)).toMatch(/TRUSTED_PROXIES/);
    }
  });
});
