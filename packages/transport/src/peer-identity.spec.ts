import { spiffeId } from '@citadel/config';
import { callerServiceOf } from './peer-identity.js';

/** A call whose public auth context reports this peer certificate. */
const callFrom = (sslPeerCertificate: object | undefined) => ({
  getAuthContext: () => ({ transportSecurityType: 'ssl', sslPeerCertificate }) as never,
});

describe('caller identity', () => {
  it('is the service of the verified certificate’s single Citadel SPIFFE ID', () => {
    expect(callerServiceOf(callFrom({ subjectaltname: `URI:${spiffeId('order')}` }))).toBe('order');
  });

  it('is nobody without a verified certificate, or with two identities', () => {
    expect(callerServiceOf({ getAuthContext: () => ({}) })).toBeUndefined();
    expect(callerServiceOf(callFrom(undefined))).toBeUndefined();
    const two = `URI:${spiffeId('order')}, URI:${spiffeId('payment')}`;
    expect(callerServiceOf(callFrom({ subjectaltname: two }))).toBeUndefined();
  });

  it('reads the auth context once per call, through the public API only', () => {
    let reads = 0;
    const call = {
      getAuthContext: () => {
        reads++;
        return {
          transportSecurityType: 'ssl',
          sslPeerCertificate: { subjectaltname: `URI:${spiffeId('payment')}` },
        } as never;
      },
    };
    expect(callerServiceOf(call)).toBe('payment');
    expect(reads).toBe(1);
  });
});
