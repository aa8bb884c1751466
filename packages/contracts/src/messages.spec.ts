// The hand-written message types must name exactly the fields the .proto files declare:
// each `satisfies` below fails the type check if a type gains or loses a field, and the
// test fails if the .proto does.
import * as protoLoader from '@grpc/proto-loader';
import type * as m from './messages.js';
import type * as monitor from './monitor.messages.js';
import { CONTRACTS, LOADER_OPTIONS, protoPath, type ContractName } from './protos.js';

type Fields<T> = Record<keyof Required<T>, true>;

const TYPES: [ContractName | 'audit', string, Record<string, true>][] = [
  [
    'auth',
    'LoginRequest',
    { email: true, password: true, client_ip: true } satisfies Fields<m.LoginRequest>,
  ],
  [
    'auth',
    'LoginResponse',
    {
      access_token: true,
      token_type: true,
      expires_in: true,
      device_token: true,
    } satisfies Fields<m.LoginResponse>,
  ],
  ['auth', 'LogoutRequest', { access_token: true } satisfies Fields<m.LogoutRequest>],
  [
    'auth',
    'ExchangeTokenRequest',
    {
      access_token: true,
      audience: true,
      ttl_seconds: true,
    } satisfies Fields<m.ExchangeTokenRequest>,
  ],
  [
    'auth',
    'ExchangeTokenResponse',
    {
      jwt: true,
      expires_at: true,
      user_id: true,
      email: true,
      role: true,
      scopes: true,
      api_key_id: true,
    } satisfies Fields<m.ExchangeTokenResponse>,
  ],
  [
    'auth',
    'Jwk',
    {
      kty: true,
      crv: true,
      x: true,
      y: true,
      kid: true,
      alg: true,
      use: true,
    } satisfies Fields<m.Jwk>,
  ],
  ['auth', 'GetJwksResponse', { keys: true } satisfies Fields<m.GetJwksResponse>],
  ['auth', 'Customer', { id: true, email: true, role: true } satisfies Fields<m.Customer>],
  ['auth', 'ListCustomersResponse', { customers: true } satisfies Fields<m.ListCustomersResponse>],
  ['auth', 'DeleteCustomerRequest', { id: true } satisfies Fields<m.DeleteCustomerRequest>],
  [
    'auth',
    'CreateApiKeyRequest',
    { name: true, scopes: true, ttl_days: true } satisfies Fields<m.CreateApiKeyRequest>,
  ],
  [
    'auth',
    'ApiKey',
    {
      id: true,
      name: true,
      scopes: true,
      created_at: true,
      expires_at: true,
      prefix: true,
    } satisfies Fields<m.ApiKey>,
  ],
  ['auth', 'CreatedApiKey', { key: true, secret: true } satisfies Fields<m.CreatedApiKey>],
  ['auth', 'ListApiKeysResponse', { keys: true } satisfies Fields<m.ListApiKeysResponse>],
  ['auth', 'RevokeApiKeyRequest', { id: true } satisfies Fields<m.RevokeApiKeyRequest>],
  [
    'auth',
    'EdgeDenial',
    {
      actor: true,
      action: true,
      target: true,
      detail: true,
      trace_id: true,
      client_ip: true,
    } satisfies Fields<m.EdgeDenial>,
  ],
  [
    'audit',
    'AuditVerification',
    {
      service: true,
      ok: true,
      records: true,
      first_broken_seq: true,
      reason: true,
    } satisfies Fields<m.AuditVerification>,
  ],
  [
    'audit',
    'ListAuditRequest',
    { trace_id: true, actor: true, action: true, limit: true } satisfies Fields<m.ListAuditRequest>,
  ],
  [
    'audit',
    'AuditRecord',
    {
      seq: true,
      time: true,
      service: true,
      actor: true,
      action: true,
      target: true,
      outcome: true,
      caller_service: true,
      trace_id: true,
      detail: true,
      prev_hash: true,
      hash: true,
    } satisfies Fields<m.AuditRecord>,
  ],
  ['audit', 'ListAuditResponse', { records: true } satisfies Fields<m.ListAuditResponse>],
  [
    'order',
    'Product',
    { sku: true, name: true, price_cents: true, currency: true } satisfies Fields<m.Product>,
  ],
  ['order', 'ListProductsResponse', { products: true } satisfies Fields<m.ListProductsResponse>],
  [
    'order',
    'SetPriceRequest',
    { sku: true, price_cents: true } satisfies Fields<m.SetPriceRequest>,
  ],
  [
    'order',
    'OrderItem',
    { sku: true, quantity: true, unit_price_cents: true } satisfies Fields<m.OrderItem>,
  ],
  [
    'order',
    'CreateOrderRequest',
    {
      items: true,
      idempotency_key: true,
      payment_token: true,
    } satisfies Fields<m.CreateOrderRequest>,
  ],
  [
    'order',
    'Order',
    {
      id: true,
      user_id: true,
      status: true,
      items: true,
      total_cents: true,
      currency: true,
      payment_id: true,
      created_at: true,
      failure_reason: true,
    } satisfies Fields<m.Order>,
  ],
  ['order', 'OrderIdRequest', { id: true } satisfies Fields<m.OrderIdRequest>],
  ['order', 'ListOrdersResponse', { orders: true } satisfies Fields<m.ListOrdersResponse>],
  [
    'payment',
    'ChargeRequest',
    {
      order_id: true,
      user_id: true,
      amount_cents: true,
      currency: true,
      idempotency_key: true,
      payment_token: true,
    } satisfies Fields<m.ChargeRequest>,
  ],
  [
    'payment',
    'RefundRequest',
    { payment_id: true, reason: true } satisfies Fields<m.RefundRequest>,
  ],
  ['payment', 'GetPaymentRequest', { id: true } satisfies Fields<m.GetPaymentRequest>],
  [
    'payment',
    'Payment',
    {
      id: true,
      order_id: true,
      user_id: true,
      amount_cents: true,
      refunded_cents: true,
      currency: true,
      status: true,
      created_at: true,
      decline_reason: true,
    } satisfies Fields<m.Payment>,
  ],
  [
    'audit',
    'ListAuditHashesRequest',
    { service: true, after_seq: true, limit: true } satisfies Fields<m.ListAuditHashesRequest>,
  ],
  ['audit', 'AuditHash', { seq: true, hash: true } satisfies Fields<m.AuditHash>],
  ['audit', 'AuditHashes', { hashes: true } satisfies Fields<m.AuditHashes>],
  [
    'monitor',
    'DeliverRequest',
    {
      records: true,
      source_head_seq: true,
      source_head_hash: true,
    } satisfies Fields<monitor.DeliverRequest>,
  ],
  [
    'monitor',
    'ChainHead',
    {
      service: true,
      seq: true,
      hash: true,
      received_at: true,
      broken: true,
    } satisfies Fields<monitor.ChainHead>,
  ],
  [
    'monitor',
    'ListChainHeadsResponse',
    { heads: true } satisfies Fields<monitor.ListChainHeadsResponse>,
  ],
  ['monitor', 'ListAlertsRequest', { limit: true } satisfies Fields<monitor.ListAlertsRequest>],
  [
    'monitor',
    'Alert',
    {
      id: true,
      rule: true,
      service: true,
      actor: true,
      raised_at: true,
      detail: true,
      severity: true,
      trace_id: true,
    } satisfies Fields<monitor.Alert>,
  ],
  ['monitor', 'ListAlertsResponse', { alerts: true } satisfies Fields<monitor.ListAlertsResponse>],
];

function protoFields(service: ContractName | 'audit', message: string): string[] {
  // The audit messages live in their own package, imported by every service's proto.
  const file = protoPath(service === 'audit' ? 'order' : service);
  const pkg = service === 'audit' ? 'citadel.audit.v1' : CONTRACTS[service].package;
  const definition = protoLoader.loadSync(file, LOADER_OPTIONS);
  const type = definition[`${pkg}.${message}`] as
    protoLoader.MessageTypeDefinition<object, object> | undefined;
  if (!type) throw new Error(`${message} is not declared in ${service}.proto`);
  return (type.type as { field: { name: string }[] }).field.map((field) => field.name);
}

describe('message types', () => {
  it.each(TYPES)('%s %s names exactly the fields of the .proto', (service, message, fields) => {
    expect(Object.keys(fields).sort()).toEqual(protoFields(service, message).sort());
  });
});
