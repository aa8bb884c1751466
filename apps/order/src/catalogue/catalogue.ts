import type { AuditLog } from '@citadel/audit';
import type { Product } from '@citadel/contracts';
import type { Kysely, Selectable } from '@citadel/database';
import type { OrderDatabase, ProductsTable } from '../orders/order.migrations.js';
import { InvalidPrice, ProductNotFound } from './catalogue.errors.js';

export const MAX_PRICE_CENTS = 10_000_000;

/** The catalogue, in the order service's schema: prices are integer minor units and always come from here. */
export class Catalogue {
  constructor(
    private readonly db: Kysely<OrderDatabase>,
    private readonly audit: AuditLog,
  ) {}

  async list(): Promise<Product[]> {
    return (await this.db.selectFrom('products').selectAll().orderBy('sku').execute()).map(
      toProduct,
    );
  }

  async find(sku: string): Promise<Product | undefined> {
    const row = await this.db
      .selectFrom('products')
      .selectAll()
      .where('sku', '=', sku)
      .executeTakeFirst();
    return row && toProduct(row);
  }

  /**
   * Makes the catalogue exactly `products` (ORDER_CATALOGUE_FILE): new ones added, listed
   * ones updated, the rest withdrawn from sale. Orders keep the prices they were placed at.
   */
  async replaceWith(products: readonly Product[]): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      for (const product of products) {
        await trx
          .insertInto('products')
          .values(product)
          .onConflict((conflict) =>
            conflict.column('sku').doUpdateSet({
              name: product.name,
              price_cents: product.price_cents,
              currency: product.currency,
            }),
          )
          .execute();
      }
      await trx
        .deleteFrom('products')
        .where(
          'sku',
          'not in',
          products.map((product) => product.sku),
        )
        .execute();
    });
  }

  /**
   * A price change is a sensitive act (only admins modify pricing): the new price
   * and its `product.price-change` record commit together. The old price is read under
   * the row's lock, so the record names the price this change replaced.
   */
  async setPrice(
    sku: string,
    priceCents: number,
    by: { actor: string; traceId?: string | undefined },
  ): Promise<Product> {
    if (!Number.isSafeInteger(priceCents) || priceCents <= 0 || priceCents > MAX_PRICE_CENTS) {
      throw new InvalidPrice();
    }
    return this.audit.transaction<Product, OrderDatabase>(async (trx, record) => {
      const before = await trx
        .selectFrom('products')
        .select('price_cents')
        .where('sku', '=', sku)
        .forUpdate()
        .executeTakeFirst();
      if (!before) throw new ProductNotFound();
      const row = await trx
        .updateTable('products')
        .set({ price_cents: priceCents })
        .where('sku', '=', sku)
        .returningAll()
        .executeTakeFirstOrThrow();
      record({
        actor: by.actor,
        action: 'product.price-change',
        target: sku,
        outcome: 'ok',
        callerService: 'gateway',
        traceId: by.traceId,
        detail: `price_cents ${Number(before.price_cents)} -> ${priceCents}`,
      });
      return toProduct(row);
    });
  }
}

function toProduct(row: Selectable<ProductsTable>): Product {
  return {
    sku: row.sku,
    name: row.name,
    price_cents: Number(row.price_cents),
    currency: row.currency,
  };
}
