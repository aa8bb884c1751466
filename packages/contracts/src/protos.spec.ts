import { CONTRACTS, contractOf, serviceClientConstructor } from './protos.js';

/** Every service serves its own audit trail. */
const AUDIT = ['VerifyAudit', 'ListAudit', 'ListAuditHashes'] as const;

describe('contracts', () => {
  it.each([
    [
      'auth',
      [
        'Login',
        'Logout',
        'ExchangeToken',
        'GetJwks',
        'ListCustomers',
        'DeleteCustomer',
        'CreateApiKey',
        'ListApiKeys',
        'RevokeApiKey',
        'RecordEdgeDenial',
        ...AUDIT,
      ],
    ],
    [
      'order',
      [
        'ListProducts',
        'SetPrice',
        'CreateOrder',
        'GetOrder',
        'ListOrders',
        'CancelOrder',
        'RefundOrder',
        ...AUDIT,
      ],
    ],
    ['payment', ['Charge', 'Refund', 'GetPayment', ...AUDIT]],
    [
      'monitor',
      ['Deliver', 'GetHead', 'ListAlerts', 'ListChainHeads', 'ListChainHashes', ...AUDIT],
    ],
  ] as const)('the %s service exposes its methods', (service, methods) => {
    const ctor = serviceClientConstructor(service);
    expect(Object.keys(ctor.service).sort()).toEqual([...methods].sort());
  });

  it('keeps snake_case field names and int64 as numbers', () => {
    const order = serviceClientConstructor('order').service.CreateOrder!;
    const decoded = order.responseDeserialize(
      order.responseSerialize({ id: 'o1', total_cents: 1234, payment_id: 'p1' }),
    ) as Record<string, unknown>;
    expect(decoded.total_cents).toBe(1234);
    expect(decoded.payment_id).toBe('p1');
  });

  it('finds each contract by convention: citadel.<name>.v1.<Name>Service', () => {
    expect(CONTRACTS.order).toEqual({ package: 'citadel.order.v1', service: 'OrderService' });
    expect(contractOf('stock-level')).toEqual({
      package: 'citadel.stock_level.v1',
      service: 'StockLevelService',
    });
  });
});
