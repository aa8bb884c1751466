import { applyDecorators, type INestApplication, type Type } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import {
  ApiExtension,
  ApiExtraModels,
  ApiOkResponse,
  DocumentBuilder,
  getSchemaPath,
  SwaggerModule,
  type OpenAPIObject,
  type OperationObject,
  type PathItemObject,
  type ReferenceObject,
  type ResponseObject,
  type SecurityRequirementObject,
} from '@nestjs/swagger';
import { can, type Permission } from '@citadel/auth';
import { ROUTE_PERMISSIONS } from '../session/permission.guard.js';

/**
 * The gateway's OpenAPI description (`GET /docs/openapi.json`, linted by Spectral's OWASP ruleset in
 * openapi.spec.ts and `npm run lint:openapi`): generated from the controllers and DTOs,
 * then completed once with what every operation shares, rather than by decorating each
 * response by hand (where one forgotten decorator would make the document lie).
 */
export function openApiDocument(app: INestApplication): OpenAPIObject {
  const generated = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Citadel API')
      .setDescription('Errors are application/problem+json (RFC 9457) with a trace_id.')
      .setVersion('1')
      // 3.1: a bearer requirement may name what it needs (here: the RBAC permission).
      .setOpenAPIVersion('3.1.0')
      .addBearerAuth(BEARER, 'bearer')
      .addBearerAuth(ADMIN_BEARER, 'adminBearer')
      .build(),
  );
  return completeDocument(generated, routePermissions(app));
}

const TOKENS =
  'an opaque access token (`cit_at_…`, from POST /v1/auth/login) or API key (`cit_ak_…`). ' +
  'Never a JWT at the edge: the gateway exchanges it for short-lived internal JWTs ' +
  '(RFC7519) that never leave the system, issued and verified as RFC8725 asks ' +
  '(ES256 only, algorithm pinned, typ, iss and aud checked, 60 s at most).';

const BEARER = {
  type: 'http' as const,
  scheme: 'bearer',
  bearerFormat: 'opaque',
  description:
    `Any signed-in caller: ${TOKENS} An operation's requirement names the permission ` +
    "(packages/auth/src/rbac.ts) the caller's role, and an API key's scopes, must grant; " +
    'any one of the listed requirements suffices.',
};

const ADMIN_BEARER = {
  ...BEARER,
  description:
    `Staff only: the same token format, of an account whose role is support_agent or ` +
    `admin; no customer role grants these operations. ${TOKENS} The requirement names the ` +
    "permission the caller's role, and an API key's scopes, must grant.",
};

/** Each guarded route's permissions (none: any signed-in caller), by Nest's operationId. */
function routePermissions(app: INestApplication): Map<string, readonly Permission[]> {
  const byOperation = new Map<string, readonly Permission[]>();
  for (const module of app.get(ModulesContainer).values()) {
    for (const { metatype } of module.controllers.values()) {
      if (!metatype) continue;
      const prototype = metatype.prototype as Record<string, unknown>;
      for (const method of Object.getOwnPropertyNames(prototype)) {
        const handler = prototype[method];
        if (typeof handler !== 'function') continue;
        const permissions: unknown = Reflect.getMetadata(ROUTE_PERMISSIONS, handler);
        // SwaggerModule's default operationId is `<Controller>_<method>`.
        if (Array.isArray(permissions)) byOperation.set(`${metatype.name}_${method}`, permissions);
      }
    }
  }
  return byOperation;
}

const OUTSIDE_RATE_LIMITS = 'x-outside-rate-limits';

/**
 * Marks an operation that the rate limits do not charge (the probes, see
 * edge/limit-requests.ts): its answers carry no RateLimit headers and it is never 429.
 */
export const ApiOutsideRateLimits = () => ApiExtension(OUTSIDE_RATE_LIMITS, true);

/** A 200 with a list of at most `maxItems` of `type` (the bound the service holds). */
export const ApiOkListResponse = (type: Type, maxItems: number, description?: string) =>
  applyDecorators(
    ApiExtraModels(type),
    ApiOkResponse({
      description,
      schema: { type: 'array', maxItems, items: { $ref: getSchemaPath(type) } },
    }),
  );

const PROBLEM_JSON = 'application/problem+json';
const ref = (to: string) => ({ $ref: `#/components/${to}` });

/** Seconds: the longest window any limit may be configured with (gateway-env.ts). */
const MAX_WINDOW_SECONDS = 86_400;
/** The largest quota any limit may be configured with (gateway-env.ts). */
const MAX_QUOTA_DIGITS = 8;
const POLICY = '"(credential|anonymous)"';

/**
 * The shared headers (draft-ietf-httpapi-ratelimit-headers: structured fields naming the
 * policy that charged the request), the 429 and the problem shape.
 */
