/**
 * The RBAC matrix of seed 004, as the one table every service reads. A role grants
 * permissions; handlers ask for a permission, never for a role name.
 */
export const ROLES = ['customer', 'support_agent', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export const PERMISSIONS = [
  'orders:create',
  'orders:read:own',
  'orders:read:any',
  'orders:cancel:own',
  'orders:cancel:any',
  'orders:refund',
  'customers:read',
  'customers:delete',
  'products:price:write',
  'alerts:read',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

export const ROLE_PERMISSIONS: Readonly<Record<Role, readonly Permission[]>> = {
  // Seed 004: view own orders, cancel own orders; no customers, no refunds.
  customer: ['orders:create', 'orders:read:own', 'orders:cancel:own'],
  // Seed 004: view all customers (and their orders), process refunds; not delete accounts.
  support_agent: ['orders:read:own', 'orders:read:any', 'orders:refund', 'customers:read'],
  // Seed 004: delete accounts, modify pricing, and everything else (security alerts too).
  admin: [...PERMISSIONS],
};

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/** Whether `role` grants `permission`. Unknown roles grant nothing. */
export function can(role: string, permission: Permission): boolean {
  return isRole(role) && ROLE_PERMISSIONS[role].includes(permission);
}

/**
 * Ownership rule for a resource owned by `ownerId`: the `own` permission suffices for
 * the owner, anyone else needs the `any` permission.
 */
export function canActOn(
  user: { id: string; role: string },
  ownerId: string,
  own: Permission,
  any: Permission,
): boolean {
  return can(user.role, any) || (user.id === ownerId && can(user.role, own));
}
