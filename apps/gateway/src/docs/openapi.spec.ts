import * as fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { OpenAPIObject } from '@nestjs/swagger';
import { Document, Spectral, type ISpectralDiagnostic } from '@stoplight/spectral-core';
import { Json } from '@stoplight/spectral-parsers';
import { builtins } from '@stoplight/spectral-ruleset-bundler/plugins/builtins';
import { commonjs } from '@stoplight/spectral-ruleset-bundler/plugins/commonjs';
import { bundleAndLoadRuleset } from '@stoplight/spectral-ruleset-bundler/with-loader';
import { fetch } from '@stoplight/spectral-runtime';
import { rateLimitHeaders, type RateLimitPolicy } from '../edge/rate-limits.js';
import { offlineOpenApiDocument } from './offline-document.js';

/** The ruleset CI runs (`npm run lint:openapi`): OWASP, with its reasoned exceptions. */
const RULESET = fileURLToPath(new URL('../../.spectral.yaml', import.meta.url));
const ERROR = 0;

async function lint(document: OpenAPIObject): Promise<ISpectralDiagnostic[]> {
  const spectral = new Spectral();
  spectral.setRuleset(await bundleAndLoadRuleset(RULESET, { fs, fetch }, [builtins(), commonjs()]));
  const results = await spectral.run(
    new Document(JSON.stringify(document, null, 2), Json, 'openapi.json'),
  );
  return results.filter((result) => result.severity === ERROR);
}

const shown = (errors: ISpectralDiagnostic[]) =>
  errors.map((error) => `${error.code} at ${error.path.join('.')}: ${error.message}`);

describe('the OpenAPI document (GET /docs/openapi.json) under the OWASP API Security ruleset', () => {
  let document: OpenAPIObject;
  beforeAll(async () => {
    document = await offlineOpenApiDocument();
  }, 60_000);

  it('has no errors', async () => {
    expect(shown(await lint(document))).toEqual([]);
  }, 60_000);

  it('still catches an unbounded request field (the exceptions are not blanket)', async () => {
    const tampered = structuredClone(document);
    const schemas = tampered.components?.schemas as Record<string, { properties: object }>;
    const request = schemas.CreateOrderRequestDto!;
    request.properties = { ...request.properties, note: { type: 'string' } };
    expect(shown(await lint(tampered))).toEqual([
      expect.stringMatching(/^owasp:api4:2023-string-limit at .*CreateOrderRequestDto/),
    ]);
  }, 60_000);

  it('states the rate-limit headers on every charged answer and a 429 on every operation', () => {
    for (const [path, item] of Object.entries(document.paths)) {
      for (const operation of Object.values(item) as { responses: object }[]) {
        const responses = operation.responses as Record<string, { $ref?: string }>;
        if (path === '/healthz' || path === '/readyz') {
          expect(responses['429']).toBeUndefined();
          continue;
        }
        for (const [status, response] of Object.entries(responses)) {
          const answer = response.$ref ? document.components?.responses?.TooManyRequests : response;
          expect(answer).toHaveProperty(['headers', 'RateLimit']);
          expect(answer).toHaveProperty(['headers', 'RateLimit-Policy']);
          if (Number(status) >= 400) {
            expect(answer).toHaveProperty(['content', 'application/problem+json']);
          }
          if (status === '429') expect(answer).toHaveProperty(['headers', 'Retry-After']);
        }
        expect(responses).toHaveProperty('429');
      }
    }
  });

  it('documents the rate-limit headers in the shape the limiter sends them', () => {
    const documented = (name: string) => {
      const { schema } = document.components?.headers?.[name] as {
        schema: { pattern: string; maxLength: number };
      };
      return (value: string) =>
        new RegExp(schema.pattern).test(value) && value.length <= schema.maxLength;
    };
    const policyHeader = documented('RateLimit-Policy');
    const stateHeader = documented('RateLimit');
    // The extremes gateway-env.ts allows, for both policies.
    for (const policy of ['credential', 'anonymous'] satisfies RateLimitPolicy[]) {
      for (const [quota, windowSeconds] of [
        [1, 1],
        [10_000_000, 86_400],
      ] as const) {
        const sent = rateLimitHeaders({
          allowed: true,
          policy,
          quota,
          windowSeconds,
          remaining: quota,
          resetSeconds: windowSeconds,
        });
        expect(policyHeader(sent['ratelimit-policy']!)).toBe(true);
        expect(stateHeader(sent.ratelimit!)).toBe(true);
      }
    }
  });

  it('puts the staff-only operations, and only those, under adminBearer', () => {
    const staffOnly = Object.entries(document.paths).flatMap(([path, item]) =>
      Object.entries(item as Record<string, { security?: Record<string, string[]>[] }>)
        .filter(([, operation]) => operation.security?.some((entry) => 'adminBearer' in entry))
        .map(([method]) => `${method.toUpperCase()} ${path}`),
    );
    expect(staffOnly.sort()).toEqual(
      [
        'GET /v1/admin/alerts',
        'GET /v1/admin/audit',
        'GET /v1/admin/audit/verify',
        'GET /v1/customers',
        'DELETE /v1/customers/{id}',
        'POST /v1/orders/{id}/refund',
        'PUT /v1/products/{sku}/price',
      ].sort(),
    );
    expect(document.paths['/v1/customers/{id}']?.delete?.security).toEqual([
      { adminBearer: ['customers:delete'] },
    ]);
  });
});
