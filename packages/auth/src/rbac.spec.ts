import { can, canActOn, ROLE_PERMISSIONS, type Permission } from './rbac.js';

describe('RBAC matrix', () => {
  const matrix: [string, Permission, boolean][] = [
    ['customer', 'orders:read:own', true],
    ['customer', 'orders:cancel:own', true],
    ['customer', 'customers:read', false],
    ['customer', 'orders:refund', false],
    ['customer', 'orders:read:any', false],
    ['support_agent', 'customers:read', true],
    ['support_agent', 'orders:read:any', true],
    ['support_agent', 'orders:refund', true],
    ['support_agent', 'customers:delete', false],
    ['support_agent', 'products:price:write', false],
    ['admin', 'customers:delete', true],
    ['admin', 'products:price:write', true],
    ['admin', 'orders:refund', true],
    ['superuser', 'orders:read:own', false],
    ['__proto__', 'orders:read:own', false],
  ];

  it.each(matrix)('%s → %s: %s', (role, permission, expected) => {
    expect(can(role, permission)).toBe(expected);
  });

  it('lets admin do everything the other roles can', () => {
    for (const permissions of Object.values(ROLE_PERMISSIONS)) {
      for (const permission of permissions) expect(can('admin', permission)).toBe(true);
    }
  });

  it('checks ownership unless the role grants the any-permission', () => {
    const alice = { id: 'u-alice', role: 'customer' };
    const sam = { id: 'u-sam', role: 'support_agent' };
    expect(canActOn(alice, 'u-alice', 'orders:read:own', 'orders:read:any')).toBe(true);
    expect(canActOn(alice, 'u-bob', 'orders:read:own', 'orders:read:any')).toBe(false);
    expect(canActOn(sam, 'u-bob', 'orders:read:own', 'orders:read:any')).toBe(true);
    expect(canActOn(sam, 'u-bob', 'orders:cancel:own', 'orders:cancel:any')).toBe(false);
  });

  it('limits a scoped credential to its scopes, within its role', () => {
    const key = { role: 'admin', scopes: ['orders:read:any'] };
    expect(can(key, 'orders:read:any')).toBe(true);
    expect(can(key, 'customers:delete')).toBe(false);
    // A scope the role does not grant grants nothing.
    expect(can({ role: 'customer', scopes: ['orders:refund'] }, 'orders:refund')).toBe(false);
    // No key can mint keys, even when scoped to do so.
    expect(can({ role: 'admin', scopes: ['api-keys:manage'] }, 'api-keys:manage')).toBe(false);
    const bot = { id: 'u-alice', role: 'customer', scopes: ['orders:read:own'] };
    expect(canActOn(bot, 'u-alice', 'orders:read:own', 'orders:read:any')).toBe(true);
    expect(canActOn(bot, 'u-alice', 'orders:cancel:own', 'orders:cancel:any')).toBe(false);
  });

  it('grants a credential scoped to nothing nothing, not its whole role', () => {
    const empty = { id: 'u-ada', role: 'admin', scopes: [] };
    for (const permission of ROLE_PERMISSIONS.admin) expect(can(empty, permission)).toBe(false);
    expect(canActOn(empty, 'u-ada', 'orders:read:own', 'orders:read:any')).toBe(false);
    // A session (no scopes at all) keeps its role's permissions.
    expect(can({ role: 'admin' }, 'customers:delete')).toBe(true);
  });
});
