import { BadRequestException, type Type } from '@nestjs/common';
import type { OpenAPIObject } from '@nestjs/swagger';
import { PERMISSIONS } from '@citadel/auth';
import { AuditQueryDto } from '../admin/audit.controller.js';
import { CreateApiKeyRequestDto } from '../api-keys/api-keys.request.dto.js';
import { LoginRequestDto } from '../auth/login.request.dto.js';
import { CreateOrderRequestDto } from '../orders/create-order.request.dto.js';
import { SkuParam } from '../params.js';
import { strictValidation } from '../validation.js';
import { offlineOpenApiDocument } from './offline-document.js';

/**
 * A limit the document states but validation does not enforce would be a lie to every
 * client and scanner that trusts it. Each stated maxLength/maxItems of a request is checked
 * against the real validation pipe: a value at the limit passes, one over it is refused.
 * A new stated limit fails this spec until it has its row here.
 */
interface Boundary {
  dto: Type;
  type: 'body' | 'query' | 'param';
  /** A valid request with `value` in the field under test. */
  request: (value: unknown) => object;
  atLimit: unknown;
  overLimit: unknown;
}

const order = (fields: object) => ({ items: [{ sku: 'CIT-MUG', quantity: 1 }], ...fields });
/** An address of `length` characters that IsEmail accepts (labels of at most 63). */
const email = (length: number) =>
  `${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(length - 198)}.test`;
const keyRequest = (fields: object) => ({ name: 'export', scopes: ['orders:create'], ...fields });

const BOUNDARIES: Record<string, Boundary> = {
  'LoginRequestDto.email': {
    dto: LoginRequestDto,
    type: 'body',
    request: (email) => ({ email, password: 'x' }),
    atLimit: email(254),
    overLimit: email(255),
  },
  'LoginRequestDto.password': {
    dto: LoginRequestDto,
    type: 'body',
    request: (password) => ({ email: 'alice@citadel.test', password }),
    atLimit: 'p'.repeat(1024),
    overLimit: 'p'.repeat(1025),
  },
  'CreateApiKeyRequestDto.name': {
    dto: CreateApiKeyRequestDto,
    type: 'body',
    request: (name) => keyRequest({ name }),
    atLimit: 'n'.repeat(64),
    overLimit: 'n'.repeat(65),
  },
  'CreateApiKeyRequestDto.scopes': {
    dto: CreateApiKeyRequestDto,
    type: 'body',
    request: (scopes) => keyRequest({ scopes }),
    atLimit: [...PERMISSIONS],
    overLimit: [...PERMISSIONS, 'orders:create'],
  },
  'CreateOrderRequestDto.items': {
    dto: CreateOrderRequestDto,
    type: 'body',
    request: (items) => ({ items }),
    atLimit: Array.from({ length: 50 }, () => ({ sku: 'CIT-MUG', quantity: 1 })),
    overLimit: Array.from({ length: 51 }, () => ({ sku: 'CIT-MUG', quantity: 1 })),
  },
  'CreateOrderRequestDto.payment_token': {
    dto: CreateOrderRequestDto,
    type: 'body',
    request: (payment_token) => order({ payment_token }),
    atLimit: `tok_${'v'.repeat(40)}`,
    overLimit: `tok_${'v'.repeat(41)}`,
  },
  'OrderItemDto.sku': {
    dto: CreateOrderRequestDto,
    type: 'body',
    request: (sku) => ({ items: [{ sku, quantity: 1 }] }),
    atLimit: 'S'.repeat(32),
    overLimit: 'S'.repeat(33),
  },
  'query trace_id': {
    dto: AuditQueryDto,
    type: 'query',
    request: (trace_id) => ({ service: 'order', trace_id }),
    atLimit: 'a'.repeat(32),
    overLimit: 'a'.repeat(33),
  },
  'query actor': {
    dto: AuditQueryDto,
    type: 'query',
    request: (actor) => ({ service: 'order', actor }),
    atLimit: 'u'.repeat(64),
    overLimit: 'u'.repeat(65),
  },
  'query action': {
    dto: AuditQueryDto,
    type: 'query',
    request: (action) => ({ service: 'order', action }),
    atLimit: 'o'.repeat(64),
    overLimit: 'o'.repeat(65),
  },
  'path sku': {
    dto: SkuParam,
    type: 'param',
    request: (sku) => ({ sku }),
    atLimit: 'S'.repeat(32),
    overLimit: 'S'.repeat(33),
  },
};

/**
 * Checked by the e2e suite instead, where the check is not a class-validator DTO: the
 * UUID path id (ParseUUIDPipe, error-shape and hostile-input) and the Idempotency-Key
 * (orders.controller.ts, hostile-input's corpus: one character over).
 */
const CHECKED_END_TO_END = ['path id', 'header Idempotency-Key'];

type Schema = {
  $ref?: string;
  maxLength?: number;
  maxItems?: number;
  items?: Schema;
  properties?: Record<string, Schema>;
};

/** Every maxLength/maxItems the document states for a request: `Schema.property` or `in name`. */
function statedRequestLimits(document: OpenAPIObject): Set<string> {
  const schemas = (document.components?.schemas ?? {}) as Record<string, Schema>;
  const stated = new Set<string>();
  const visit = (name: string, seen: Set<string>) => {
    if (seen.has(name)) return;
    seen.add(name);
    for (const [property, schema] of Object.entries(schemas[name]?.properties ?? {})) {
      if (schema.maxLength !== undefined || schema.maxItems !== undefined) {
        stated.add(`${name}.${property}`);
      }
      for (const ref of [schema.$ref, schema.items?.$ref]) {
        if (ref) visit(ref.split('/').pop()!, seen);
      }
    }
  };
  for (const item of Object.values(document.paths)) {
    for (const operation of Object.values(item) as {
      requestBody?: { content: Record<string, { schema: Schema }> };
      parameters?: { in: string; name: string; schema?: Schema }[];
    }[]) {
      const ref = operation.requestBody?.content['application/json']?.schema.$ref;
      if (ref) visit(ref.split('/').pop()!, new Set());
      for (const parameter of operation.parameters ?? []) {
        if (parameter.schema?.maxLength !== undefined) {
          stated.add(`${parameter.in} ${parameter.name}`);
        }
      }
    }
  }
  return stated;
}

const validate = ({ dto, type }: Boundary, value: object) =>
  strictValidation.transform(value, { type, metatype: dto, data: '' });

describe('every request limit the OpenAPI document states is the one validation enforces', () => {
  let stated: Set<string>;
  beforeAll(async () => {
    stated = statedRequestLimits(await offlineOpenApiDocument());
  }, 60_000);

  it('has a boundary check for each stated limit', () => {
    expect([...stated].sort()).toEqual([...Object.keys(BOUNDARIES), ...CHECKED_END_TO_END].sort());
  });

  it.each(Object.entries(BOUNDARIES))('%s: at the limit passes', async (_, boundary) => {
    await expect(validate(boundary, boundary.request(boundary.atLimit))).resolves.toBeDefined();
  });

  it.each(Object.entries(BOUNDARIES))('%s: one over is refused (400)', async (_, boundary) => {
    await expect(validate(boundary, boundary.request(boundary.overLimit))).rejects.toBeInstanceOf(
      BadRequestException,
    );
  });
});
