import { jest } from '@jest/globals';
import {
  createCertificateAuthority,
  issueCertificate,
  type CertificateAuthority,
} from '@citadel/pki';
import { connectionMaxAgeMs } from './mtls.js';
import { renewalTime, WorkloadIdentity, type IssuedCertificate } from './workload-identity.js';

const DAY_S = 86_400;

/** A certificate valid from 60 s ago (the dev CA's back-dating) for `lifeS` seconds from now. */
async function leaf(
  ca: CertificateAuthority,
  lifeS: number,
  serial: string,
): Promise<IssuedCertificate> {
  const issued = await issueCertificate(ca, { commonName: 'order', validDays: lifeS / DAY_S });
  return {
    certificate: issued.certPem,
    privateKey: issued.keyPem,
    caChain: [ca.certPem],
    serialNumber: serial,
  };
}

function recordingLogger() {
  const lines: { level: string; details: Record<string, unknown> }[] = [];
  return {
    lines,
    info: (details: object) =>
      lines.push({ level: 'info', details: details as Record<string, unknown> }),
    warn: (details: object) =>
      lines.push({ level: 'warn', details: details as Record<string, unknown> }),
  };
}

describe('renewalTime', () => {
  it('is two thirds of the way from notBefore to notAfter', () => {
    expect(renewalTime(0, 90_000)).toBe(60_000);
    expect(renewalTime(1_000, 4 * 3_600_000 + 1_000)).toBe(1_000 + (8 / 3) * 3_600_000);
  });
});

describe('WorkloadIdentity', () => {
  let ca: CertificateAuthority;
  beforeAll(async () => {
    ca = await createCertificateAuthority('test mesh');
  });
  afterEach(() => jest.useRealTimers());

  /**
   * Certificates are made with the real clock first (WebCrypto does not run under fake
   * timers' control), then the fake clock starts at the real "now".
   */
  async function certificates(lifeS: number[]) {
    const made: IssuedCertificate[] = [];
    for (const [i, life] of lifeS.entries()) made.push(await leaf(ca, life, `0${i}`));
    return made;
  }

  it('renews at two thirds of the certificate’s life, tells listeners and logs tls.rotated', async () => {
    const [first, second, third] = await certificates([120, 3_600, 3_600]);
    const notBefore = Date.parse(new Date(Date.now() - 60_000).toUTCString());
    jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask'], now: Date.now() });
    const queue = [first!, second!, third!];
    const issue = jest.fn(async () => queue.shift()!);
    const logger = recordingLogger();
    const identity = await WorkloadIdentity.start({ service: 'order', issue, logger });
    const seen: string[] = [];
    identity.addIdentityCertificateListener((update) => seen.push(update!.certificate.toString()));
    await new Promise((resolve) => process.nextTick(resolve));
    expect(seen).toEqual([first!.certificate]);
    expect(issue).toHaveBeenCalledTimes(1);

    // Life: 60 s back-dated + 120 s ahead = 180 s; renewal at 120 s after notBefore, i.e.
    // about 60 s from now (the dev CA's dates are whole seconds).
    const renewAt = renewalTime(identity.material.notBefore, identity.material.notAfter);
    expect(Math.abs(renewAt - (notBefore + 120_000))).toBeLessThan(2_000);
    await jest.advanceTimersByTimeAsync(renewAt - Date.now() - 10);
    expect(issue).toHaveBeenCalledTimes(1);
    await jest.advanceTimersByTimeAsync(20);
    expect(issue).toHaveBeenCalledTimes(2);
    expect(seen).toEqual([first!.certificate, second!.certificate]);
    expect(identity.material.serialNumber).toBe('01');
    const rotated = logger.lines.find((line) => line.details['event'] === 'tls.rotated');
    expect(rotated?.details).toMatchObject({
      service: 'order',
      old_serial: '00',
      new_serial: '01',
      not_after: new Date(identity.material.notAfter).toISOString(),
    });
    identity.stop();
    await jest.advanceTimersByTimeAsync(10 * 60_000);
    expect(issue).toHaveBeenCalledTimes(2);
  });

  it("closes a connection before either end's certificate can expire: under a third of its life, jitter included", async () => {
    const [first] = await certificates([3 * 3_600 - 60]);
    const identity = await WorkloadIdentity.start({
      service: 'order',
      issue: async () => first!,
      logger: recordingLogger(),
    });
    const life = identity.material.notAfter - identity.material.notBefore;
    const maxAge = connectionMaxAgeMs(identity)!;
    // A handshake happens with at least a third of each certificate's life left (both ends
    // renew at two thirds); grpc-js adds up to +10% jitter to the age.
    expect(maxAge * 1.1).toBeLessThan(life / 3);
    expect(maxAge).toBeGreaterThan(life / 4);
    identity.stop();
    expect(
      connectionMaxAgeMs({
        service: 'order',
        ca: Buffer.from(''),
        cert: Buffer.from(''),
        key: Buffer.from(''),
      }),
    ).toBeUndefined();
  });

  it('retries a failed renewal with capped exponential backoff and keeps its certificate', async () => {
    const [first, second] = await certificates([120, 3_600]);
    jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask'], now: Date.now() });
    let failuresLeft = 5;
    const calls: number[] = [];
    const issue = jest.fn(async () => {
      calls.push(Date.now());
      if (calls.length === 1) return first!;
      if (failuresLeft-- > 0) throw new Error('Vault unreachable');
      return second!;
    });
    const logger = recordingLogger();
    const identity = await WorkloadIdentity.start({
      service: 'order',
      issue,
      logger,
      retryMs: 1_000,
      retryMaxMs: 4_000,
    });
    const renewAt = renewalTime(identity.material.notBefore, identity.material.notAfter);
    await jest.advanceTimersByTimeAsync(renewAt - Date.now() + 1);
    await jest.advanceTimersByTimeAsync(30_000);
    // The renewal, then retries after 1, 2, 4, 4 and 4 s (capped), the last one succeeding.
    const gaps = calls.slice(2).map((at, i) => at - calls[i + 1]!);
    expect(gaps).toEqual([1_000, 2_000, 4_000, 4_000, 4_000]);
    const warnings = logger.lines.filter((line) => line.details['event'] === 'tls.renewal-failed');
    expect(warnings).toHaveLength(5);
    expect(warnings.every((line) => line.level === 'warn')).toBe(true);
    expect(identity.material.serialNumber).toBe('01');
    identity.stop();
  });

  it('fails its start when the first certificate cannot be issued', async () => {
    await expect(
      WorkloadIdentity.start({
        service: 'order',
        issue: () => Promise.reject(new Error('permission denied')),
        logger: recordingLogger(),
      }),
    ).rejects.toThrow('permission denied');
  });

  it('keeps no timer alive after stop', async () => {
    const [first] = await certificates([3_600]);
    const identity = await WorkloadIdentity.start({
      service: 'order',
      issue: async () => first!,
      logger: recordingLogger(),
    });
    identity.stop();
    // jest would report an open handle; the renewal timer is also unref'd while it runs.
    expect(identity.material.serialNumber).toBe('00');
  });
});
