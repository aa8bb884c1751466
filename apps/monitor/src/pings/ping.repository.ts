import { randomUUID } from 'node:crypto';
import type { Kysely } from '@citadel/database';
import type { MonitorDatabase } from './ping.migrations.js';

/** The pings, in monitor's own schema. */
export class PingRepository {
  constructor(private readonly db: Kysely<MonitorDatabase>) {}

  /** Records one ping; returns how many this user has made. */
  async record(caller: string, userId: string): Promise<number> {
    await this.db
      .insertInto('pings')
      .values({ id: randomUUID(), caller, user_id: userId })
      .execute();
    const { count } = await this.db
      .selectFrom('pings')
      .select((eb) => eb.fn.countAll<string | number>().as('count'))
      .where('user_id', '=', userId)
      .executeTakeFirstOrThrow();
    return Number(count);
  }
}
