import {
  checkCallerAllowed,
  delegatesTo,
  delegationAudiences,
  policyEdges,
  type Policy,
} from './caller-policy.js';

const AUTH = 'citadel.auth.v1.AuthService';
const ORDER = 'citadel.order.v1.OrderService';
const PAYMENT = 'citadel.payment.v1.PaymentService';
const CHECK = 'grpc.health.v1.Health/Check';

describe('east-west caller policy', () => {
  it.each([
    ['auth', 'gateway', `${AUTH}/Login`, true],
    ['auth', 'order', `${AUTH}/GetJwks`, true],
    ['auth', 'order', `${AUTH}/Login`, false],
    ['auth', 'order', `${AUTH}/ExchangeToken`, false],
    ['order', 'gateway', `${ORDER}/CreateOrder`, true],
    ['order', 'payment', `${ORDER}/CreateOrder`, false],
    ['order', 'analytics', `${ORDER}/ListOrders`, false],
    ['payment', 'order', `${PAYMENT}/Charge`, true],
    ['payment', 'order', `${PAYMENT}/GetPayment`, false],
    ['payment', 'gateway', `${PAYMENT}/Charge`, false],
    ['payment', 'analytics', `${PAYMENT}/GetPayment`, false],
    // Names that exist in no registry are granted nothing (a refund service, say, which Citadel does not have).
    ['payment', 'refund', `${PAYMENT}/Refund`, false],
    ['inventory', 'gateway', 'citadel.inventory.v1.InventoryService/Anything', false],
  ])('%s accepts %s calling %s: %s', (callee, caller, method, allowed) => {
    expect(checkCallerAllowed(callee, caller, method).allowed).toBe(allowed);
  });

  it('grants full method names only: a bare name or another service’s same name is no match', () => {
    expect(checkCallerAllowed('payment', 'order', 'Charge').allowed).toBe(false);
    expect(checkCallerAllowed('payment', 'order', `/${PAYMENT}/Charge`).allowed).toBe(false);
    expect(checkCallerAllowed('order', 'gateway', `${AUTH}/ListAudit`).allowed).toBe(false);
    expect(checkCallerAllowed('payment', 'order', '*').allowed).toBe(false);
  });

  it('answers the health check to the gateway for auth and order, and to nobody else', () => {
    expect(checkCallerAllowed('auth', 'gateway', CHECK).allowed).toBe(true);
    expect(checkCallerAllowed('order', 'gateway', CHECK).allowed).toBe(true);
    for (const callee of ['auth', 'order', 'payment'])
      expect(checkCallerAllowed(callee, 'analytics', CHECK).allowed).toBe(false);
    expect(checkCallerAllowed('payment', 'order', CHECK).allowed).toBe(false);
  });

  it('lets the operators’ auditor verify every service’s chain and do nothing else', () => {
    for (const [callee, service] of [
      ['auth', AUTH],
      ['order', ORDER],
      ['payment', PAYMENT],
    ] as const) {
      expect(checkCallerAllowed(callee, 'auditor', `${service}/VerifyAudit`).allowed).toBe(true);
      expect(checkCallerAllowed(callee, 'auditor', `${service}/ListAudit`).allowed).toBe(false);
      expect(checkCallerAllowed(callee, 'auditor', CHECK).allowed).toBe(false);
    }
  });

  it('does not treat inherited object keys as callers', () => {
    expect(checkCallerAllowed('payment', 'constructor', `${PAYMENT}/Charge`).allowed).toBe(false);
    expect(checkCallerAllowed('toString', 'gateway', 'x/y').allowed).toBe(false);
    expect(checkCallerAllowed('payment', '__proto__', `${PAYMENT}/Charge`).allowed).toBe(false);
  });

  it('delegates a user only where the caller holds more than self calls (JWKS, health)', () => {
    expect(delegatesTo('gateway', 'auth')).toBe(true);
    expect(delegatesTo('gateway', 'order')).toBe(true);
    expect(delegatesTo('order', 'payment')).toBe(true);
    expect(delegatesTo('order', 'auth')).toBe(false);
    expect(delegatesTo('payment', 'auth')).toBe(false);
    expect(delegatesTo('gateway', 'payment')).toBe(false);
    expect(delegatesTo('auditor', 'order')).toBe(false);
  });

  it('scopes a user JWT to the service and what it calls on the user behalf', () => {
    expect(delegationAudiences('order')).toEqual(['order', 'payment']);
    expect(delegationAudiences('auth')).toEqual(['auth']);
    expect(delegationAudiences('payment')).toEqual(['payment']);
  });

  it('follows delegation transitively, and not through a JWKS fetch', () => {
    const policy: Policy['services'] = {
      b: { a: ['citadel.b.v1.BService/Do'] },
      c: { b: ['citadel.c.v1.CService/Do'] },
      auth: { c: ['citadel.auth.v1.AuthService/GetJwks'] },
    };
    expect(delegationAudiences('a', policy)).toEqual(['a', 'b', 'c']);
  });

  it('lists every allowed workload edge once, operators aside', () => {
    expect(policyEdges()).toContainEqual({ caller: 'order', callee: 'payment' });
    expect(policyEdges()).not.toContainEqual({ caller: 'gateway', callee: 'payment' });
    expect(policyEdges().filter((edge) => edge.caller === 'auditor')).toEqual([]);
    expect(policyEdges().filter((edge) => edge.caller === 'refund')).toEqual([]);
  });
});
