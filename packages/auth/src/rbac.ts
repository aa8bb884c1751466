/**
 * The RBAC matrix, as the one table every service reads. A role grants
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
  'audit:read',
  'api-keys:manage',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

export const ROLE_PERMISSIONS: Readonly<Record<Role, readonly Permission[]>> = {
  // View own orders, cancel own orders; no customers, no refunds.
  customer: ['orders:create', 'orders:read:own', 'orders:cancel:own', 'api-keys:manage'],
  // View all customers (and their orders), process refunds; not delete accounts.
  support_agent: [
    'orders:read:own',
    'orders:read:any',
    'orders:refund',
    'customers:read',
    'api-keys:manage',
  ],
  // Delete accounts, modify pricing, and everything else (security alerts too).
  admin: [...PERMISSIONS],
};

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

export function isPermission(value: unknown): value is Permission {
  return typeof value === 'string' && (PERMISSIONS as readonly string[]).includes(value);
}

/**
 * Who is asking: a role, and for credentials limited to less than their role (API keys)
 * the scopes they were issued with. `scopes` absent is a user session: its role's
 * permissions. `scopes` present is a scoped credential: exactly its scopes within its role,
 * so an empty list grants nothing (never "not scoped": a key whose scopes were lost or
 * never written must fail closed, not open up to its owner's whole role).
 */
export interface Subject {
  role: string;
  scopes?: readonly string[] | undefined;
}

/**
 * Permissions a credential can never be scoped to: a machine key that could mint more
 * keys would outlive its own revocation.
 */
export const UNSCOPABLE: readonly Permission[] = ['api-keys:manage'];

/**
 * Whether `subject` (or a bare role name) holds `permission`: its role must grant it, and
 * a scoped credential must have been issued with it (scopes ∩ role; no scopes, nothing).
 * Unknown roles grant nothing.
 */
export function can(subject: Subject | string, permission: Permission): boolean {
  const { role, scopes } =
    typeof subject === 'string' ? { role: subject, scopes: undefined } : subject;
  if (!isRole(role) || !ROLE_PERMISSIONS[role].includes(permission)) return false;
  return scopes === undefined
    ? true
    : scopes.includes(permission) && !UNSCOPABLE.includes(permission);
}

/**
 * Ownership rule for a resource owned by `ownerId`: the `own` permission suffices for
 * the owner, anyone else needs the `any` permission.
 */
export function canActOn(
  user: Subject & { id: string },
  ownerId: string,
  own: Permission,
  any: Permission,
): boolean {
  return can(user, any) || (user.id === ownerId && can(user, own));
}
