import { X509Certificate } from 'node:crypto';
import type { experimental } from '@grpc/grpc-js';

type CaListener = experimental.CaCertificateUpdateListener;
type IdentityListener = experimental.IdentityCertificateUpdateListener;

/** A certificate as Vault's PKI engine issues it (`pki/issue/<role>`), in PEM. */
export interface IssuedCertificate {
  certificate: string;
  privateKey: string;
  /** The issuing CA and any intermediates: the mesh's trust anchor. */
  caChain: string[];
  serialNumber: string;
}

/** The part of a pino logger the identity uses. */
export interface IdentityLogger {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
}

/** The timers the identity schedules with; fake ones in tests. */
export interface IdentityClock {
  now(): number;
  setTimeout(run: () => void, ms: number): { unref?(): unknown };
  clearTimeout(timer: unknown): void;
}

export interface WorkloadIdentityOptions {
  service: string;
  /** Asks Vault for a new certificate (see issueServiceCertificate in @citadel/secrets). */
  issue: () => Promise<IssuedCertificate>;
  logger: IdentityLogger;
  /** First retry after a failed renewal; each further one waits twice as long, up to `retryMaxMs`. */
  retryMs?: number;
  retryMaxMs?: number;
  clock?: IdentityClock;
}

/** What the identity currently presents. */
export interface CurrentIdentity {
  service: string;
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
  serialNumber: string;
  /** Epoch ms. */
  notBefore: number;
  notAfter: number;
}

const SYSTEM_CLOCK: IdentityClock = {
  now: () => Date.now(),
  setTimeout: (run, ms) => setTimeout(run, ms),
  clearTimeout: (timer) => clearTimeout(timer as NodeJS.Timeout),
};

/** When a certificate valid from `notBefore` to `notAfter` is renewed: at two thirds of its life. */
export function renewalTime(notBefore: number, notAfter: number): number {
  return notBefore + ((notAfter - notBefore) * 2) / 3;
}

/**
 * A service's mTLS identity, short-lived and renewed while the service runs (what SPIRE's
 * agent does for a SPIFFE ID): issued by Vault at start, renewed at two thirds of the
 * certificate's life, and handed to grpc-js through its public `CertificateProvider`
 * interface. A server built on it calls `setSecureContext` with every update, and a channel
 * builds each new connection's secure context from the latest one, so new handshakes use
 * the new certificate while connections already open finish on the old one; nothing
 * restarts.
 *
 * A failed renewal is retried with capped exponential backoff and logged; meanwhile the
 * current certificate is served until it expires (after which peers refuse it, as they
 * should). `stop()` clears the timer; the timer never keeps a process alive.
 */
export class WorkloadIdentity implements experimental.CertificateProvider {
  private current: CurrentIdentity;
  private readonly caListeners = new Set<CaListener>();
  private readonly identityListeners = new Set<IdentityListener>();
  private readonly clock: IdentityClock;
  private timer: unknown;
  private failures = 0;
  private stopped = false;

  private constructor(
    private readonly options: WorkloadIdentityOptions,
    first: CurrentIdentity,
  ) {
    this.clock = options.clock ?? SYSTEM_CLOCK;
    this.current = first;
  }

  /** Issues the first certificate (a failure stops the start: fail closed) and schedules renewal. */
  static async start(options: WorkloadIdentityOptions): Promise<WorkloadIdentity> {
    const first = WorkloadIdentity.parse(options.service, await options.issue());
    const identity = new WorkloadIdentity(options, first);
    options.logger.info(
      {
        event: 'tls.issued',
        service: options.service,
        serial: first.serialNumber,
        not_after: new Date(first.notAfter).toISOString(),
      },
      'mTLS certificate issued by Vault',
    );
    identity.schedule(renewalTime(first.notBefore, first.notAfter) - identity.clock.now());
    return identity;
  }

  get service(): string {
    return this.options.service;
  }

  /** The certificate, key and CA presented now. */
  get material(): CurrentIdentity {
    return this.current;
  }

  addCaCertificateListener(listener: CaListener): void {
    this.caListeners.add(listener);
    // As grpc-js's own providers do: after the caller has registered its own watchers.
    process.nextTick(() => {
      if (this.caListeners.has(listener)) listener({ caCertificate: this.current.ca });
    });
  }

  removeCaCertificateListener(listener: CaListener): void {
    this.caListeners.delete(listener);
  }

  addIdentityCertificateListener(listener: IdentityListener): void {
    this.identityListeners.add(listener);
    process.nextTick(() => {
      if (this.identityListeners.has(listener)) {
        listener({ certificate: this.current.cert, privateKey: this.current.key });
      }
    });
  }

  removeIdentityCertificateListener(listener: IdentityListener): void {
    this.identityListeners.delete(listener);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    const timer = this.clock.setTimeout(() => void this.renew(), Math.max(0, delayMs));
    timer.unref?.();
    this.timer = timer;
  }

  private async renew(): Promise<void> {
    this.timer = undefined;
    const old = this.current;
    let next: CurrentIdentity;
    try {
      next = WorkloadIdentity.parse(this.options.service, await this.options.issue());
    } catch (error) {
      if (this.stopped) return;
      const retryMs = this.retryDelay();
      this.options.logger.warn(
        {
          event: 'tls.renewal-failed',
          service: this.options.service,
          err: String(error),
          retry_in_ms: retryMs,
          serial: old.serialNumber,
          not_after: new Date(old.notAfter).toISOString(),
        },
        'mTLS certificate renewal failed; serving the current certificate until it expires',
      );
      this.schedule(retryMs);
      return;
    }
    if (this.stopped) return;
    this.failures = 0;
    this.current = next;
    const caChanged = !next.ca.equals(old.ca);
    for (const listener of this.identityListeners) {
      listener({ certificate: next.cert, privateKey: next.key });
    }
    if (caChanged) for (const listener of this.caListeners) listener({ caCertificate: next.ca });
    this.options.logger.info(
      {
        event: 'tls.rotated',
        service: this.options.service,
        old_serial: old.serialNumber,
        new_serial: next.serialNumber,
        not_after: new Date(next.notAfter).toISOString(),
      },
      'mTLS certificate rotated',
    );
    // At least a second: a certificate already two thirds through its life (a clock that
    // jumped, a TTL shorter than Vault's back-dating) must not renew in a hot loop.
    this.schedule(Math.max(1_000, renewalTime(next.notBefore, next.notAfter) - this.clock.now()));
  }

  /** 1 s, 2 s, 4 s, ... up to the cap (60 s unless told). */
  private retryDelay(): number {
    const base = this.options.retryMs ?? 1_000;
    const cap = Math.max(base, this.options.retryMaxMs ?? 60_000);
    const delay = Math.min(cap, base * 2 ** this.failures);
    this.failures++;
    return delay;
  }

  private static parse(service: string, issued: IssuedCertificate): CurrentIdentity {
    const cert = new X509Certificate(issued.certificate);
    return {
      service,
      ca: Buffer.from(issued.caChain.join('\n')),
      cert: Buffer.from(issued.certificate),
      key: Buffer.from(issued.privateKey),
      serialNumber: issued.serialNumber,
      notBefore: Date.parse(cert.validFrom),
      notAfter: Date.parse(cert.validTo),
    };
  }
}
