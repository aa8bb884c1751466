import { checkCallerAllowed, delegationAudiences, policyEdges } from './caller-policy.js';

describe('east-west caller policy', () => {
  it.each([
    ['auth', 'gateway', 'Login', true],
    ['auth', 'order', 'GetJwks', true],
    ['auth', 'order', 'Login', false],
    ['auth', 'order', 'ExchangeToken', false],
    ['order', 'gateway', 'CreateOrder', true],
    ['order', 'payment', 'CreateOrder', false],
    ['order', 'analytics', 'ListOrders', false],
    ['payment', 'order', 'Charge', true],
    ['payment', 'refund', 'Refund', true],
    ['payment', 'gateway', 'Charge', false],
    ['payment', 'analytics', 'GetPayment', false],
    ['inventory', 'gateway', 'Anything', false],
  ])('%s accepts %s calling %s: %s', (callee, caller, method, allowed) => {
    expect(checkCallerAllowed(callee, caller, method).allowed).toBe(allowed);
  });

  it('does not treat inherited object keys as callers', () => {
    expect(checkCallerAllowed('payment', 'constructor', 'Charge').allowed).toBe(false);
    expect(checkCallerAllowed('toString', 'gateway', 'x').allowed).toBe(false);
  });

  it('scopes a user JWT to the service and what it calls on the user behalf', () => {
    expect(delegationAudiences('order')).toEqual(['order', 'payment']);
    expect(delegationAudiences('auth')).toEqual(['auth']);
    expect(delegationAudiences('payment')).toEqual(['payment']);
  });

  it('lists every allowed edge once', () => {
    expect(policyEdges()).toContainEqual({ caller: 'order', callee: 'payment' });
    expect(policyEdges()).not.toContainEqual({ caller: 'gateway', callee: 'payment' });
  });
});
