import { Injectable } from '@nestjs/common';
import type { Product } from '@citadel/contracts';
import { invalidArgument, notFound } from '@citadel/transport';

/** The demo catalogue: prices are integer minor units and always come from here. */
const DEMO_PRODUCTS: Product[] = [
  { sku: 'CIT-MUG', name: 'Citadel mug', price_cents: 1200, currency: 'EUR' },
  { sku: 'CIT-TEE', name: 'Zero-trust T-shirt', price_cents: 2500, currency: 'EUR' },
  { sku: 'CIT-KEY', name: 'Hardware security key', price_cents: 4900, currency: 'EUR' },
  {
    sku: 'CIT-BOOK',
    name: 'Securing Microservices (paperback)',
    price_cents: 3900,
    currency: 'EUR',
  },
];

export const MAX_PRICE_CENTS = 10_000_000;

@Injectable()
export class Catalogue {
  private readonly products = new Map(
    DEMO_PRODUCTS.map((product) => [product.sku, { ...product }]),
  );

  list(): Product[] {
    return [...this.products.values()].map((product) => ({ ...product }));
  }

  find(sku: string): Product | undefined {
    const product = this.products.get(sku);
    return product && { ...product };
  }

  setPrice(sku: string, priceCents: number): Product {
    const product = this.products.get(sku);
    if (!product) throw notFound('product not found');
    if (!Number.isSafeInteger(priceCents) || priceCents <= 0 || priceCents > MAX_PRICE_CENTS) {
      throw invalidArgument(`price_cents must be an integer in 1..${MAX_PRICE_CENTS}`);
    }
    product.price_cents = priceCents;
    return { ...product };
  }
}
