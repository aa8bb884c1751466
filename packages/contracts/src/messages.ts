// TypeScript shapes of the messages in proto/, as the loader yields them (keepCase,
// int64 as number). Written by hand; messages.spec.ts fails if they and the .proto files
// ever name different fields.

export interface LoginRequest {
  email: string;
  password: string;
  client_ip?: string;
}
export interface LoginResponse {
  access_token: string;
  token_type: string;
  expires_in: number;
  /** For the gateway's device cookie; not part of the HTTP answer. */
  device_token: string;
}
export interface LogoutRequest {
  access_token: string;
}
export interface ExchangeTokenRequest {
  access_token: string;
  audience: string;
  ttl_seconds?: number;
}
export interface ExchangeTokenResponse {
  jwt: string;
  expires_at: number;
  user_id: string;
  email: string;
  role: string;
  scopes: string[];
  api_key_id: string;
}
export interface Jwk {
  kty: string;
  crv: string;
  x: string;
  y: string;
  kid: string;
  alg: string;
  use: string;
}
export interface GetJwksResponse {
  keys: Jwk[];
}
export interface Customer {
  id: string;
  email: string;
  role: string;
}
export interface ListCustomersResponse {
  customers: Customer[];
}
export interface DeleteCustomerRequest {
  id: string;
}
export interface CreateApiKeyRequest {
  name: string;
  scopes: string[];
  ttl_days: number;
}
export interface ApiKey {
  id: string;
  name: string;
  scopes: string[];
  created_at: string;
  expires_at: string;
  prefix: string;
}
export interface CreatedApiKey {
  key: ApiKey;
  secret: string;
}
export interface ListApiKeysResponse {
  keys: ApiKey[];
}
export interface RevokeApiKeyRequest {
  id: string;
}
export interface EdgeDenial {
  actor: string;
  action: string;
  target: string;
  detail: string;
  trace_id: string;
  client_ip: string;
}

export interface Product {
  sku: string;
  name: string;
  price_cents: number;
  currency: string;
}
export interface ListProductsResponse {
  products: Product[];
}
export interface SetPriceRequest {
  sku: string;
  price_cents: number;
}
export interface OrderItem {
  sku: string;
  quantity: number;
  unit_price_cents?: number;
}
export interface CreateOrderRequest {
  items: OrderItem[];
  idempotency_key?: string;
  payment_token?: string;
}
export interface Order {
  id: string;
  user_id: string;
  status: 'pending' | 'paid' | 'payment_failed' | 'cancelled' | 'refunded';
  items: OrderItem[];
  total_cents: number;
  currency: string;
  payment_id: string;
  created_at: string;
  failure_reason: string;
}
export interface OrderIdRequest {
  id: string;
}
export interface ListOrdersResponse {
  orders: Order[];
}

export interface ChargeRequest {
  order_id: string;
  user_id: string;
  amount_cents: number;
  currency: string;
  idempotency_key: string;
  payment_token: string;
}
export interface RefundRequest {
  payment_id: string;
  reason: string;
}
export interface GetPaymentRequest {
  id: string;
}
export interface Payment {
  id: string;
  order_id: string;
  user_id: string;
  amount_cents: number;
  refunded_cents: number;
  currency: string;
  status: 'pending' | 'captured' | 'declined' | 'refunded';
  created_at: string;
  decline_reason: string;
}

// citadel.audit.v1, served by every service.
export interface AuditVerification {
  service: string;
  ok: boolean;
  records: number;
  first_broken_seq: number;
  reason: string;
}
export interface ListAuditRequest {
  trace_id?: string;
  actor?: string;
  action?: string;
  limit?: number;
}
export interface AuditRecord {
  seq: number;
  time: string;
  service: string;
  actor: string;
  action: string;
  target: string;
  outcome: string;
  caller_service: string;
  trace_id: string;
  detail: string;
  prev_hash: string;
  hash: string;
}
export interface ListAuditResponse {
  records: AuditRecord[];
}
export interface ListAuditHashesRequest {
  service?: string;
  after_seq?: number;
  limit?: number;
}
export interface AuditHash {
  seq: number;
  hash: string;
}
export interface AuditHashes {
  hashes: AuditHash[];
}