const COMPONENTS = {
  headers: {
    'RateLimit-Policy': {
      description:
        'The limit that charged this request: per credential (access token or API key) or, ' +
        'without a valid one, per client address; q requests per w seconds.',
      schema: {
        type: 'string',
        pattern: `^${POLICY};q=\\d{1,${MAX_QUOTA_DIGITS}};w=\\d{1,5}$`,
        maxLength: 40,
        examples: ['"credential";q=600;w=60'],
      },
    },
    RateLimit: {
      description: 'What is left of that limit: r requests, until it resets in t seconds.',
      schema: {
        type: 'string',
        pattern: `^${POLICY};r=\\d{1,${MAX_QUOTA_DIGITS}};t=\\d{1,5}$`,
        maxLength: 40,
        examples: ['"credential";r=599;t=42'],
      },
    },
    'Retry-After': {
      description: 'Seconds until a retry can succeed (RFC 9110 §10.2.3).',
      schema: { type: 'integer', format: 'int32', minimum: 1, maximum: MAX_WINDOW_SECONDS },
    },
    'Access-Control-Allow-Origin': {
      description:
        "Only when GATEWAY_CORS_ORIGINS lists the request's Origin, which it then echoes; " +
        'absent otherwise (CORS is closed by default).',
      // gateway-env.ts: https://host[:port]; a DNS name is at most 253 characters.
      schema: {
        type: 'string',
        format: 'uri',
        pattern: '^https://[a-z0-9.-]+(:\\d{1,5})?$',
        maxLength: 'https://'.length + 253 + ':65535'.length,
      },
    },
  },
  responses: {
    TooManyRequests: {
      description:
        'Over the rate limit of this credential or client address; retry after Retry-After',
    },
  },
  schemas: {
    Problem: {
      type: 'object',
      description: 'RFC 9457 problem details; a 5xx says nothing more than its status.',
      required: ['type', 'title', 'status', 'trace_id'],
      properties: {
        // problemType(): this prefix and a slug of the status's reason phrase (at most 31
        // characters in node:http's STATUS_CODES).
        type: {
          type: 'string',
          format: 'uri',
          pattern: '^https://citadel\\.local/problems/[a-z0-9-]+$',
          maxLength: 64,
        },
        title: { type: 'string', maxLength: 32 },
        status: { type: 'integer', format: 'int32', minimum: 400, maximum: 599 },
        detail: { type: 'string' },
        errors: {
          type: 'array',
          description: 'For a 400: each offending field, named',
          items: {
            type: 'object',
            required: ['field', 'message'],
            properties: { field: { type: 'string' }, message: { type: 'string' } },
          },
        },
        trace_id: { type: 'string', pattern: '^[0-9a-f]{32}$', maxLength: 32 },
      },
    },
  },
};

/**
 * Completes the generated document: the rate-limit headers on every answer the limits
 * charged, a 429 on every operation they charge, the problem shape on every error, and
 * each guarded operation's security requirement from its route permissions: staff-only
 * operations (no customer may call them) under their own scheme, `adminBearer`.
 */
export function completeDocument(
  generated: OpenAPIObject,
  permissions: ReadonlyMap<string, readonly Permission[]>,
): OpenAPIObject {
  const document = structuredClone(generated);
  const components = (document.components ??= {});
  components.headers = { ...components.headers, ...COMPONENTS.headers };
  components.responses = { ...components.responses, ...COMPONENTS.responses };
  components.schemas = { ...components.schemas, ...COMPONENTS.schemas };
  components.responses.TooManyRequests = completeResponse(
    '429',
    COMPONENTS.responses.TooManyRequests,
    true,
  );
  for (const item of Object.values(document.paths) as PathItemObject[]) {
    for (const method of METHODS) {
      const operation = item[method];
      if (operation) completeOperation(operation, permissions);
    }
  }
  return document;
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;

function completeOperation(
  operation: OperationObject,
  permissions: ReadonlyMap<string, readonly Permission[]>,
): void {
  const limited = !(OUTSIDE_RATE_LIMITS in operation);
  const responses = operation.responses as Record<string, ResponseObject | ReferenceObject>;
  if (limited && !responses['429']) responses['429'] = ref('responses/TooManyRequests');
  // Any request can fail the strict HTTP checks (strict-request.ts), or validation.
  responses['400'] ??= { description: 'A malformed request, or one that failed validation' };
  // Unexpected failures: the problem says nothing more, the log has it under trace_id.
  responses['500'] ??= { description: 'Internal error' };
  for (const [status, response] of Object.entries(responses)) {
    if (!('$ref' in response)) responses[status] = completeResponse(status, response, limited);
  }
  const needed = permissions.get(operation.operationId ?? '');
  if (needed) operation.security = securityFor(needed);
}

function completeResponse(status: string, response: ResponseObject, limited: boolean) {
  const error = Number(status) >= 400;
  return {
    ...response,
    headers: {
      ...response.headers,
      ...(limited && {
        'RateLimit-Policy': ref('headers/RateLimit-Policy'),
        RateLimit: ref('headers/RateLimit'),
      }),
      ...(status === '429' && { 'Retry-After': ref('headers/Retry-After') }),
      'Access-Control-Allow-Origin': ref('headers/Access-Control-Allow-Origin'),
    },
    ...(error &&
      !response.content && { content: { [PROBLEM_JSON]: { schema: ref('schemas/Problem') } } }),
  };
}

/**
 * A route lists the permissions of which one suffices: one requirement each. When none
 * of them is a customer's, the route is staff-only and says so with its own scheme.
 */
export function securityFor(permissions: readonly Permission[]): SecurityRequirementObject[] {
  const staffOnly = permissions.length > 0 && !permissions.some((p) => can('customer', p));
  const scheme = staffOnly ? 'adminBearer' : 'bearer';
  return permissions.length === 0
    ? [{ [scheme]: [] }]
    : permissions.map((permission) => ({ [scheme]: [permission] }));
}
