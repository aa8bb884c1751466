import type { Redis } from 'ioredis';
import type { Logger } from '@citadel/observability';
import type { Revocation, RevocationFeed, RevocationListener } from './revocation.js';

export interface RedisRevocationOptions {
  /** The pub/sub channel every replica of this Citadel shares (`<REDIS_KEY_PREFIX>:revocations`). */
  channel: string;
  /** How often this replica publishes a heartbeat on the channel. */
  heartbeatMs?: number;
  /** Nothing heard on the channel for this long: the feed is not known-good any more. */
  staleAfterMs?: number;
  logger?: Logger;
}

/**
 * Revocations fanned out to every gateway replica over Redis pub/sub (one channel; the
 * messages carry a credential's SHA-256, a user id or an API key id, never a token).
 *
 * Pub/sub delivers to whoever is subscribed at the moment of PUBLISH and keeps nothing:
 * a replica cut off from Redis misses revocations silently. So the exchange cache is used
 * only while the feed is known-good (`trusted`), and we fail closed, not open: while it is
 * not, every request is exchanged at auth, which has the truth (slower, never wrong).
 * Known-good means all of:
 * - the subscriber connection has not dropped since we last flushed (a drop, however
 *   short, may have lost messages: `gap`);
 * - something was heard on the channel within `staleAfterMs`. Every replica publishes a
 *   heartbeat every `heartbeatMs`, so a silent failure (a half-open connection, a
 *   partition that no TCP error reports, a Redis that stopped forwarding) is noticed too,
 *   within `staleAfterMs`, which is under the 1 s within which a revocation must apply.
 * The first message heard after a gap or a silence flushes the whole cache before the
 * feed is trusted again: a replica that missed messages forgets everything it cached. (An
 * event loop stalled for longer than `staleAfterMs` reads as a silence too: a flush then
 * costs refills, never correctness.)
 *
 * Publishing needs Redis: when it fails, `publish` rejects and the revoking request fails
 * (the client is not told the credential is dead everywhere). Auth revoked it already;
 * replicas that cannot reach Redis either do not use their caches; one that still can
 * (a partition between replicas and Redis only) keeps its entry at most until the JWT's
 * end of life (≤ ~45 s), the bound this design cannot tighten without a synchronous call.
 */
export class RedisRevocations implements RevocationFeed {
  private readonly subscriber: Redis;
  private readonly listeners: RevocationListener[] = [];
  private readonly heartbeat: NodeJS.Timeout;
  private readonly channel: string;
  private readonly staleAfterMs: number;
  private readonly logger: Logger | undefined;
  /** Nothing heard yet counts as a gap: a fresh replica starts on an empty, flushed cache. */
  private gap = true;
  private lastHeard = Number.NEGATIVE_INFINITY;
  private closing = false;

  /** `redis`: the gateway's command connection (publishes); a subscriber is opened beside it. */
  constructor(
    private readonly redis: Redis,
    options: RedisRevocationOptions,
  ) {
    this.channel = options.channel;
    this.staleAfterMs = options.staleAfterMs ?? 800;
    this.logger = options.logger;
    // A connection in subscriber mode can do nothing else. Its SUBSCRIBE waits for the
    // connection (offline queue), and ioredis subscribes again after every reconnect.
    this.subscriber = redis.duplicate({ enableOfflineQueue: true, maxRetriesPerRequest: null });
    this.subscriber.on('error', () => {}); // reported by the command connection's handler
    this.subscriber.on('close', () => {
      if (!this.gap && !this.closing) {
        this.logger?.warn(
          { event: 'revocations.lost', channel: this.channel },
          'revocation feed lost: exchange cache off, every request is exchanged at auth',
        );
      }
      this.gap = true;
    });
    this.subscriber.on('message', (_channel: string, message: string) => this.receive(message));
    void this.subscriber.subscribe(this.channel).catch(() => {});
    const beat = () => void this.redis.publish(this.channel, HEARTBEAT).catch(() => {});
    this.heartbeat = setInterval(beat, options.heartbeatMs ?? 200);
    this.heartbeat.unref();
    beat();
  }

  get trusted(): boolean {
    return !this.gap && Date.now() - this.lastHeard <= this.staleAfterMs;
  }

  async publish(revocation: Revocation): Promise<void> {
    // This replica first, at once; every other one when Redis forwards the message (PUBLISH
    // returns once it is in each subscriber's connection).
    for (const listener of this.listeners) listener.revoke(revocation);
    await this.redis.publish(this.channel, JSON.stringify({ revoke: revocation }));
  }

  listen(listener: RevocationListener): void {
    this.listeners.push(listener);
  }

  close(): Promise<void> {
    this.closing = true;
    clearInterval(this.heartbeat);
    this.subscriber.disconnect();
    return Promise.resolve();
  }

  private receive(message: string): void {
    const now = Date.now();
    if (this.gap || now - this.lastHeard > this.staleAfterMs) {
      for (const listener of this.listeners) listener.flush();
      if (this.lastHeard !== Number.NEGATIVE_INFINITY) {
        this.logger?.info(
          { event: 'revocations.resumed', channel: this.channel },
          'revocation feed back: exchange cache flushed (revocations may have been missed)',
        );
      }
      this.gap = false;
    }
    this.lastHeard = now;
    if (message === HEARTBEAT) return;
    const revocation = parseRevocation(message);
    // Anyone who may publish on the channel can at worst evict entries: never unsafe.
    if (revocation) for (const listener of this.listeners) listener.revoke(revocation);
  }
}

const HEARTBEAT = 'heartbeat';

function parseRevocation(message: string): Revocation | undefined {
  try {
    const { revoke } = JSON.parse(message) as { revoke?: Record<string, unknown> };
    for (const field of ['credential', 'userId', 'apiKeyId'] as const) {
      const value = revoke?.[field];
      if (typeof value === 'string' && value) return { [field]: value } as Revocation;
    }
  } catch {
    // not ours: ignored
  }
  return undefined;
}
