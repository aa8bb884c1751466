import fs from 'node:fs';
import { z } from 'zod';
import type { Product } from '@citadel/contracts';
import { MAX_PRICE_CENTS } from './catalogue.js';

const catalogueSchema = z
  .array(
    z
      .object({
        sku: z.string().regex(/^[A-Z0-9-]{1,32}$/, '1..32 upper-case letters, digits or dashes'),
        name: z.string().min(1).max(100),
        price_cents: z.number().int().min(1).max(MAX_PRICE_CENTS),
        currency: z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 code'),
      })
      .strict(),
  )
  .min(1)
  .refine((products) => new Set(products.map((p) => p.sku)).size === products.length, {
    message: 'each sku once',
  });

/**
 * Reads a catalogue file (`ORDER_CATALOGUE_FILE`), or throws a message naming the file
 * and the first thing wrong with it: a bad catalogue stops the service at start.
 */
export function readCatalogueFile(file: string): Product[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(
      `ORDER_CATALOGUE_FILE ${file}: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
  const result = catalogueSchema.safeParse(parsed);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new Error(
      `ORDER_CATALOGUE_FILE ${file}: ${issue.path.join('.') || '(root)'}: ${issue.message}`,
    );
  }
  return result.data;
}
